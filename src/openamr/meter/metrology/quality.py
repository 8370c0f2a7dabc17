"""Power quality events, detected from the model over an interval (pure functions).

The meter's view of the supply at an instant is a :class:`SupplyState`: per phase the
voltage state (LOST < 0.5 Un <= UNDER < 0.8 Un <= NORMAL <= 1.15 Un < OVER), per phase
the current-reversal flag (the phase registers export), and the phase-sequence flag.
The meter is powered while any phase is present. Events are the state's transitions at
instants x in (t0, t1]: state(x - 1) differs from state(x). So consecutive intervals
(t0, t1], (t1, t2] give exactly the events of (t0, t2].

While the meter is down (no phase present) it sees nothing: a power failure gives one
POWER_FAILURE; at the return it logs POWER_RETURN, then the differences between what
it saw before the failure and what it sees now (a phase still missing after the return
gives no event if it was already missing before). At one instant the order is: power
return, then per phase L1..L3 the voltage end, voltage begin, reversal; then sequence.

Undisturbed voltages stay inside the range (see grid.py), so voltage events come only
from injected disturbances; current reversal comes from the model too (PV export on a
phase, or an injected reversal).
"""

from __future__ import annotations

import enum
import heapq
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from openamr.meter.metrology import grid
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.grid import VoltageState
from openamr.meter.metrology.model import PHASES, Instant, Phase, seconds


class QualityKind(enum.Enum):
    POWER_FAILURE = "power-failure"
    POWER_RETURN = "power-return"
    PHASE_LOSS = "phase-loss"
    PHASE_RETURN = "phase-return"
    UNDER_VOLTAGE_BEGIN = "under-voltage-begin"
    UNDER_VOLTAGE_END = "under-voltage-end"
    OVER_VOLTAGE_BEGIN = "over-voltage-begin"
    OVER_VOLTAGE_END = "over-voltage-end"
    CURRENT_REVERSAL_BEGIN = "current-reversal-begin"
    CURRENT_REVERSAL_END = "current-reversal-end"
    PHASE_SEQUENCE_ERROR = "phase-sequence-error"
    PHASE_SEQUENCE_RESTORED = "phase-sequence-restored"


@dataclass(frozen=True, slots=True)
class QualityEvent:
    instant: int
    kind: QualityKind
    phase: Phase | None


@dataclass(frozen=True, slots=True)
class SupplyState:
    powered: bool
    voltage: tuple[VoltageState, VoltageState, VoltageState]
    reversed: tuple[bool, bool, bool]
    sequence_error: bool


_BEGIN = {
    VoltageState.LOST: QualityKind.PHASE_LOSS,
    VoltageState.UNDER: QualityKind.UNDER_VOLTAGE_BEGIN,
    VoltageState.OVER: QualityKind.OVER_VOLTAGE_BEGIN,
}
_END = {
    VoltageState.LOST: QualityKind.PHASE_RETURN,
    VoltageState.UNDER: QualityKind.UNDER_VOLTAGE_END,
    VoltageState.OVER: QualityKind.OVER_VOLTAGE_END,
}
_REVERSAL = {True: QualityKind.CURRENT_REVERSAL_BEGIN, False: QualityKind.CURRENT_REVERSAL_END}
_SEQUENCE = {True: QualityKind.PHASE_SEQUENCE_ERROR, False: QualityKind.PHASE_SEQUENCE_RESTORED}


def supply_state(m: Metrology, t: Instant, reversal: bool = True) -> SupplyState:
    """What the meter sees at ``t``."""
    s = seconds(t)
    volts = grid.voltage_states(m.model, m.disturbances, s)
    rev = tuple(w < 0 for w in m.registered_power(s)) if reversal else (False,) * 3
    present = sum(v is not VoltageState.LOST for v in volts)
    return SupplyState(
        powered=present > 0,
        voltage=volts,
        reversed=(rev[0], rev[1], rev[2]),
        sequence_error=present >= 2 and grid.sequence_swapped(m.disturbances, s),
    )


def _remembered(m: Metrology, s: int, reversal: bool) -> SupplyState:
    """The state the meter keeps at ``s``: if it is down, what it saw just before the
    outage began (outages begin where a disturbance does)."""
    state = supply_state(m, s, reversal)
    if state.powered:
        return state
    for start in sorted({d.start for d in m.disturbances if d.start <= s}, reverse=True):
        before = supply_state(m, start - 1, reversal)
        if before.powered:
            return replace(before, powered=False)
    return state


def _diff(a: SupplyState, b: SupplyState, x: int) -> list[QualityEvent]:
    out: list[QualityEvent] = []
    for i, phase in enumerate(PHASES):
        va, vb = a.voltage[i], b.voltage[i]
        if va is not vb:
            if va in _END:
                out.append(QualityEvent(x, _END[va], phase))
            if vb in _BEGIN:
                out.append(QualityEvent(x, _BEGIN[vb], phase))
        if a.reversed[i] != b.reversed[i]:
            out.append(QualityEvent(x, _REVERSAL[b.reversed[i]], phase))
    if a.sequence_error != b.sequence_error:
        out.append(QualityEvent(x, _SEQUENCE[b.sequence_error], None))
    return out


def _transition(known: SupplyState, now: SupplyState, x: int) -> list[QualityEvent]:
    if not now.powered:
        return [QualityEvent(x, QualityKind.POWER_FAILURE, None)] if known.powered else []
    if not known.powered:
        return [QualityEvent(x, QualityKind.POWER_RETURN, None), *_diff(known, now, x)]
    return _diff(known, now, x)


def quality_events(
    m: Metrology, t0: Instant, t1: Instant, reversal: bool = True
) -> list[QualityEvent]:
    """The quality events at instants in (t0, t1], sorted by instant.

    ``reversal=False`` skips current-reversal detection (cheaper: only disturbance
    edges are examined).
    """
    s0, s1 = seconds(t0), seconds(t1)
    edges = sorted({e for d in m.disturbances for e in (d.start, d.end) if s0 < e <= s1})
    points = heapq.merge(edges, m.power_changes(s0, s1)) if reversal else iter(edges)
    known = _remembered(m, s0, reversal)
    events: list[QualityEvent] = []
    previous = None
    for x in points:
        if x == previous:
            continue
        previous = x
        now = supply_state(m, x, reversal)
        events += _transition(known, now, x)
        known = now if now.powered else replace(known, powered=False)
    return events


def counters(events: Iterable[QualityEvent]) -> Counter[tuple[QualityKind, Phase | None]]:
    """How many events of each (kind, phase): the under/over voltage counters are the
    ``*_BEGIN`` counts."""
    return Counter((e.kind, e.phase) for e in events)
