"""VEE: validation, estimation and editing of stored load profiles, sans-IO.

In: one meter's load-profile channels as stored (:class:`Series`: interval ends, the
cumulative register values the profile captured, the profile's status byte), its
billing-register readings of the same quantities, and :class:`Rules` (thresholds).
Out: :class:`Finding` rows, one per interval that failed a rule or was estimated or
edited. The raw readings are never changed: a finding carries the original value
(``None`` for an interval the meter never gave) and the value VEE proposes.

The MT372's load profile 1.0.99.1.0.255 (docs/mt372.md, "Load profiles") captures every
15 minutes, stamped at the end of the period, the clock, the status byte 1.0.96.240.0.255
and the A+ and A- registers 1.0.1.8.0.255 and 1.0.2.8.0.255 (Blue Book 4.3.6, Profile
generic: the captured attribute is the register's value, so a column is cumulative and
an interval's energy is the difference of two consecutive entries). Status bits: 0x80
power down, 0x40 power up, 0x20 clock adjusted, 0x04 data not valid, 0x02 clock invalid,
0x01 critical error.

The rules, in the order they run (docs/vee.md):

1. **invalid**: an entry whose status says "data not valid" (0x04) or "critical error"
   (0x01) is treated as missing (its value kept as the original) and estimated as a gap.
2. **backwards**: the register went down between two entries. One entry out of line
   with both neighbours (lower than the one before while the one after is back up, or
   higher than the one after) is edited to the linear value between its neighbours;
   a lasting step down (a register reset, a meter exchange) is flagged, not edited.
3. **gap**: interval ends missing between two stored entries. Up to
   ``Rules.linear_max`` missing intervals are estimated linearly between the entries
   around them; longer gaps from the meter's own similar days (the same time of day,
   the same weekday, the previous ``Rules.similar_weeks`` weeks, UTC), scaled so that
   the estimated energy equals the register advance across the gap. A long gap with
   no similar day at every missing interval is left unestimated and flagged.
4. **spike**: an interval's energy above ``Rules.spike_factor`` times the median
   energy of the channel's non-zero intervals (and above ``Rules.spike_min``), or
   above ``Rules.max_interval``: flagged (the register confirms the energy was
   counted; VEE does not move it to other intervals).
5. **zero run**: ``Rules.zero_run`` or more consecutive intervals without energy on a
   channel that has energy elsewhere in the window, unless the meter flagged a power
   failure in the run: flagged.
6. **energy**: between two billing-register readings, the register's advance against
   the profile's energy over the same time (after estimation); when they differ by
   more than ``Rules.energy_tolerance`` (relative, at least ``Rules.energy_min``) plus
   the energy of the two intervals the readings fall in, the intervals are flagged.
7. **status**: an entry the meter flagged (power down or up, clock adjusted or
   invalid) is flagged ``meter_status``.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

WEEK = 7 * 86400
#: status bits (docs/mt372.md): the value cannot be used
STATUS_INVALID = 0x04 | 0x01
#: status bits: the meter flagged the interval (power down/up, clock adjusted/invalid)
STATUS_NOTED = 0x80 | 0x40 | 0x20 | 0x02
POWER_DOWN = 0x80 | 0x40  # power down, power up: a zero run they bound is explained


class Flag(enum.IntFlag):
    """What VEE found at one interval (``reading_vee.flags``)."""

    NONE = 0
    GAP = 1  # the interval was missing
    ZERO_RUN = 2
    SPIKE = 4
    BACKWARDS = 8
    ENERGY = 16  # profile energy against the register's advance
    METER_STATUS = 32  # the meter's status byte flagged the interval
    INVALID = 64  # the meter said its value is not valid


class Method(enum.StrEnum):
    """How a value was estimated or edited ("" : not changed)."""

    NONE = ""
    LINEAR = "linear"
    SIMILAR_DAYS = "similar_days"


@dataclass(frozen=True, slots=True)
class Rules:
    """The thresholds, per meter run (``openamr headend vee --help`` names each)."""

    period: int = 900  # s between entries (the profile's capture period)
    linear_max: int = 4  # missing intervals estimated linearly; longer: similar days
    similar_weeks: int = 4  # weeks looked back for similar days
    spike_factor: float = 20.0  # x the median non-zero interval energy
    spike_min: float = 1000.0  # Wh: an interval below this is never a spike
    max_interval: float = 17_250.0  # Wh in one interval (100 A x 3 x 230 V x 15 min)
    zero_run: int = 96  # consecutive zero intervals (a day at 15 min)
    energy_tolerance: float = 0.01  # relative, of the register's advance
    energy_min: float = 10.0  # Wh: the smallest tolerance

    def __post_init__(self) -> None:
        checks = [
            ("period", self.period > 0), ("linear_max", self.linear_max >= 0),
            ("similar_weeks", self.similar_weeks >= 0), ("spike_factor", self.spike_factor > 1),
            ("spike_min", self.spike_min >= 0), ("max_interval", self.max_interval > 0),
            ("zero_run", self.zero_run >= 1), ("energy_tolerance", self.energy_tolerance >= 0),
            ("energy_min", self.energy_min >= 0),
        ]  # fmt: skip
        for name, ok in checks:
            if not ok:
                raise ValueError(f"VEE rule {name}={getattr(self, name)!r} is out of range")


@dataclass(slots=True)
class Series:
    """One channel of the profile: entries sorted by time (UTC seconds, interval end)."""

    channel: str
    times: list[int]
    values: list[float]
    status: list[int | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.status:
            self.status = [None] * len(self.times)
        if not len(self.times) == len(self.values) == len(self.status):
            raise ValueError(f"{self.channel}: times, values and status differ in length")


@dataclass(frozen=True, slots=True)
class Finding:
    channel: str
    ts: int
    flags: Flag
    method: Method = Method.NONE
    value: float | None = None  # what VEE proposes (None: the raw value stands)
    original: float | None = None  # the raw value (None: the meter gave none)

    @property
    def estimated(self) -> bool:
        """A value made for an interval the meter did not give (usably)."""
        return self.value is not None and (self.original is None or bool(self.flags & Flag.INVALID))

    @property
    def edited(self) -> bool:
        """A raw value replaced."""
        return self.value is not None and not self.estimated


def flag_names(flags: int) -> list[str]:
    return [str(f.name).lower() for f in Flag if f and flags & f]


@dataclass(slots=True)
class _Point:
    value: float | None  # the value VEE works with (None: missing)
    original: float | None
    status: int | None
    flags: Flag = Flag.NONE
    method: Method = Method.NONE
    changed: bool = False


def validate(
    series: Series,
    rules: Rules,
    start: int,
    end: int,
    registers: Sequence[tuple[int, float]] = (),
) -> list[Finding]:
    """The findings of one channel for interval ends in ``[start, end]``. ``series``
    may begin up to ``rules.similar_weeks`` weeks earlier (the similar days) and
    extend past ``end``; ``registers`` are the matching billing register's readings
    (time, value), sorted."""
    period = rules.period
    points: dict[int, _Point] = {
        t: _Point(v, v, s)
        for t, v, s in zip(series.times, series.values, series.status, strict=True)
    }
    in_window = sorted(t for t in points if start <= t <= end)
    if not in_window:
        return []
    for t in in_window:  # 1. invalid (and 7. status) from the status byte
        p = points[t]
        if p.status is not None and p.status & STATUS_INVALID:
            p.flags |= Flag.INVALID
            p.value = None
        if p.status is not None and p.status & STATUS_NOTED:
            p.flags |= Flag.METER_STATUS
    _backwards(points, in_window)
    # 3. gaps: the interval ends missing between two usable entries, near the window
    usable = _usable(points)
    for u, v in itertools.pairwise(usable):
        if v - u > period and u < end and v > start:
            for t in range(u + period, v, period):
                if t not in points:
                    points[t] = _Point(None, None, None, Flag.GAP)
    _estimate(points, sorted(points), rules, start, end)
    deltas = _deltas(points, period, start, end)
    _spikes(points, deltas, rules)
    _zero_runs(points, deltas, rules)
    _energy(points, registers, rules, start, end)
    out = []
    for t in sorted(points):
        p = points[t]
        if not start <= t <= end or not (p.flags or p.changed):
            continue
        out.append(Finding(series.channel, t, p.flags, p.method,
                           p.value if p.changed else None, p.original))  # fmt: skip
    return out


def _usable(points: dict[int, _Point]) -> list[int]:
    return sorted(t for t, p in points.items() if p.value is not None)


def _backwards(points: dict[int, _Point], times: list[int]) -> None:
    """2. a register going down: one outlier edited, a lasting step flagged."""
    usable = [t for t in times if points[t].value is not None]
    for i in range(1, len(usable)):
        a, b = points[usable[i - 1]], points[usable[i]]
        assert a.value is not None and b.value is not None
        if b.value >= a.value:
            continue
        nxt = points[usable[i + 1]] if i + 1 < len(usable) else None
        prev = points[usable[i - 2]] if i >= 2 else None
        if nxt is not None and nxt.value is not None and nxt.value >= a.value:
            _edit_between(b, usable[i], usable[i - 1], a, usable[i + 1], nxt)
        elif prev is not None and prev.value is not None and b.value >= prev.value:
            _edit_between(a, usable[i - 1], usable[i - 2], prev, usable[i], b)
        else:
            b.flags |= Flag.BACKWARDS


def _edit_between(p: _Point, t: int, ta: int, a: _Point, tb: int, b: _Point) -> None:
    assert a.value is not None and b.value is not None
    p.value = a.value + (b.value - a.value) * (t - ta) / (tb - ta)
    p.flags |= Flag.BACKWARDS
    p.method, p.changed = Method.LINEAR, True


def _estimate(
    points: dict[int, _Point], times: list[int], rules: Rules, start: int, end: int
) -> None:
    """3. runs of missing values between two usable ones: linear or similar days."""
    i = 0
    while i < len(times):
        if points[times[i]].value is not None:
            i += 1
            continue
        j = i
        while j < len(times) and points[times[j]].value is None:
            j += 1
        if i == 0 or j == len(times):  # no usable value on one side: cannot bound it
            i = j
            continue
        ta, tb = times[i - 1], times[j]
        run = times[i:j]
        if not any(start <= t <= end for t in run):
            i = j
            continue
        a, b = points[ta].value, points[tb].value
        assert a is not None and b is not None
        if len(run) <= rules.linear_max or b <= a:
            for t in run:
                _set(points[t], a + (b - a) * (t - ta) / (tb - ta), Method.LINEAR)
        else:
            shape = _similar_shape(points, [*run, tb], rules)
            if shape is not None:
                total, acc = sum(shape), 0.0
                for t, share in zip(run, shape, strict=False):
                    acc += share
                    _set(points[t], a + (b - a) * acc / total, Method.SIMILAR_DAYS)
        i = j


def _set(p: _Point, value: float, method: Method) -> None:
    p.value, p.method, p.changed = value, method, True


def _similar_shape(points: dict[int, _Point], ends: list[int], rules: Rules) -> list[float] | None:
    """The mean energy of the interval ending at each of ``ends`` on the same weekday
    of the previous weeks; None when one of them has no similar day, or all are zero."""
    shape: list[float] = []
    for t in ends:
        seen = [
            e for k in range(1, rules.similar_weeks + 1)
            if (e := _energy_at(points, t - k * WEEK, rules.period)) is not None
        ]  # fmt: skip
        if not seen:
            return None
        shape.append(sum(seen) / len(seen))
    return shape if sum(shape) > 0 else None


def _energy_at(points: dict[int, _Point], t: int, period: int) -> float | None:
    a, b = points.get(t - period), points.get(t)
    if a is None or b is None or a.value is None or b.value is None:
        return None
    if (
        a.changed
        or b.changed
        or (a.status or 0) & STATUS_INVALID
        or (b.status or 0) & STATUS_INVALID
    ):
        return None  # similar days are made of what the meter said
    e = b.value - a.value
    return e if e >= 0 else None


def _deltas(points: dict[int, _Point], period: int, start: int, end: int) -> dict[int, float]:
    """Energy of each interval ending in the window, where both ends have a value."""
    out = {}
    for t in sorted(points):
        if start <= t <= end:
            e = _raw_delta(points, t, period)
            if e is not None:
                out[t] = e
    return out


def _raw_delta(points: dict[int, _Point], t: int, period: int) -> float | None:
    a, b = points.get(t - period), points.get(t)
    if a is None or b is None or a.value is None or b.value is None:
        return None
    return b.value - a.value


def _spikes(points: dict[int, _Point], deltas: dict[int, float], rules: Rules) -> None:
    positive = [e for e in deltas.values() if e > 0]
    median = statistics.median(positive) if positive else 0.0
    limit = max(rules.spike_min, rules.spike_factor * median)
    for t, e in deltas.items():
        if e > rules.max_interval or e > limit:
            points[t].flags |= Flag.SPIKE


def _zero_runs(points: dict[int, _Point], deltas: dict[int, float], rules: Rules) -> None:
    if not any(e > 0 for e in deltas.values()):
        return  # no energy in the whole window: an empty flat, not a fault
    run: list[int] = []
    for t in [*sorted(deltas), None]:
        if t is not None and deltas[t] == 0 and (not run or t - run[-1] == rules.period):
            run.append(t)
            continue
        if len(run) >= rules.zero_run:
            around = [*run, run[0] - rules.period]
            if not any((points[x].status or 0) & POWER_DOWN for x in around if x in points):
                for x in run:
                    points[x].flags |= Flag.ZERO_RUN
        run = [t] if t is not None and deltas[t] == 0 else []


def _energy(
    points: dict[int, _Point], registers: Sequence[tuple[int, float]], rules: Rules,
    start: int, end: int,
) -> None:  # fmt: skip
    """6. between consecutive register readings: their advance against the profile."""
    period = rules.period
    times = _usable(points)
    reads = [(t, v) for t, v in registers if times and times[0] <= t <= times[-1] + period]
    for (t1, r1), (t2, r2) in itertools.pairwise(reads):
        p1, p2 = _value_before(points, times, t1), _value_before(points, times, t2)
        if p1 is None or p2 is None or p2[0] <= p1[0]:
            continue
        advance, energy = r2 - r1, p2[1] - p1[1]
        partial = sum(_raw_delta(points, t + period, period) or 0.0 for t in (p1[0], p2[0]))
        allowed = max(rules.energy_min, rules.energy_tolerance * abs(advance)) + abs(partial)
        if abs(advance - energy) > allowed:
            for t in times:
                if p1[0] < t <= p2[0] and start <= t <= end:
                    points[t].flags |= Flag.ENERGY


def _value_before(points: dict[int, _Point], times: list[int], t: int) -> tuple[int, float] | None:
    i = bisect.bisect_right(times, t) - 1
    if i < 0:
        return None
    value = points[times[i]].value
    return None if value is None else (times[i], value)


def needs_history(series: Iterable[Series], rules: Rules, start: int, end: int) -> bool:
    """True when a channel has a gap longer than ``linear_max`` in the window (only
    then are the similar days of previous weeks needed)."""
    for s in series:
        times = [t for t in s.times if start <= t <= end]
        if times and (times[0] - start > rules.linear_max * rules.period):
            return True
        for a, b in itertools.pairwise(times):
            if (b - a) // rules.period - 1 > rules.linear_max:
                return True
    return False
