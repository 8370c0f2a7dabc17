"""Seeded grid disturbances at realistic rates: the grid a head-end meets in the field
(continuity and voltage quality as EN 50160 and the CEER benchmarking reports describe
European LV networks), drawn per calendar year from the meter's seed, so the same
meter sees the same grid every run and after every restart.

Rates per customer and year (decisions, inside the ranges those reports give):

=========================  ======  ==========================================
event                      rate/a  duration, level
=========================  ======  ==========================================
long interruption (> 3 min)  1.5    3 min to 4 h (median ~ 40 min), all phases
short interruption (<= 3 min) 4      1 s to 3 min, all phases
voltage sag (dip)           12      1 to 5 s at 0.40 to 0.85 Un, one phase
voltage swell                2      1 to 10 s at 1.12 to 1.20 Un, one phase
=========================  ======  ==========================================

A year's counts are Poisson, its instants uniform over the year (sans-IO: only the
seed and the year decide them).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from openamr.meter.metrology.model import PHASES, Disturbance, DisturbanceKind, seconds


@dataclass(frozen=True, slots=True)
class GridRates:
    """Events per customer and year."""

    long_interruptions: float = 1.5
    short_interruptions: float = 4.0
    sags: float = 12.0
    swells: float = 2.0


FIELD_RATES = GridRates()


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (a mean of a few events)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def year_disturbances(seed: int, year: int, rates: GridRates = FIELD_RATES) -> list[Disturbance]:
    """The disturbances of one calendar year (UTC) for the meter of ``seed``."""
    digest = hashlib.sha256(f"grid/{seed}/{year}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    start = seconds(dt.datetime(year, 1, 1, tzinfo=dt.UTC))
    length = seconds(dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC)) - start
    found: list[Disturbance] = []

    def at() -> int:
        return start + rng.randrange(length)

    for _ in range(_poisson(rng, rates.long_interruptions)):
        t, d = at(), int(min(4 * 3600, max(181, rng.lognormvariate(math.log(2400), 0.9))))
        found.append(Disturbance(t, t + d, None, DisturbanceKind.POWER_FAILURE))
    for _ in range(_poisson(rng, rates.short_interruptions)):
        t = at()
        found.append(Disturbance(t, t + rng.randint(1, 180), None, DisturbanceKind.POWER_FAILURE))
    for _ in range(_poisson(rng, rates.sags)):
        t, level = at(), round(rng.uniform(0.40, 0.85), 2)
        phase = rng.choice(PHASES)
        found.append(Disturbance(t, t + rng.randint(1, 5), phase, DisturbanceKind.SAG, level))
    for _ in range(_poisson(rng, rates.swells)):
        t, level = at(), round(rng.uniform(1.12, 1.20), 2)
        phase = rng.choice(PHASES)
        found.append(Disturbance(t, t + rng.randint(1, 10), phase, DisturbanceKind.SWELL, level))
    return _apart(sorted(found, key=lambda x: x.start))


def _apart(events: list[Disturbance]) -> list[Disturbance]:
    """Drop an event that starts while an earlier one lasts (one event at a time)."""
    kept: list[Disturbance] = []
    for d in events:
        if not kept or d.start > kept[-1].end:
            kept.append(d)
    return kept


def seeded_disturbances(
    seed: int, since: dt.datetime, years: int = 30, rates: GridRates = FIELD_RATES
) -> Iterator[Disturbance]:
    """The meter's disturbances after ``since``, for ``years`` calendar years."""
    first, after = since.astimezone(dt.UTC).year, seconds(since)
    for year in range(first, first + years):
        yield from (d for d in year_disturbances(seed, year, rates) if d.start > after)
