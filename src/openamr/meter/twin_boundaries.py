"""The boundaries of an advance and what happens at each (issue 4): the timeline
the twin walks in *meter time* (its own clock)::

    at each boundary  ->  power quality events   log-book, LP status bits
                          DST changes            log-book 0x0008
                          components             relays, limiter, inputs, ...
                          end of billing         monthly billing row, MD reset, 0x0010
                          daily capture          daily billing row, LP2 row

and, after all of these at one instant, the LP1 row of the period ending there
(:mod:`openamr.meter.twin_flow`, which also carries the energy from one boundary to
the next).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from openamr.codec.datetime import ClockStatus
from openamr.codec.types import LongUnsigned
from openamr.devices.mt372.events import EventCode, LpStatus, phase_code
from openamr.meter.metrology.model import DisturbanceKind, instant
from openamr.meter.metrology.quality import QualityEvent, QualityKind, quality_events
from openamr.meter.profiles import stamp
from openamr.meter.tariff import Due
from openamr.meter.tariff.billing import Trigger
from openamr.meter.tariff.localtime import zone_pieces
from openamr.meter.twin_port import Action
from openamr.meter.twin_publish import WRAP

if TYPE_CHECKING:
    from openamr.meter.twin import Twin

#: The super-cap keeps the clock this long without power (datasheet: 10 days).
CLOCK_RESERVE = dt.timedelta(days=10)
#: Error register (FF) bits of a clock that ran down (MT372.md section 3).
FF_SUPERCAP_DISCHARGED, FF_INVALID_TIME = 0x01000000, 0x02000000

#: Log-book codes of the power quality events (per-phase ones add the phase).
QUALITY_CODES: dict[QualityKind, EventCode] = {
    QualityKind.POWER_FAILURE: EventCode.POWER_FAILURE,
    QualityKind.POWER_RETURN: EventCode.POWER_RETURNED,
    QualityKind.PHASE_LOSS: EventCode.POWER_FAILURE_L1,
    QualityKind.PHASE_RETURN: EventCode.POWER_RETURNED_L1,
    QualityKind.UNDER_VOLTAGE_BEGIN: EventCode.UNDER_VOLTAGE_BEGIN,
    QualityKind.UNDER_VOLTAGE_END: EventCode.UNDER_VOLTAGE_END,
    QualityKind.OVER_VOLTAGE_BEGIN: EventCode.OVER_VOLTAGE_BEGIN,
    QualityKind.OVER_VOLTAGE_END: EventCode.OVER_VOLTAGE_END,
    QualityKind.CURRENT_REVERSAL_BEGIN: EventCode.CURRENT_REVERSAL_BEGIN,
    QualityKind.CURRENT_REVERSAL_END: EventCode.CURRENT_REVERSAL_END,
    QualityKind.PHASE_SEQUENCE_ERROR: EventCode.PHASE_SEQUENCE_ERROR,
    QualityKind.PHASE_SEQUENCE_RESTORED: EventCode.PHASE_SEQUENCE_RESTORED,
}

#: The quality events the meter counts (objects in TwinObjects.quality_counters).
COUNTED: dict[QualityKind, str] = {
    QualityKind.UNDER_VOLTAGE_BEGIN: "sag",
    QualityKind.OVER_VOLTAGE_BEGIN: "swell",
    QualityKind.POWER_FAILURE: "failure",
}


def timeline(twin: Twin, m0: dt.datetime, m1: dt.datetime) -> list[tuple[dt.datetime, Action]]:
    """The boundaries in (m0, m1] but the LP1 period ends, in order; at one instant:
    events, then billing, then the daily capture."""
    items: list[tuple[dt.datetime, int, Action]] = []
    offset = twin.source.offset
    # Current reversal is logged only while a wiring fault is injected: a PV meter
    # registers export every sunny day, and logging that would flood the log-book.
    metrology = twin.metrology
    wiring = any(d.kind is DisturbanceKind.CURRENT_REVERSAL for d in metrology.disturbances)
    for event in quality_events(metrology, m0 - offset, m1 - offset, reversal=wiring):
        items.append((instant(event.instant) + offset, 0, _quality_action(twin, event)))
    for piece in zone_pieces(twin.rules, m0, m1)[1:]:
        items.append((piece.start, 0, lambda t: twin.log(t, EventCode.DST_CHANGE)))
    for component in twin.components:
        items.extend((at, 0, act) for at, act in component.boundaries(twin, m0, m1))
    for at, due in twin.billing.due(m0, m1):
        if due is Due.END_OF_BILLING:
            items.append((at, 1, lambda t: end_of_billing(twin, t)))
        else:
            items.append((at, 2, lambda t: daily(twin, t)))
    items.sort(key=lambda item: (item[0], item[1]))
    return [(at, act) for at, _, act in items]


def _quality_action(twin: Twin, event: QualityEvent) -> Action:
    return lambda at: quality(twin, at, event)


def quality(twin: Twin, at: dt.datetime, event: QualityEvent) -> None:
    """A power quality event: logged, counted, and a power failure or return."""
    code = QUALITY_CODES[event.kind]
    twin.log(at, phase_code(code, event.phase - 1) if event.phase is not None else code)
    counted = COUNTED.get(event.kind)
    if counted is not None:
        phase = None if event.phase is None else event.phase - 1
        counter = twin.objects.quality_counters.get((counted, phase))
        if counter is not None:
            assert isinstance(counter.value, int)
            counter.value = LongUnsigned((counter.value + 1) % 0x10000)
    if event.kind is QualityKind.POWER_FAILURE:
        twin.flag(LpStatus.POWER_DOWN)
        twin.powered, twin.down_since = False, at
    elif event.kind is QualityKind.POWER_RETURN:
        twin.flag(LpStatus.POWER_UP)
        twin.powered = True
        if twin.down_since is not None and at - twin.down_since > CLOCK_RESERVE:
            _clock_ran_down(twin)
        twin.down_since = None


def _clock_ran_down(twin: Twin) -> None:
    """More than the super-cap's reserve without power: the time is not to be
    trusted until someone sets the clock (clock status, FF bits, LP status)."""
    twin.objects.clock.flags |= int(ClockStatus.INVALID_VALUE)
    twin.error_bits(FF_SUPERCAP_DISCHARGED | FF_INVALID_TIME, on=True)


def end_of_billing(twin: Twin, at: dt.datetime, trigger: Trigger = Trigger.SCHEDULE) -> None:
    """The monthly billing row, the maximum demand reset and the log entry."""
    reset = twin.billing.end_of_billing(
        at, twin.a_plus.snapshot(), twin.a_minus.snapshot(), twin.demand, trigger
    )
    twin.objects.monthly.append_row(reset.row)
    twin.log(at, reset.event_code)
    twin.flag(LpStatus(reset.lp_status))


def daily(twin: Twin, at: dt.datetime) -> None:
    """The daily billing row and the LP2 row; a meter without supply captures
    nothing (as for LP1, :func:`openamr.meter.twin_flow.flow`)."""
    if not twin.powered:
        return
    a_plus, a_minus = twin.a_plus, twin.a_minus
    capture = twin.billing.daily_capture(at, a_plus.snapshot(), a_minus.snapshot())
    o = twin.objects
    o.daily.append_row(capture.row)
    p1, p2 = o.p1.value, o.p2.value
    assert isinstance(p1, int) and isinstance(p2, int)
    dst = LpStatus.DST_ACTIVE if o.clock.dst_active(at) else LpStatus(0)
    status = int(twin.day_status | dst)
    totals = (a_plus.total % WRAP, a_minus.total % WRAP)
    o.lp2.append_row((stamp(o.clock, at), status, *totals, p1, p2))
    twin.day_status = LpStatus(0)


__all__ = [
    "CLOCK_RESERVE",
    "FF_INVALID_TIME",
    "FF_SUPERCAP_DISCHARGED",
    "daily",
    "end_of_billing",
    "quality",
    "timeline",
]
