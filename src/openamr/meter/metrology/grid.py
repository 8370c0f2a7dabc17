"""The grid model: per-phase voltage, frequency and the supply's state at an instant.

Undisturbed, each phase's voltage is Un x (1 + feeder offset (+-3 %, per meter) + phase
offset (+-1 %) - 1.2 % x evening sag (a daily sine) + noise (+-0.4 %, knots every
10 minutes, linear in between)). That stays inside 0.946..1.056 Un, well within the
0.8-1.15 Un range, so under and over voltage come only from injected disturbances:
quality events are exact and testable. Frequency: fn + 0.03 Hz slow sine + 0.01 Hz noise.

Disturbances override the voltage of the phases they apply to: a power failure or a
phase loss gives 0 V; sags and swells hold level x Un (the latest started wins).
Unconnected phases (``LoadConfig.connection``) have no voltage.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence

from openamr.meter.metrology.model import (
    DAY,
    PHASES,
    Disturbance,
    DisturbanceKind,
    MeterModel,
    Phase,
    unit,
)

_KNOT = 600  # voltage noise knots every 10 minutes
_VOLTAGE_KINDS = frozenset({DisturbanceKind.SAG, DisturbanceKind.SWELL, DisturbanceKind.PHASE_LOSS})


class VoltageState(enum.Enum):
    """A phase's voltage against the MT372's range (Ratings thresholds)."""

    LOST = "lost"  # below the loss threshold (0.5 Un) or no voltage
    UNDER = "under"  # below 0.8 Un
    NORMAL = "normal"
    OVER = "over"  # above 1.15 Un


#: :func:`unit`, remembered (it is pure; a reading asks the same ones within a minute).
#: The caches below are bounded: at most about 1 MiB each, whatever the fleet's size.
_unit = functools.lru_cache(maxsize=1 << 12)(unit)


@functools.lru_cache(maxsize=1 << 12)
def _knot(seed: int, phase: int, k: int) -> float:
    """The noise at knot ``k`` (pure: remembered, as the next reading asks it again)."""
    return unit(seed, 0x7017, phase, k)


@functools.lru_cache(maxsize=1 << 12)
def _feeder_offset(seed: int, phase: int) -> tuple[float, float]:
    """The meter's feeder level and the phase's own offset (pure: remembered)."""
    return 0.06 * unit(seed, 0xFEED) - 0.03, 0.02 * unit(seed, 0xFEED, phase) - 0.01


def _noise(seed: int, phase: int, t: int) -> float:
    k, r = divmod(t, _KNOT)
    a, b = _knot(seed, phase, k), _knot(seed, phase, k + 1)
    return (a + (b - a) * r / _KNOT) * 2.0 - 1.0


def nominal_voltage(model: MeterModel, phase: Phase, t: int) -> float:
    """The undisturbed voltage of ``phase`` at ``t`` (V, 0.1 V resolution)."""
    seed = model.seed
    feeder, offset = _feeder_offset(seed, int(phase))
    evening = 0.012 * math.sin(2 * math.pi * ((t % DAY) / DAY - 0.5))
    rel = 1.0 + feeder + offset + evening + 0.004 * _noise(seed, int(phase), t)
    return round(model.ratings.un_v * rel, 1)


def power_failure(disturbances: Sequence[Disturbance], t: int) -> bool:
    return any(d.kind is DisturbanceKind.POWER_FAILURE and d.active(t) for d in disturbances)


def _override(disturbances: Sequence[Disturbance], phase: Phase, t: int) -> Disturbance | None:
    """The voltage disturbance in force on ``phase`` at ``t``: a loss beats a sag or
    swell; among those the latest started wins."""
    found: Disturbance | None = None
    for d in disturbances:
        if d.kind in _VOLTAGE_KINDS and d.active(t) and d.applies(phase):
            if d.kind is DisturbanceKind.PHASE_LOSS:
                return d
            if found is None or d.start >= found.start:
                found = d
    return found


def voltage(model: MeterModel, disturbances: Sequence[Disturbance], phase: Phase, t: int) -> float:
    """The voltage of ``phase`` at ``t`` (V)."""
    if int(phase) > model.load.connection or power_failure(disturbances, t):
        return 0.0
    d = _override(disturbances, phase, t)
    if d is None:
        return nominal_voltage(model, phase, t)
    if d.kind is DisturbanceKind.PHASE_LOSS:
        return 0.0
    return round(model.ratings.un_v * d.level, 1)


def voltages(
    model: MeterModel, disturbances: Sequence[Disturbance], t: int
) -> tuple[float, float, float]:
    v1, v2, v3 = (voltage(model, disturbances, p, t) for p in PHASES)
    return (v1, v2, v3)


def voltage_state(model: MeterModel, volts: float) -> VoltageState:
    r = model.ratings
    if volts < r.loss_voltage_v:
        return VoltageState.LOST
    if volts < r.under_voltage_v:
        return VoltageState.UNDER
    if volts > r.over_voltage_v:
        return VoltageState.OVER
    return VoltageState.NORMAL


def _state(
    model: MeterModel, disturbances: Sequence[Disturbance], phase: Phase, t: int
) -> VoltageState:
    if int(phase) > model.load.connection or power_failure(disturbances, t):
        return VoltageState.LOST
    d = _override(disturbances, phase, t)
    if d is None:
        return VoltageState.NORMAL  # the undisturbed voltage never leaves the range
    if d.kind is DisturbanceKind.PHASE_LOSS:
        return VoltageState.LOST
    return voltage_state(model, round(model.ratings.un_v * d.level, 1))


def voltage_states(
    model: MeterModel, disturbances: Sequence[Disturbance], t: int
) -> tuple[VoltageState, VoltageState, VoltageState]:
    """Per phase, the voltage against the range (what voltage_state(voltage()) gives)."""
    if not disturbances:
        lost = VoltageState.LOST
        n = model.load.connection
        return (VoltageState.NORMAL, VoltageState.NORMAL if n > 1 else lost,
                VoltageState.NORMAL if n > 2 else lost)  # fmt: skip
    s1, s2, s3 = (_state(model, disturbances, p, t) for p in PHASES)
    return (s1, s2, s3)


def phase_present(
    model: MeterModel, disturbances: Sequence[Disturbance], t: int
) -> tuple[bool, ...]:
    """Per phase: is there voltage (not LOST)?"""
    return tuple(s is not VoltageState.LOST for s in voltage_states(model, disturbances, t))


def sequence_error(model: MeterModel, disturbances: Sequence[Disturbance], t: int) -> bool:
    """Wrong phase sequence: an injected swap while at least two phases are present."""
    return sequence_swapped(disturbances, t) and sum(phase_present(model, disturbances, t)) >= 2


def sequence_swapped(disturbances: Sequence[Disturbance], t: int) -> bool:
    """Is an injected phase-sequence swap in force at ``t``?"""
    return any(d.kind is DisturbanceKind.PHASE_SEQUENCE and d.active(t) for d in disturbances)


def frequency(model: MeterModel, disturbances: Sequence[Disturbance], t: int) -> float:
    """The supply frequency at ``t`` (Hz, 0.01 Hz resolution); 0 when the meter is down."""
    if not any(phase_present(model, disturbances, t)):
        return 0.0
    slow = 0.03 * math.sin(2 * math.pi * (t % 5400) / 5400 + _unit(model.seed, 0xF0))
    noise = 0.01 * (2.0 * _unit(model.seed, 0xF1, t // 60) - 1.0)
    return round(model.ratings.fn_hz + slow + noise, 2)


def voltage_angles(sequence_swapped: bool) -> tuple[float, float, float]:
    """Voltage phase angles of L1, L2, L3 in degrees (RST: 0, 120, 240)."""
    return (0.0, 240.0, 120.0) if sequence_swapped else (0.0, 120.0, 240.0)


__all__ = [
    "VoltageState",
    "frequency",
    "nominal_voltage",
    "phase_present",
    "power_failure",
    "sequence_error",
    "sequence_swapped",
    "voltage",
    "voltage_angles",
    "voltage_state",
    "voltage_states",
    "voltages",
]
