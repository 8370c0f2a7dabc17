"""Exact energy registers: A+, A- and |A| as integrals of the model's power.

The register at ``t`` is the integral of the registered power from commissioning to
``t`` (whole seconds), computed in integer millijoules from the day tables, so it does
not depend on how the caller steps time: ``energy(t2) - energy(t0) ==
energy_between(t0, t1) + energy_between(t1, t2)`` to the millijoule, and stepping an
hour at once or 3600 seconds one by one gives the same registers.

Cost: a day table is built once per day visited (about 0.2 ms) and kept in a tiny cache
(``cache_days``, default 2); the cumulative energy at one day's start (a checkpoint)
moves with the caller, so ``energy(t)`` costs O(days moved) builds, then O(log 100).
Per meter state: the model, the injected events and at most ``cache_days`` tables
(a few kB each).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openamr.meter.metrology.daytable import DayTable, build_day, registered, thresholds
from openamr.meter.metrology.model import (
    DAY,
    EPOCH,
    POWER_KINDS,
    Disturbance,
    Instant,
    LoadStep,
    MeterModel,
    seconds,
)

MJ_PER_MWH = 3_600
_SECOND = dt.timedelta(seconds=1)
MJ_PER_WH = 3_600_000
MJ_PER_KWH = 3_600_000_000


@dataclass(frozen=True, slots=True)
class Energy:
    """Active energy, exact, in millijoules; the ``*_wh`` and ``*_mwh`` views floor.

    |A| is A+ + A- (OBIS 15.8.0, "absolute": |+A| + |-A|).
    """

    a_plus_mj: int = 0
    a_minus_mj: int = 0

    def __add__(self, other: Energy) -> Energy:
        return Energy(self.a_plus_mj + other.a_plus_mj, self.a_minus_mj + other.a_minus_mj)

    def __sub__(self, other: Energy) -> Energy:
        return Energy(self.a_plus_mj - other.a_plus_mj, self.a_minus_mj - other.a_minus_mj)

    @property
    def a_abs_mj(self) -> int:
        return self.a_plus_mj + self.a_minus_mj

    @property
    def a_plus_mwh(self) -> int:
        return self.a_plus_mj // MJ_PER_MWH

    @property
    def a_minus_mwh(self) -> int:
        return self.a_minus_mj // MJ_PER_MWH

    @property
    def a_abs_mwh(self) -> int:
        return self.a_abs_mj // MJ_PER_MWH

    @property
    def a_plus_wh(self) -> int:
        return self.a_plus_mj // MJ_PER_WH

    @property
    def a_minus_wh(self) -> int:
        return self.a_minus_mj // MJ_PER_WH

    @property
    def a_abs_wh(self) -> int:
        return self.a_abs_mj // MJ_PER_WH


class Metrology:
    """One meter's metrology: the model, its injected events, and exact registers."""

    def __init__(
        self,
        model: MeterModel,
        commissioned: Instant,
        disturbances: Iterable[Disturbance] = (),
        steps: Iterable[LoadStep] = (),
        cache_days: int = 2,
    ) -> None:
        self.model = model
        self.commissioned = seconds(commissioned)
        self._disturbances = sorted(disturbances, key=lambda d: d.start)
        self._steps = sorted(steps, key=lambda s: s.start)
        self._cache: dict[int, DayTable] = {}
        self._cache_days = max(1, cache_days)
        self._ck: tuple[int, int, int] | None = None  # (day, A+ mJ, A- mJ) at the day's start
        self._last: tuple[dt.datetime, int, int] | None = None  # energy_mj's last answer

    @property
    def disturbances(self) -> tuple[Disturbance, ...]:
        return tuple(self._disturbances)

    @property
    def steps(self) -> tuple[LoadStep, ...]:
        return tuple(self._steps)

    def add_disturbance(self, d: Disturbance) -> None:
        """Inject a disturbance. Energy already read before ``d.start`` is unchanged."""
        if d.kind in POWER_KINDS:
            self._invalidate_from(d.start // DAY)
        bisect.insort_right(self._disturbances, d, key=lambda x: x.start)

    def add_load_step(self, step: LoadStep) -> None:
        """Inject a load change from ``step.start`` on."""
        self._invalidate_from(step.start // DAY)
        bisect.insort_right(self._steps, step, key=lambda x: x.start)

    def release(self) -> None:
        """Drop the cached day tables (for idle twins); the checkpoint stays."""
        self._cache.clear()

    # -- day tables --------------------------------------------------------------------

    def day_table(self, day: int) -> DayTable:
        """The table of UTC day ``day`` (days since the epoch), cached."""
        table = self._cache.get(day)
        if table is None:
            table = build_day(self.model, day, self._steps, self._disturbances)
            if len(self._cache) >= self._cache_days:
                del self._cache[next(iter(self._cache))]
            self._cache[day] = table
        return table

    def _invalidate_from(self, day: int) -> None:
        self._last = None
        commissioning_day = self.commissioned // DAY
        if self._ck is not None and day <= commissioning_day:
            self._ck = None
        elif self._ck is not None and self._ck[0] > day:
            self._seek(day)
        for cached in [k for k in self._cache if k >= day]:
            del self._cache[cached]

    # -- registers ---------------------------------------------------------------------

    def _seek(self, day: int) -> tuple[int, int]:
        """Cumulative (A+, A-) mJ from commissioning to the start of ``day``."""
        if self._ck is None:
            c_day = self.commissioned // DAY
            plus, minus = self.day_table(c_day).energy(self.commissioned - c_day * DAY)
            self._ck = (c_day, -plus, -minus)
        ck_day, plus, minus = self._ck
        while ck_day < day:
            table = self.day_table(ck_day)
            plus, minus, ck_day = plus + table.cum_plus[-1], minus + table.cum_minus[-1], ck_day + 1
        while ck_day > day:
            ck_day -= 1
            table = self.day_table(ck_day)
            plus, minus = plus - table.cum_plus[-1], minus - table.cum_minus[-1]
        self._ck = (ck_day, plus, minus)
        return plus, minus

    def day_start(self, day: int) -> tuple[int, int, DayTable]:
        """Cumulative (A+, A-) mJ at the start of UTC day ``day`` and the day's table:
        the energy at second ``x`` of the day is that plus ``table.energy(x)`` (for an
        instant after commissioning), what :meth:`energy_mj` computes."""
        plus, minus = self._seek(day)
        return plus, minus, self.day_table(day)

    def energy(self, t: Instant) -> Energy:
        """The registers A+ and A- at ``t``: the exact integral since commissioning."""
        s = seconds(t)
        if s <= self.commissioned:
            return Energy()
        day = s // DAY
        plus, minus = self._seek(day)
        dp, dm = self.day_table(day).energy(s - day * DAY)
        return Energy(plus + dp, minus + dm)

    def energy_mj(self, t: dt.datetime) -> tuple[int, int]:
        """(A+, A-) mJ of :meth:`energy` at the aware instant ``t``, remembering the
        last answer (a twin asks for the end of one cut, then for it as the start of
        the next)."""
        last = self._last
        if last is not None and last[0] == t:
            return last[1], last[2]
        s = (t - EPOCH) // _SECOND  # seconds(t): an aware instant, floored
        if s <= self.commissioned:
            plus = minus = 0
        else:
            day = s // DAY
            plus, minus = self._seek(day)
            dp, dm = self.day_table(day).energy(s - day * DAY)
            plus, minus = plus + dp, minus + dm
        self._last = (t, plus, minus)
        return plus, minus

    def energy_between(self, t0: Instant, t1: Instant) -> Energy:
        """The energy registered in [t0, t1): exact, additive over any partition."""
        s0, s1 = seconds(t0), seconds(t1)
        if s1 < s0:
            raise ValueError(f"interval ends ({s1}) before it starts ({s0})")
        return self.energy(s1) - self.energy(s0)

    def pulse_count(self, t: Instant) -> int:
        """LED pulses emitted since commissioning (|A| x imp/kWh, floored)."""
        return self.energy(t).a_abs_mj * self.model.ratings.imp_per_kwh // MJ_PER_KWH

    # -- power ---------------------------------------------------------------------------

    def phase_power(self, t: Instant) -> tuple[int, int, int]:
        """Per phase, the model's power level (W, + import) at ``t``, before the starting
        current threshold; the instantaneous power is this x the minute pattern."""
        s = seconds(t)
        return self.day_table(s // DAY).phase_power(s % DAY)

    def registered_power(self, t: Instant) -> tuple[int, int, int]:
        """Per phase, the level that registers (0 below the starting current)."""
        imp, exp = thresholds(self.model)
        p1, p2, p3 = (registered(w, imp[i], exp[i]) for i, w in enumerate(self.phase_power(t)))
        return (p1, p2, p3)

    def registering(self, t: Instant) -> bool:
        """Does energy accumulate at ``t`` (the LED pulses)?"""
        s = seconds(t)
        table = self.day_table(s // DAY)
        i = table.segment(s % DAY)
        return table.pos_w[i] > 0 or table.neg_w[i] > 0

    def power_changes(self, t0: Instant, t1: Instant) -> Iterator[int]:
        """The instants in (t0, t1] where a phase's power level may change, ascending
        (lazily, one day table at a time)."""
        s0, s1 = seconds(t0), seconds(t1)
        for day in range(s0 // DAY, s1 // DAY + 1):
            base = day * DAY
            starts = self.day_table(day).starts
            first = bisect.bisect_right(starts, max(s0 - base, -1))
            last = bisect.bisect_right(starts, s1 - base)
            for x in starts[first:last]:
                yield base + x
