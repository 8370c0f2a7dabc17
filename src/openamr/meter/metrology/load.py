"""The load model: a seeded consumer (and PV) per meter, as 15-minute levels per day.

A day (UTC, ``day = t // 86400``) has 96 slots. Each slot has a consumption level (W,
total), a PV generation level (W, total) and a *minute pattern*: 15 multipliers in
permille summing to exactly 15000, so the power is piecewise constant per minute while
a whole slot's energy is exactly ``level x 900 s``. Everything comes from
``random.Random(mix(seed, day, stream))``: the same (seed, day) always gives the same day.

Consumption level = mean x shape(kind, local day type, local quarter hour) x season x
day factor x slot noise (+ appliance spikes for households). The shapes are hourly
relative curves (weekday, Saturday, Sunday) normalised to a weekly mean of 1 and
interpolated to quarter hours. PV = peak x clear-sky (sun elevation from latitude,
longitude, declination) x cloudiness (per day, per slot).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
from dataclasses import dataclass

from openamr.meter.metrology.model import (
    DAY,
    EPOCH,
    SLOT,
    LoadConfig,
    MeterModel,
    ProfileKind,
    Site,
    mix,
    unit,
)

SLOTS = DAY // SLOT
_LOAD_STREAM, _PV_STREAM = 0x10AD, 0x5017

# Relative hourly consumption, hour 0..23: (weekday, Saturday, Sunday).
_HOURLY: dict[ProfileKind, tuple[tuple[float, ...], ...]] = {
    ProfileKind.RESIDENTIAL: (
        (0.45, 0.38, 0.35, 0.34, 0.35, 0.45, 0.80, 1.10, 0.95, 0.75, 0.70, 0.72,
         0.80, 0.75, 0.70, 0.72, 0.85, 1.20, 1.60, 1.75, 1.65, 1.40, 1.05, 0.70),
        (0.50, 0.42, 0.38, 0.36, 0.36, 0.40, 0.50, 0.75, 1.00, 1.10, 1.05, 1.05,
         1.10, 1.00, 0.90, 0.90, 1.00, 1.25, 1.55, 1.65, 1.55, 1.35, 1.05, 0.75),
        (0.55, 0.45, 0.40, 0.37, 0.36, 0.38, 0.45, 0.65, 0.95, 1.10, 1.15, 1.25,
         1.30, 1.10, 0.95, 0.92, 1.00, 1.20, 1.50, 1.60, 1.50, 1.30, 1.00, 0.70),
    ),
    ProfileKind.COMMERCIAL: (
        (0.30, 0.30, 0.30, 0.30, 0.30, 0.35, 0.55, 1.10, 1.60, 1.75, 1.80, 1.80,
         1.70, 1.75, 1.75, 1.70, 1.55, 1.20, 0.80, 0.55, 0.45, 0.40, 0.35, 0.32),
        (0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.35, 0.50, 0.80, 0.95, 1.00, 1.00,
         0.90, 0.70, 0.50, 0.40, 0.35, 0.35, 0.32, 0.30, 0.30, 0.30, 0.30, 0.30),
        (0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.31, 0.32, 0.32, 0.32,
         0.32, 0.32, 0.32, 0.32, 0.31, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30),
    ),
    ProfileKind.INDUSTRIAL: (
        (0.55, 0.55, 0.55, 0.55, 0.60, 0.90, 1.40, 1.50, 1.50, 1.50, 1.45, 1.35,
         1.45, 1.50, 1.50, 1.45, 1.40, 1.40, 1.35, 1.30, 1.25, 1.10, 0.70, 0.60),
        (0.50, 0.50, 0.50, 0.50, 0.55, 0.80, 1.10, 1.15, 1.15, 1.15, 1.10, 1.05,
         1.10, 1.05, 0.70, 0.55, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50, 0.50),
        (0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45,
         0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45),
    ),
}  # fmt: skip

# Per kind: slot noise sigma (lognormal), day factor sigma, seasonal amplitude (winter +),
# appliance spike probability per slot and mean spike size (x mean).
_NOISE: dict[ProfileKind, tuple[float, float, float, float, float]] = {
    ProfileKind.RESIDENTIAL: (0.35, 0.10, 0.18, 0.04, 3.5),
    ProfileKind.COMMERCIAL: (0.10, 0.05, 0.08, 0.0, 0.0),
    ProfileKind.INDUSTRIAL: (0.06, 0.04, 0.03, 0.0, 0.0),
}
_DAY_TYPE = (0, 0, 0, 0, 0, 1, 2)  # Monday..Sunday -> weekday, Saturday, Sunday


def _quarter_hours(hourly: tuple[float, ...]) -> tuple[float, ...]:
    """Hourly values (at the hour's middle) interpolated to the 96 quarter hours."""
    out = []
    for q in range(SLOTS):
        pos = q / 4 + 0.125 - 0.5
        i = math.floor(pos)
        a, b = hourly[i % 24], hourly[(i + 1) % 24]
        out.append(a + (b - a) * (pos - i))
    return tuple(out)


def _shapes(kind: ProfileKind) -> tuple[tuple[float, ...], ...]:
    curves = [_quarter_hours(h) for h in _HOURLY[kind]]
    week_mean = (5 * sum(curves[0]) + sum(curves[1]) + sum(curves[2])) / (7 * SLOTS)
    return tuple(tuple(v / week_mean for v in c) for c in curves)


SHAPES = {kind: _shapes(kind) for kind in ProfileKind}
"""Per kind, per day type (weekday, Saturday, Sunday): 96 levels, weekly mean 1."""


def _patterns(count: int) -> tuple[tuple[int, ...], ...]:
    """Pattern 0 is flat; the others wander +-15 % and sum to 15000 exactly."""
    rng = random.Random(0x372)
    out: list[tuple[int, ...]] = [(1000,) * 15]
    while len(out) < count:
        head = [1000 + round(rng.gauss(0, 60)) for _ in range(14)]
        last = 15000 - sum(head)
        if all(850 <= v <= 1150 for v in [*head, last]):
            out.append((*head, last))
    return tuple(out)


PATTERNS = _patterns(17)
"""Minute patterns (permille of the slot level), 15 values each, sum 15000."""
PATTERN_PREFIX = tuple(
    tuple(sum(p[:m]) * 60 for m in range(16)) for p in PATTERNS
)  # permille-seconds from the slot start to minute m
PATTERN_MINUTES = tuple((*p, 0) for p in PATTERNS)


def pattern_integral(pattern: int, x: int) -> int:
    """Integral of the pattern from a slot's start to ``x`` seconds (0..900), in
    permille-seconds: times a level in W it is the energy in millijoules."""
    m, r = divmod(x, 60)
    return PATTERN_PREFIX[pattern][m] + PATTERN_MINUTES[pattern][m] * r


@dataclass(frozen=True, slots=True)
class DaySlots:
    """One day of the model: per slot consumption and PV (W, totals) and pattern."""

    load_w: tuple[float, ...]
    pv_w: tuple[float, ...]
    pattern: bytes


def utc_offset(tz: dt.tzinfo, t: int) -> int:
    offset = (EPOCH + dt.timedelta(seconds=t)).astimezone(tz).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def _slot_offsets(site: Site, base: int) -> list[int]:
    first, last = utc_offset(site.tz, base), utc_offset(site.tz, base + DAY - 1)
    if first == last:
        return [first] * SLOTS
    return [utc_offset(site.tz, base + s * SLOT) for s in range(SLOTS)]


def day_of_year(day: int) -> int:
    return (EPOCH + dt.timedelta(days=day)).timetuple().tm_yday


@functools.lru_cache(maxsize=64)
def day_shapes(kind: ProfileKind, site: Site, day: int) -> tuple[float, ...]:
    """Per slot of UTC day ``day``, the shape of ``kind`` at the slot's local quarter
    hour and day type (pure: shared by every meter of a kind and site, as a fleet
    asks it per day)."""
    shapes, base = SHAPES[kind], day * DAY
    return tuple(
        shapes[_DAY_TYPE[(local // DAY + 3) % 7]][(local % DAY) // SLOT]
        for local in (base + s * SLOT + off for s, off in enumerate(_slot_offsets(site, base)))
    )


def _consumption(model: MeterModel, day: int, rng: random.Random) -> tuple[float, ...]:
    """The day's consumption levels: the noise is ``rng.gauss`` written out (CPython's
    Box-Muller pairs, the second of a pair kept for the next draw), so that the 97
    draws of a day cost no method calls and do not depend on the Python version."""
    load = model.load
    sigma, day_sigma, season_amp, spike_p, spike_x = _NOISE[load.kind]
    season = 1.0 + season_amp * math.cos(2 * math.pi * (day_of_year(day) - 15) / 365.25)
    uniform, exp, log, sqrt = rng.random, math.exp, math.log, math.sqrt
    cos, sin = math.cos, math.sin
    x2pi = uniform() * math.tau
    g2rad = sqrt(-2.0 * log(1.0 - uniform()))
    spare: float | None = sin(x2pi) * g2rad
    day_factor = exp((0.0 + cos(x2pi) * g2rad * day_sigma) - day_sigma**2 / 2)
    scale = load.mean_w * season * day_factor * (1.0 - spike_p * spike_x)
    norm, mean_w, out = sigma**2 / 2, load.mean_w, []
    for shape in day_shapes(load.kind, model.site, day):
        if spare is None:
            x2pi = uniform() * math.tau
            g2rad = sqrt(-2.0 * log(1.0 - uniform()))
            z, spare = cos(x2pi) * g2rad, sin(x2pi) * g2rad
        else:
            z, spare = spare, None
        level = scale * shape * exp((0.0 + z * sigma) - norm)
        if spike_p and uniform() < spike_p:
            level += mean_w * spike_x * (0.5 + uniform())
        out.append(level)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _clear_sky(site: Site, day: int) -> tuple[float, ...]:
    """:func:`clear_sky`, shared by every meter of a site (a fleet asks it per day)."""
    return tuple(clear_sky(site, day))


def clear_sky(site: Site, day: int) -> list[float]:
    """Relative clear-sky PV output per slot of ``day`` (0..~0.75): 0.8 x
    sin(elevation)^1.15, the sun's elevation at the slot's middle."""
    decl = math.radians(23.44) * math.sin(2 * math.pi * (284 + day_of_year(day)) / 365)
    lat = math.radians(site.latitude_deg)
    a, b = math.sin(lat) * math.sin(decl), math.cos(lat) * math.cos(decl)
    out = []
    for s in range(SLOTS):
        solar_h = (s * SLOT + SLOT // 2) / 3600 + site.longitude_deg / 15
        sin_el = a + b * math.cos(math.radians(15 * (solar_h - 12)))
        out.append(0.8 * sin_el**1.15 if sin_el > 0 else 0.0)
    return out


def _generation(model: MeterModel, day: int) -> tuple[float, ...]:
    peak = model.load.pv_peak_w
    if peak <= 0:
        return (0.0,) * SLOTS
    rng = random.Random(mix(model.seed, day, _PV_STREAM))
    summer = 0.5 + 0.5 * math.cos(2 * math.pi * (day_of_year(day) - 172) / 365.25)
    clearness = 1.0 - 0.85 * rng.random() ** (0.7 + 1.3 * summer)
    spread = 1.0 - clearness
    sky = _clear_sky(model.site, day)
    return tuple(peak * s * clearness * (1.0 - spread * rng.random()) for s in sky)


def day_slots(model: MeterModel, day: int) -> DaySlots:
    """The model's 96 slots of UTC day ``day`` (days since the epoch)."""
    rng = random.Random(mix(model.seed, day, _LOAD_STREAM))
    load = _consumption(model, day, rng)
    # slot s takes pattern 1 + bits 4s..4s+3: the low and the high nibble of each octet
    octets = rng.getrandbits(4 * SLOTS).to_bytes(SLOTS // 2, "little")
    pattern = bytearray(SLOTS)
    pattern[0::2], pattern[1::2] = octets.translate(_LOW_NIBBLE), octets.translate(_HIGH_NIBBLE)
    return DaySlots(load, _generation(model, day), bytes(pattern))


_LOW_NIBBLE = bytes(1 + (b & 15) for b in range(256))
_HIGH_NIBBLE = bytes(1 + (b >> 4) for b in range(256))


# Per kind: (share of meters, mean W range, PV share, PV peak W range, PF range).
_FLEET: dict[ProfileKind, tuple[float, tuple[float, float], float, tuple[float, float],
                                tuple[float, float]]] = {
    ProfileKind.RESIDENTIAL: (0.80, (250.0, 700.0), 0.30, (3000.0, 10000.0), (0.95, 0.99)),
    ProfileKind.COMMERCIAL: (0.15, (2000.0, 8000.0), 0.20, (10000.0, 30000.0), (0.90, 0.97)),
    ProfileKind.INDUSTRIAL: (0.05, (8000.0, 20000.0), 0.10, (20000.0, 40000.0), (0.82, 0.92)),
}  # fmt: skip


def _between(bounds: tuple[float, float], u: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * u


def _pick_kind(seed: int) -> ProfileKind:
    u, acc = unit(seed, 1), 0.0
    for kind, spec in _FLEET.items():
        acc += spec[0]
        if u < acc:
            return kind
    return ProfileKind.RESIDENTIAL


def seeded_load(
    seed: int,
    kind: ProfileKind | None = None,
    pv: bool | None = None,
    connection: int | None = None,
) -> LoadConfig:
    """A realistic consumer drawn from ``seed``; the arguments pin what they name."""
    kind = kind if kind is not None else _pick_kind(seed)
    _, mean_range, pv_share, pv_range, pf_range = _FLEET[kind]
    has_pv = pv if pv is not None else unit(seed, 3) < pv_share
    if connection is None:
        single = kind is ProfileKind.RESIDENTIAL and unit(seed, 4) < 0.2
        connection = 1 if single else 3
    raw = [0.8 + 0.4 * unit(seed, 5, p) for p in range(3)]
    pfs = [round(_between(pf_range, unit(seed, 7, p)), 3) for p in range(3)]
    return LoadConfig(
        kind=kind,
        mean_w=round(_between(mean_range, unit(seed, 2))),
        pv_peak_w=round(_between(pv_range, unit(seed, 6))) if has_pv else 0.0,
        connection=connection,
        split=(raw[0] / sum(raw), raw[1] / sum(raw), raw[2] / sum(raw)),
        power_factor=(pfs[0], pfs[1], pfs[2]),
    )
