"""The MT372 twin's engine: the object model driven through time (issue 4).

The twin is *lazy and exact*. Nothing runs while nobody looks: before every answer
(``ServerApplication.refresh``) the twin advances from the instant it last reached
to the clock's now, and the state it reaches at an instant does not depend on how
often, or in what steps, it got there (the metrology integrates exactly, and every
boundary is an exact cut).

One advance walks a timeline of boundaries in *meter time* (the meter's own clock)::

    energy [pos, at)  ->  cut by rate (activity calendar) and by demand period
                          A+ / A- rate registers (exact: mJ fractions of Wh)
    at each boundary  ->  power quality events   log-book, LP status bits
                          DST changes            log-book 0x0008
                          end of billing         monthly billing row, MD reset, 0x0010
                          daily capture          daily billing row, LP2 row
                          LP1 period end         LP1 row {clock, status, A+, A-}

then publishes the registers, demand, instantaneous values and status into the
COSEM objects. Energy flows in *true time* (the grid's), so a DLMS clock set
changes the time stamps but never counts energy twice or loses any.

Wiring (STYLE.md "Wire in plain sight"): the twin gets every collaborator in its
constructor. The clock object and the end of billing script are built before it, so
they are built with a :class:`TwinPort` (a forward reference the constructor binds
once); the components and the checkpoint callbacks are built on the twin, so the
assembly passes its own lists and fills them before the first advance
(:mod:`openamr.meter.assembly`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Protocol

from openamr.codec.datetime import ClockStatus
from openamr.codec.table import Row
from openamr.codec.types import Data as DlmsData
from openamr.codec.types import DoubleLongUnsigned, LongUnsigned, OctetString, Unsigned
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.script_table import (
    ActionSpecification,
    ServiceId,
    device_executor,
)
from openamr.devices.mt372.events import EventCode, LpStatus, phase_code
from openamr.meter.clock import MeterClock
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.instant import instantaneous
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, instant
from openamr.meter.metrology.quality import QualityEvent, QualityKind, quality_events
from openamr.meter.profiles import stamp
from openamr.meter.stamps import lp_stamp, whole_second
from openamr.meter.tariff import (
    BillingEngine,
    CachedLocalTime,
    CalendarPlan,
    DemandEngine,
    Due,
    RateRegisters,
    RateSegment,
)
from openamr.meter.tariff.billing import MONTHLY_BILLING, NOT_SPECIFIED_STAMP, Trigger
from openamr.meter.tariff.calendar import Calendar, activation_instant, parse_calendar
from openamr.meter.tariff.localtime import zone_pieces
from openamr.meter.tariff.model import Refusal
from openamr.meter.twin_objects import TwinObjects

log = logging.getLogger(__name__)

MJ_PER_WH = 3_600_000
#: The super-cap keeps the clock this long without power (datasheet: 10 days).
CLOCK_RESERVE = dt.timedelta(days=10)
#: Error register (FF) bits of a clock that ran down (MT372.md section 3).
FF_SUPERCAP_DISCHARGED, FF_INVALID_TIME = 0x01000000, 0x02000000
#: The activity calendar's parts, in the order parse_calendar takes them.
CALENDAR_PARTS = ("season_profile", "week_profile_table", "day_profile_table")
WRAP = 1 << 32  # double-long-unsigned registers roll over

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

Action = Callable[[dt.datetime], None]

_NO_STATUS = LpStatus(0)
_LP_DST, _LP_CLOCK_INVALID = int(LpStatus.DST_ACTIVE), int(LpStatus.CLOCK_INVALID)
_CLOCK_INVALID = int(ClockStatus.INVALID_VALUE)


class Component(Protocol):
    """A part of the meter that lives in time beside the engine (relays, limiter,
    impulse inputs, tamper switches, display, modem, push). Components add their own
    boundaries to each advance and publish their state into the objects; they log
    with :meth:`Twin.log` and flag the load profile with :meth:`Twin.flag`."""

    def boundaries(
        self, twin: Twin, m0: dt.datetime, m1: dt.datetime
    ) -> Iterable[tuple[dt.datetime, Action]]:
        """What happens in (m0, m1] of meter time, as (instant, action)."""
        ...

    def publish(self, twin: Twin) -> None:
        """The component's state into its COSEM objects (after each advance)."""
        ...


class TwinPort:
    """The twin, for the objects built before it (a forward reference, bound once by
    :class:`Twin`'s constructor): the clock object is built with :meth:`set_time` as
    its setter and the end of billing script with :meth:`run_script` as its executor,
    so a DLMS clock set and an executed script go through the engine."""

    def __init__(self) -> None:
        self._twin: Twin | None = None

    def bind(self, twin: Twin) -> None:
        if self._twin is not None:
            raise RuntimeError("a TwinPort serves one twin, and it is bound already")
        self._twin = twin

    def _bound(self) -> Twin:
        if self._twin is None:
            raise RuntimeError("the twin is not built yet: build Twin with this port")
        return self._twin

    def set_time(self, when: dt.datetime) -> None:
        self._bound().set_time(when)

    def run_script(self, action: ActionSpecification) -> bool:
        return self._bound().run_script_action(action)


class Twin:
    """One MT372 in time. Build it with :func:`openamr.meter.mt372.build_mt372`."""

    def __init__(
        self,
        device: LogicalDevice,
        source: MeterClock,
        metrology: Metrology,
        port: TwinPort,
        components: list[Component],
        checkpoints: list[Callable[[], None]],
        plan: CalendarPlan | None = None,
        commissioned: dt.datetime | None = None,
        lp_period: int = 900,
    ) -> None:
        """``commissioned`` (true time, default now): the twin is complete up to there
        and its first advance simulates everything since. ``port``: the forward
        reference the clock and the end of billing script were built with (bound here).
        ``components`` (the peripherals) and ``checkpoints`` (called after every change
        of state: the persistence commits there) are the assembly's lists, which it
        fills with the parts built on this twin before its first advance."""
        self.device, self.source, self.metrology = device, source, metrology
        self.objects = TwinObjects(device)
        clock = self.objects.clock
        self.rules = CachedLocalTime(clock)
        self._calendar_key: tuple[object, ...] = ()
        self.plan = plan if plan is not None else self._calendar_plan()
        # exact carries: the registers are the floor of the exact integral
        self.a_plus = RateRegisters(carry=Fraction(0))
        self.a_minus = RateRegisters(carry=Fraction(0))
        start = commissioned if commissioned is not None else source.true_now()
        self.demand = DemandEngine(source.to_meter(start), lp_period)
        self.billing = BillingEngine(self.rules, stamp=lambda at: stamp(clock, at))
        self.lp_period = lp_period
        self.true_t = start  # everything is complete up to here
        self.status = LpStatus(0)  # status bits of the running LP1 period
        self.day_status = LpStatus(0)  # and of the running day (LP2)
        self.rate = self.plan.rate_at(self.position, self.rules)
        self.components = components
        self.down_since: dt.datetime | None = None  # meter time of the last power failure
        self._rates: deque[RateSegment] = deque()  # of the running advance
        self._lp1_rows: list[Row] = []  # LP1 rows of the running advance
        self.powered = True  # the supply is on; while it is off nothing is captured
        self.checkpoints = checkpoints
        port.bind(self)
        self.publish()

    # -- time ---------------------------------------------------------------------------

    @property
    def position(self) -> dt.datetime:
        """Meter time up to which the twin is complete."""
        return self.source.to_meter(self.true_t)

    def advance(self, force: bool = False) -> None:
        """Bring registers, profiles and the log-book up to the clock's now.

        Nothing is due while the clock stays within the whole second (of true and of
        meter time) the twin has reached: energy integrates whole seconds and every
        boundary (periods, billing, DST, rates, quality events) is a whole second, so
        the twin returns at once (a client's APDUs microseconds apart cost nothing) and
        the next advance past the second does all of it. ``force``: advance anyway
        (a clock set, a command, a peripheral acting at the twin's now)."""
        end = self.source.true_now()
        if end <= self.true_t:
            return
        m0, m1 = self.position, self.source.to_meter(end)
        if (
            not force
            and whole_second(end) == whole_second(self.true_t)
            and whole_second(m1) == whole_second(m0)
        ):
            return
        self.plan = self._calendar_plan()
        self._rates = deque(self.plan.rate_segments(m0, m1, self.rules))
        for at, action in self._timeline(m0, m1):
            self._flow(at)
            action(at)
        self._flow(m1)
        self._flush_lp1()
        self._activate_passive_calendar()
        self.publish()
        self.checkpoint()

    def _calendar_plan(self) -> CalendarPlan:
        """The rates as the activity calendar and special days objects hold them now
        (a client's write takes effect at the next advance; a calendar the engine
        refuses leaves the previous one in force)."""
        cal, special = self.objects.calendar, self.objects.special_days
        key = (
            *(id(getattr(cal, f"{p}_{s}")) for s in ("active", "passive") for p in CALENDAR_PARTS),
            id(cal.activate_passive_calendar_time),
            tuple(sorted(special.table.items())),
        )
        if key == self._calendar_key:
            return self.plan
        days = special.get_entries()
        active = self._parse(cal, "active", days)
        if not isinstance(active, Calendar):
            log.warning("activity calendar refused, the previous one stays: %s", active.reason)
            return self.plan
        passive = self._parse(cal, "passive", days)
        due = activation_instant(cal.activate_passive_calendar_time, self.rules)
        self._calendar_key = key
        if isinstance(passive, Calendar) and due is not None:
            return CalendarPlan(active, passive, due)
        return CalendarPlan(active)

    @staticmethod
    def _parse(cal: ActivityCalendar, which: str, days: DlmsData) -> Calendar | Refusal:
        season, week, day = (getattr(cal, f"{part}_{which}") for part in CALENDAR_PARTS)
        return parse_calendar(season, week, day, days)

    def _activate_passive_calendar(self) -> None:
        """At its activation time the passive calendar becomes the active one in the
        object too (the plan already switched rates at that instant)."""
        plan = self.plan
        due = plan.activation
        if plan.passive is not None and due is not None and self.position >= due:
            self.objects.calendar.activate_passive_calendar(None)
            self.objects.calendar.activate_passive_calendar_time = OctetString(NOT_SPECIFIED_STAMP)

    def set_time(self, when: dt.datetime) -> None:
        """A clock set (DLMS, optical port): logged, flagged in LP status, demand
        period restarted; energy keeps flowing in true time."""
        self.advance(force=True)
        self.source.set(when)
        self.rules.invalidate()
        self.error_bits(FF_SUPERCAP_DISCHARGED | FF_INVALID_TIME, on=False)  # a set clock
        self.demand.clock_set(when)
        self.log(when, EventCode.CLOCK_CHANGED)
        self.flag(LpStatus.CLOCK_ADJUSTED)
        self.publish()
        self.checkpoint()

    def end_of_billing(self) -> None:
        """End of billing by command (the script 0.0.10.0.1.255, or the button)."""
        self.advance(force=True)
        self._end_of_billing(self.position, Trigger.COMMAND)
        self.publish()

    def run_script_action(self, action: ActionSpecification) -> bool:
        """The meter's own scripts: capturing the monthly billing profile is the end
        of billing (registers, maximum demand reset, counter); any other action runs
        on the device's objects."""
        target = (action.service_id, action.class_id, action.logical_name, action.index)
        if target == (ServiceId.EXECUTE_METHOD, 7, MONTHLY_BILLING, 2):
            self.end_of_billing()
            return True
        return device_executor(self.device)(action)

    def inject(self, disturbance: Disturbance) -> None:
        """A grid event (power failure, phase loss, sag, swell, reversal, sequence)
        from its start on; the past is not rewritten, so it may not start before the
        instant the twin has reached."""
        if disturbance.start <= int(self.true_t.timestamp()):
            raise ValueError("a disturbance cannot start at or before the twin's present")
        self.metrology.add_disturbance(disturbance)
        self.checkpoint()

    def add_load_step(self, step: LoadStep) -> None:
        """A load change from ``step.start`` on (the past is not rewritten)."""
        if step.start < int(self.true_t.timestamp()):
            raise ValueError("a load change cannot start before the twin's present")
        self.metrology.add_load_step(step)
        self.checkpoint()

    def _timeline(self, m0: dt.datetime, m1: dt.datetime) -> list[tuple[dt.datetime, Action]]:
        """The boundaries in (m0, m1], in order; at one instant: events, billing,
        then the profile captures (so a row carries what happened at its end)."""
        items: list[tuple[dt.datetime, int, Action]] = []
        offset = self.source.offset
        # Current reversal is logged only while a wiring fault is injected: a PV meter
        # registers export every sunny day, and logging that would flood the log-book.
        wiring = any(
            d.kind is DisturbanceKind.CURRENT_REVERSAL for d in self.metrology.disturbances
        )
        for event in quality_events(self.metrology, m0 - offset, m1 - offset, reversal=wiring):
            items.append((instant(event.instant) + offset, 0, self._quality_action(event)))
        for piece in zone_pieces(self.rules, m0, m1)[1:]:
            items.append((piece.start, 0, lambda t: self.log(t, EventCode.DST_CHANGE)))
        for component in self.components:
            items.extend((at, 0, act) for at, act in component.boundaries(self, m0, m1))
        for at, due in self.billing.due(m0, m1):
            order, act = (
                (1, self._end_of_billing) if due is Due.END_OF_BILLING else (2, self._daily)
            )
            items.append((at, order, act))
        # LP1's capture period is programmable (15, 30, 60 min or a day): follow it
        period = dt.timedelta(seconds=self.objects.lp1.period or self.lp_period)
        first = m0 - (m0 - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) % period + period
        at = first
        while at <= m1:
            items.append((at, 3, self._capture_lp1))
            at += period
        items.sort(key=lambda item: (item[0], item[1]))
        return [(at, act) for at, _, act in items]

    def _flow(self, to: dt.datetime) -> None:
        """Energy from the position to ``to`` (meter time), cut exactly at every rate
        switch and demand period end; integer millijoules throughout."""
        offset, rates, demand = self.source.offset, self._rates, self.demand
        energy, a_plus, a_minus = self.metrology.energy_mj, self.a_plus, self.a_minus
        position = self.true_t + offset
        while position < to:
            while rates[0].end <= position:
                rates.popleft()  # the advance's rate segments, walked once
            segment = rates[0]
            stop = min(to, demand.next_boundary(), segment.end)
            true_stop = stop - offset
            plus0, minus0 = energy(self.true_t)
            plus1, minus1 = energy(true_stop)
            rate = segment.rate
            a_plus.add_mj(plus1 - plus0, rate)
            if minus1 != minus0:  # most meters export nothing: adding 0 would change nothing
                a_minus.add_mj(minus1 - minus0, rate)
            demand.add_mj(plus1 - plus0, rate, stop)  # exact
            self.rate = rate
            self.true_t, position = true_stop, stop

    # -- what happens at a boundary ------------------------------------------------------

    def _quality_action(self, event: QualityEvent) -> Action:
        return lambda at: self._quality(at, event)

    def _quality(self, at: dt.datetime, event: QualityEvent) -> None:
        code = QUALITY_CODES[event.kind]
        self.log(at, phase_code(code, event.phase - 1) if event.phase is not None else code)
        counted = COUNTED.get(event.kind)
        if counted is not None:
            phase = None if event.phase is None else event.phase - 1
            counter = self.objects.quality_counters.get((counted, phase))
            if counter is not None:
                assert isinstance(counter.value, int)
                counter.value = LongUnsigned((counter.value + 1) % 0x10000)
        if event.kind is QualityKind.POWER_FAILURE:
            self.flag(LpStatus.POWER_DOWN)
            self.powered, self.down_since = False, at
        elif event.kind is QualityKind.POWER_RETURN:
            self.flag(LpStatus.POWER_UP)
            self.powered = True
            if self.down_since is not None and at - self.down_since > CLOCK_RESERVE:
                self._clock_ran_down()
            self.down_since = None

    def _clock_ran_down(self) -> None:
        """More than the super-cap's reserve without power: the time is not to be
        trusted until someone sets the clock (clock status, FF bits, LP status)."""
        self.objects.clock.flags |= int(ClockStatus.INVALID_VALUE)
        self.error_bits(FF_SUPERCAP_DISCHARGED | FF_INVALID_TIME, on=True)

    def error_bits(self, bits: int, on: bool) -> None:
        """Raise or clear bits of the error register FF (MT372.md 3)."""
        errors = self.objects.error_register.value
        assert isinstance(errors, int)
        self.objects.error_register.value = DoubleLongUnsigned(
            errors | bits if on else errors & ~bits
        )

    @property
    def clock_invalid(self) -> bool:
        return bool(self.objects.clock.flags & ClockStatus.INVALID_VALUE)

    def _end_of_billing(self, at: dt.datetime, trigger: Trigger = Trigger.SCHEDULE) -> None:
        reset = self.billing.end_of_billing(
            at, self.a_plus.snapshot(), self.a_minus.snapshot(), self.demand, trigger
        )
        self.objects.monthly.append_row(reset.row)
        self.log(at, reset.event_code)
        self.flag(LpStatus(reset.lp_status))

    def _daily(self, at: dt.datetime) -> None:
        if not self.powered:  # a meter without supply captures nothing (see _capture_lp1)
            return
        capture = self.billing.daily_capture(at, self.a_plus.snapshot(), self.a_minus.snapshot())
        self.objects.daily.append_row(capture.row)
        o = self.objects
        p1, p2 = o.p1.value, o.p2.value
        assert isinstance(p1, int) and isinstance(p2, int)
        status = int(self.day_status | self._dst(at))
        o.lp2.append_row((stamp(o.clock, at), status, *self._totals(), p1, p2))
        self.day_status = LpStatus(0)

    def _capture_lp1(self, at: dt.datetime) -> None:
        """The LP1 row of the period ending at ``at``. Periods ending while the supply
        is off (from the power failure up to, not including, the return) get no row:
        the first row after the return carries power down | power up (0x80 | 0x40,
        MT372.md 4), so a reader sees the gap and why."""
        if not self.powered:
            return
        clock = self.objects.clock
        dst = clock.dst_active(at)
        flags = clock.flags
        status = int(self.status) | (_LP_DST if dst else 0)
        if flags & _CLOCK_INVALID:
            status |= _LP_CLOCK_INVALID
        a_plus, a_minus = self.a_plus, self.a_minus
        row = (lp_stamp(clock, at, dst, flags), status, a_plus.total % WRAP, a_minus.total % WRAP)
        self._lp1_rows.append(row)  # into the profile at the end of the advance
        self.status = _NO_STATUS

    # -- helpers ------------------------------------------------------------------------

    def _dst(self, at: dt.datetime) -> LpStatus:
        return LpStatus.DST_ACTIVE if self.objects.clock.dst_active(at) else LpStatus(0)

    def _totals(self) -> tuple[int, int]:
        return self.a_plus.total % WRAP, self.a_minus.total % WRAP

    def _flush_lp1(self) -> None:
        """The LP1 rows of the advance into the profile, in one go."""
        if self._lp1_rows:
            self.objects.lp1.extend_rows(self._lp1_rows)
            self._lp1_rows = []

    def checkpoint(self) -> None:
        self._flush_lp1()
        for hook in self.checkpoints:
            hook()

    def flag(self, bits: LpStatus) -> None:
        """Mark the running LP1 period and day with status bits."""
        self.status |= bits
        self.day_status |= bits

    def log(self, at: dt.datetime, code: int) -> None:
        """An entry in the log-book (and the last event code)."""
        o = self.objects
        o.event_log.append_row((stamp(o.clock, at), int(code)))
        o.last_event.value = LongUnsigned(code)

    def publish(self) -> None:
        """The engine's state into the COSEM objects."""
        o = self.objects
        for quantity, registers in ((o.a_plus, self.a_plus), (o.a_minus, self.a_minus)):
            quantity[0].value = DoubleLongUnsigned(registers.total % WRAP)
            for rate in range(1, 5):
                quantity[rate].value = DoubleLongUnsigned(registers.rate(rate) % WRAP)
        o.a_abs.value = DoubleLongUnsigned((self.a_plus.total + self.a_minus.total) % WRAP)
        o.tariff.value = Unsigned(self.rate)
        o.billing_counter.value = Unsigned(self.billing.counter % 256)
        o.status.value = Unsigned(int(self.status))
        self._publish_demand()
        self._publish_instantaneous()
        for component in self.components:
            component.publish(self)

    def _publish_demand(self) -> None:
        o, demand, clock = self.objects, self.demand, self.objects.clock
        o.current_demand.current_average_value = DoubleLongUnsigned(int(demand.current_average))
        o.current_demand.start_time_current = OctetString(stamp(clock, demand.start_time_current))
        o.last_demand.value = DoubleLongUnsigned(int(demand.last_average))
        for rate, register in enumerate(o.maximum_demand):
            maximum = demand.maximum(rate)
            register.value = DoubleLongUnsigned(int(maximum.value) if maximum else 0)
            if maximum is not None:
                register.capture_time = OctetString(stamp(clock, maximum.captured_at))

    def _publish_instantaneous(self) -> None:
        """Instantaneous values in SI units, into each register as declared (its scaler
        and type, :class:`openamr.meter.twin_objects.Scaled`)."""
        o = self.objects
        values = instantaneous(self.metrology, self.true_t)
        for phase, v in enumerate(values.phases):
            o.voltage[phase].publish(v.voltage_v)
            o.current[phase].publish(v.current_a)
            o.phase_pf[phase].publish(v.power_factor)
        o.power_import.publish(values.import_w)
        o.power_export.publish(values.export_w)
        o.power_factor.publish(values.power_factor)
        o.frequency.publish(values.frequency_hz)
