"""One day of registered power as segments with prefix sums: exact energy in O(log n).

A day (UTC) is cut into segments: the 96 load slots, further cut wherever a load step
or a power-changing disturbance (phase loss, power failure, current reversal) begins or
ends. In a segment each phase's power is ``level x pattern(minute) / 1000`` with a
constant integer level (W), so the energy from the segment's start to any second is the
exact integer ``level x pattern_integral`` in millijoules (mJ). The table keeps, per
segment, the registered import and export levels and the cumulative energies at its
start::

    starts    0     900   1337  1800 ...   (seconds of the day; 1337 = an injected break)
    pattern   p0    p1    p1    p2   ...   (the slot's minute pattern; 0 = flat)
    pos_w     412   398   0     455  ...   (W registered as A+; NET: max(sum, 0))
    neg_w     0     0     0     0    ...   (W registered as A-)
    cum_plus  0     a1    a2    a3   ...   (mJ of A+ from the day's start)

A phase registers only at or above the starting current: |P| >= Un x PF x Ist.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import add, mul, sub

from openamr.meter.metrology.load import SLOTS, DaySlots, day_slots, pattern_integral
from openamr.meter.metrology.model import (
    DAY,
    POWER_KINDS,
    SLOT,
    Disturbance,
    DisturbanceKind,
    LoadStep,
    MeterModel,
    Summation,
)

SLOT_STARTS = tuple(range(0, DAY, SLOT))
_FULL_SLOTS = [pattern_integral(0, SLOT)] * SLOTS  # every pattern integrates to 900000


@dataclass(frozen=True, slots=True)
class DayTable:
    starts: Sequence[int]
    pattern: bytes
    phase_w: array[int]  # 3 per segment: model power per phase (W, + import), unthresholded
    pos_w: array[int]
    neg_w: array[int]
    cum_plus: array[int]  # n + 1 entries, the last is the day's total
    cum_minus: array[int]

    def segment(self, x: int) -> int:
        """Index of the segment holding second ``x`` of the day (0 <= x < 86400)."""
        if self.starts is SLOT_STARTS:
            return min(x // SLOT, SLOTS - 1)
        return bisect.bisect_right(self.starts, x) - 1

    def energy(self, x: int) -> tuple[int, int]:
        """(A+, A-) in mJ from the day's start to second ``x`` (0..86400)."""
        if self.starts is SLOT_STARTS:  # the usual day: segments are the slots
            i = x // SLOT if x < DAY else SLOTS - 1
            d = pattern_integral(self.pattern[i], x - i * SLOT)
            return self.cum_plus[i] + self.pos_w[i] * d, self.cum_minus[i] + self.neg_w[i] * d
        i = self.segment(x)
        s0 = self.starts[i]
        slot0 = s0 - s0 % SLOT
        p = self.pattern[i]
        d = pattern_integral(p, x - slot0)
        if s0 != slot0:
            d -= pattern_integral(p, s0 - slot0)
        return self.cum_plus[i] + self.pos_w[i] * d, self.cum_minus[i] + self.neg_w[i] * d

    def phase_power(self, x: int) -> tuple[int, int, int]:
        i = 3 * self.segment(x)
        return (self.phase_w[i], self.phase_w[i + 1], self.phase_w[i + 2])


def thresholds(model: MeterModel) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per phase, the smallest registered power (W) when importing and when exporting
    (PV inverters run at unity power factor)."""
    r = model.ratings
    ist = r.un_v * r.starting_current_a
    return tuple(ist * pf for pf in model.load.power_factor), (ist, ist, ist)


def registered(p: int, imp: float, exp: float) -> int:
    """``p`` if it is at or above the starting current, else 0."""
    if p >= 0:
        return p if p >= imp else 0
    return p if -p >= exp else 0


def _breaks(base: int, steps: Sequence[LoadStep], dists: Sequence[Disturbance]) -> list[int]:
    points = {s.start - base for s in steps}
    for d in dists:
        if d.kind in POWER_KINDS:
            points.update((d.start - base, d.end - base))
    return sorted(x for x in points if 0 < x < DAY and x % SLOT)


def _step_at(steps: Sequence[LoadStep], starts: Sequence[int], t: int) -> LoadStep | None:
    """The step in force at ``t`` (steps sorted by start; the later of equals wins)."""
    i = bisect.bisect_right(starts, t)
    return steps[i - 1] if i else None


def _phase_signs(dists: Sequence[Disturbance], t: int) -> list[int]:
    """Per phase 1 (normal), 0 (no power) or -1 (reversed current) at ``t``."""
    signs = [1, 1, 1]
    for d in dists:
        if d.kind not in POWER_KINDS or not d.active(t):
            continue
        for p in range(3):
            if d.phase is None or d.kind is DisturbanceKind.POWER_FAILURE or d.phase == p + 1:
                if d.kind is DisturbanceKind.CURRENT_REVERSAL:
                    signs[p] = -signs[p]
                else:
                    signs[p] = 0
    return signs


class _Builder:
    def __init__(self, model: MeterModel, day: int) -> None:
        self.model, self.base = model, day * DAY
        self.split, self.pv_split = model.load.load_split(), model.load.pv_split()
        self.imp, self.exp = thresholds(model)
        self.net = model.summation is Summation.NET
        self.starts: list[int] = []
        self.pattern = bytearray()
        self.phase_w: array[int] = array("q")
        self.pos_w: array[int] = array("q")
        self.neg_w: array[int] = array("q")

    def add(self, x: int, load_w: float, pv_w: float, pattern: int, signs: list[int]) -> None:
        self.starts.append(x)
        self.pattern.append(pattern)
        (s1, s2, s3), (v1, v2, v3), (i1, i2, i3) = self.split, self.pv_split, self.imp
        e1, e2, e3 = self.exp
        w1 = round(load_w * s1 - pv_w * v1) * signs[0]
        w2 = round(load_w * s2 - pv_w * v2) * signs[1]
        w3 = round(load_w * s3 - pv_w * v3) * signs[2]
        self.phase_w.extend((w1, w2, w3))
        pos = (w1 if w1 >= i1 else 0) + (w2 if w2 >= i2 else 0) + (w3 if w3 >= i3 else 0)
        neg = (
            (-w1 if w1 < i1 and -w1 >= e1 else 0)
            + (-w2 if w2 < i2 and -w2 >= e2 else 0)
            + (-w3 if w3 < i3 and -w3 >= e3 else 0)
        )
        if self.net:
            pos, neg = max(pos - neg, 0), max(neg - pos, 0)
        self.pos_w.append(pos)
        self.neg_w.append(neg)

    def _widths(self) -> list[int]:
        """Per segment, the pattern's integral over it (permille-seconds)."""
        widths = []
        for i, (s0, s1) in enumerate(zip(self.starts, [*self.starts[1:], DAY], strict=True)):
            slot0, p = s0 - s0 % SLOT, self.pattern[i]
            widths.append(pattern_integral(p, s1 - slot0) - pattern_integral(p, s0 - slot0))
        return widths

    def finish(self, shared_starts: bool) -> DayTable:
        widths = _FULL_SLOTS if shared_starts else self._widths()
        plus = array("q", accumulate(map(mul, self.pos_w, widths), initial=0))
        minus = array("q", accumulate(map(mul, self.neg_w, widths), initial=0))
        starts = SLOT_STARTS if shared_starts else tuple(self.starts)
        return DayTable(
            starts, bytes(self.pattern), self.phase_w, self.pos_w, self.neg_w, plus, minus
        )


def build_day(
    model: MeterModel,
    day: int,
    steps: Sequence[LoadStep],
    disturbances: Sequence[Disturbance],
) -> DayTable:
    """The day table of UTC day ``day`` under the given steps and disturbances (each
    sorted by start)."""
    base = day * DAY
    slots: DaySlots = day_slots(model, day)
    dists = [
        d for d in disturbances if d.kind in POWER_KINDS and d.start < base + DAY and d.end > base
    ]
    breaks = _breaks(base, [s for s in steps if base < s.start < base + DAY], dists)
    if not breaks and not dists and (not steps or steps[0].start > base + DAY - SLOT):
        return _plain_day(model, slots)
    starts = sorted({*SLOT_STARTS, *breaks}) if breaks else SLOT_STARTS
    b = _Builder(model, day)
    plain, step_starts = [1, 1, 1], [s.start for s in steps]
    for x in starts:
        s, t = x // SLOT, base + x
        load_w, pattern = slots.load_w[s], slots.pattern[s]
        step = _step_at(steps, step_starts, t) if steps else None
        if step is not None and step.level_w is not None:
            load_w, pattern = float(step.level_w), 0
        elif step is not None:
            load_w *= step.scale
        b.add(x, load_w, slots.pv_w[s], pattern, _phase_signs(dists, t) if dists else plain)
    return b.finish(shared_starts=not breaks)


def _plain_day(model: MeterModel, slots: DaySlots) -> DayTable:
    """:func:`build_day` of a day without steps or disturbances, a whole day at a time
    (the same arithmetic as :meth:`_Builder.add`, slot by slot)."""
    (s1, s2, s3), (v1, v2, v3) = model.load.load_split(), model.load.pv_split()
    (i1, i2, i3), (e1, e2, e3) = thresholds(model)
    loads, pvs = slots.load_w, slots.pv_w
    # per phase round(w x s - g x v), element by element (map: the same operations)
    if any(pvs):
        p1, p2, p3 = (
            list(map(round, map(sub, map(mul, loads, repeat(s)), map(mul, pvs, repeat(v)))))
            for s, v in ((s1, v1), (s2, v2), (s3, v3))
        )
    else:  # no generation: w x s - 0.0 is w x s exactly (and rounds alike at -0.0)
        p1, p2, p3 = (list(map(round, map(mul, loads, repeat(s)))) for s in (s1, s2, s3))
    if min(p1) >= i1 and min(p2) >= i2 and min(p3) >= i3:  # every phase registers
        pos = list(map(add, map(add, p1, p2), p3))
    else:
        pos = [
            (a if a >= i1 else 0) + (b if b >= i2 else 0) + (c if c >= i3 else 0)
            for a, b, c in zip(p1, p2, p3, strict=True)
        ]
    if min(p1) >= 0 and min(p2) >= 0 and min(p3) >= 0:
        # every phase imports (no generation): nothing registers as A-, and the net
        # summation max(pos - 0, 0), max(0 - pos, 0) leaves pos and 0 as they are
        neg = array("q", bytes(8 * len(pos)))
    else:
        neg_w = [
            (-a if a < i1 and -a >= e1 else 0)
            + (-b if b < i2 and -b >= e2 else 0)
            + (-c if c < i3 and -c >= e3 else 0)
            for a, b, c in zip(p1, p2, p3, strict=True)
        ]
        if model.summation is Summation.NET:
            pos, neg_w = (
                [max(a - b, 0) for a, b in zip(pos, neg_w, strict=True)],
                [max(b - a, 0) for a, b in zip(pos, neg_w, strict=True)],
            )
        neg = array("q", neg_w)
    phase_w = array("q", bytes(24 * len(p1)))
    phase_w[0::3], phase_w[1::3], phase_w[2::3] = array("q", p1), array("q", p2), array("q", p3)
    plus = array("q", accumulate(map(mul, pos, _FULL_SLOTS), initial=0))
    minus = array("q", accumulate(map(mul, neg, _FULL_SLOTS), initial=0))
    return DayTable(SLOT_STARTS, bytes(slots.pattern), phase_w, array("q", pos), neg, plus, minus)
