"""Instantaneous values at an instant: per-phase V, I, P, PF, angle; totals; the LED.

Power is the phase's level times its minute pattern (so it is constant per minute and
agrees with the energy registers); current follows from I = |P| / (V x PF), with the
consumption's power factor when importing and unity when exporting (PV inverter).
Per phase ``reversed`` is the LCD's current-reversal flag: the phase registers energy
flowing out of the installation.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from openamr.meter.metrology import grid
from openamr.meter.metrology.daytable import registered, thresholds
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.load import PATTERNS
from openamr.meter.metrology.model import DAY, SLOT, Instant, seconds


class LedState(enum.Enum):
    """The imp/kWh LED (datasheet): off without supply, lit with no load current,
    pulsing when the load current is above the starting current."""

    OFF = "off"
    STEADY = "steady"
    PULSING = "pulsing"


@dataclass(frozen=True, slots=True)
class PhaseValues:
    voltage_v: float
    current_a: float
    power_w: float  # + import, - export
    power_factor: float
    angle_deg: float  # current against voltage: 0..90 importing, 90..180 exporting
    present: bool  # voltage present (the LCD's L1/L2/L3)
    registering: bool  # above the starting current
    reversed: bool  # registering export on this phase (the LCD's reversal flag)


@dataclass(frozen=True, slots=True)
class Instantaneous:
    instant: int
    phases: tuple[PhaseValues, PhaseValues, PhaseValues]
    frequency_hz: float
    import_w: float  # P+ total (what A+ integrates)
    export_w: float  # P- total (what A- integrates)
    power_factor: float  # total: |sum P| / sum S
    sequence_ok: bool  # phase sequence RST (the LCD's sequence indicator)
    voltage_angles_deg: tuple[float, float, float]
    led: LedState
    led_hz: float  # LED pulses per second: (P+ + P-) x imp/kWh / 3.6e6


def led_state(m: Metrology, t: Instant) -> LedState:
    s = seconds(t)
    if not any(grid.phase_present(m.model, m.disturbances, s)):
        return LedState.OFF
    return LedState.PULSING if m.registering(s) else LedState.STEADY


def _phase(
    level: int, factor: float, volts: float, present: bool, pf_load: float, reg: int
) -> PhaseValues:
    power = level * factor
    pf = pf_load if level > 0 else 1.0
    current = abs(power) / (volts * pf) if volts > 0 else 0.0
    angle = math.degrees(math.acos(pf))
    return PhaseValues(
        voltage_v=volts,
        current_a=round(current, 3),
        power_w=round(power, 1),
        power_factor=pf,
        angle_deg=round(angle if level >= 0 else 180.0 - angle, 1),
        present=present,
        registering=reg != 0,
        reversed=reg < 0,
    )


def instantaneous(m: Metrology, t: Instant) -> Instantaneous:
    """Every instantaneous value of the meter at ``t``."""
    s = seconds(t)
    model, dists = m.model, m.disturbances
    table = m.day_table(s // DAY)
    x = s % DAY
    i = table.segment(x)
    minute = (x % SLOT) // 60
    factor = PATTERNS[table.pattern[i]][minute] / 1000
    volts = grid.voltages(model, dists, s)
    imp, exp = thresholds(model)
    levels = table.phase_power(x)
    present = grid.phase_present(model, dists, s)
    pfs = model.load.power_factor
    phases = tuple(
        _phase(w, factor, volts[p], present[p], pfs[p], registered(w, imp[p], exp[p]))
        for p, w in enumerate(levels)
    )
    p1, p2, p3 = phases
    swapped = grid.sequence_error(model, dists, s)
    return Instantaneous(
        instant=s,
        phases=(p1, p2, p3),
        frequency_hz=grid.frequency(model, dists, s),
        import_w=round(table.pos_w[i] * factor, 1),
        export_w=round(table.neg_w[i] * factor, 1),
        power_factor=_total_pf(phases),
        sequence_ok=not swapped,
        voltage_angles_deg=grid.voltage_angles(swapped),
        led=led_state(m, s),
        led_hz=(table.pos_w[i] + table.neg_w[i]) * factor * model.ratings.imp_per_kwh / 3.6e6,
    )


def _total_pf(phases: tuple[PhaseValues, ...]) -> float:
    apparent = sum(abs(p.power_w) / p.power_factor for p in phases)
    if apparent == 0:
        return 1.0
    return round(abs(sum(p.power_w for p in phases)) / apparent, 3)


__all__ = ["Instantaneous", "LedState", "PhaseValues", "instantaneous", "led_state"]
