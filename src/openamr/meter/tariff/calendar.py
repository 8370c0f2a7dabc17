"""The activity calendar engine: the rate in force at any instant, and the
instants where it switches (Blue Book 4.5.5, Activity calendar; 4.5.4, Special
days table).

How the meter reads its calendar (decisions written down, [I]):

* Everything is local wall-clock time (the Clock's ``zone(instant)``). The rate
  is a pure function of the local time the meter shows: in the hour the autumn
  fall-back repeats, the day schedule of that hour repeats; actions in the hour
  the spring jump skips take effect at the jump.
* Season: the one with the latest ``season_start`` at or before the local time
  (a start without year recurs every year, so the last season of the previous
  year runs until the first start of this one). Before every start (only
  possible with explicit years) the earliest season applies.
* Day profile: a special day (lowest index first) overrides the week profile of
  the season; otherwise the season's week profile names the day_id by weekday.
* Rate: the script_selector of the last tariff action (script 0.0.10.0.100.255)
  of that day profile at or before the local time. Before the day's first tariff
  action, the rate of the end of the previous day carries on (looking back at
  most a year). A calendar with no tariff action at all gives rate 1.
* Segments are contiguous, half-open ``[start, end)`` and cover the interval
  asked; consecutive segments differ in rate. Energy integrated over each
  segment and summed gives the whole interval's energy exactly.

Passive calendar: :class:`CalendarPlan` follows the active calendar until the
activation instant, then the passive one (activate_passive_calendar_time;
:func:`activation_instant` reads it).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from openamr.codec.axdr import encode
from openamr.codec.datetime import DEVIATION_NOT_SPECIFIED, CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data
from openamr.errors import DecodeError, EncodeError
from openamr.meter.tariff.localtime import (
    DAY,
    LocalTime,
    ZonePiece,
    local,
    local_occurrences,
    zone_pieces,
)
from openamr.meter.tariff.model import (
    MT372_LIMITS,
    TARIFF_SCRIPT,
    CalendarLimits,
    CalendarParts,
    DayProfile,
    Refusal,
    Season,
    parse_parts,
)

DEFAULT_RATE = 1
LOOKBACK_DAYS = 366
CACHE_ENTRIES = 1024  # per cache: memory stays small in a fleet of twins
_END_OF_DAY = dt.time.max


@dataclass(frozen=True, slots=True)
class Segment:
    """``[start, end)`` (aware instants, UTC) with the selector in force (None
    when no action of the script ever ran)."""

    start: dt.datetime
    end: dt.datetime
    value: int | None


@dataclass(frozen=True, slots=True)
class RateSegment:
    """``[start, end)`` (aware instants, UTC) counted in ``rate`` (1..4)."""

    start: dt.datetime
    end: dt.datetime
    rate: int


class _Schedule:
    """One day profile's actions of one script: start times and selectors."""

    __slots__ = ("selectors", "starts")

    def __init__(self, profile: DayProfile, script: Obis) -> None:
        acts = [a for a in profile.actions if a.script == script]
        self.starts = [a.start for a in acts]
        self.selectors = [a.selector for a in acts]

    def at(self, t: dt.time) -> int | None:
        i = bisect_right(self.starts, t)
        return self.selectors[i - 1] if i else None


def _bound(cache: dict[Any, Any]) -> None:
    if len(cache) >= CACHE_ENTRIES:
        cache.clear()


class Calendar:
    """A parsed, valid calendar (build it with :func:`parse_calendar`)."""

    def __init__(self, parts: CalendarParts) -> None:
        self.parts = parts
        self._weeks = {w.name: w for w in parts.weeks}
        self._days = {d.day_id: d for d in parts.days}
        self._schedules: dict[tuple[int, Obis], _Schedule] = {}
        self._starts: dict[int, tuple[list[dt.datetime], list[Season]]] = {}
        self._special: dict[dt.date, int | None] = {}
        self._carry: dict[tuple[dt.date, Obis], int | None] = {}
        self._times: dict[Obis, list[dt.time]] = {}

    # -- local time ---------------------------------------------------------------------

    def _season_starts(self, year: int) -> tuple[list[dt.datetime], list[Season]]:
        """Sorted (start, season) candidates for local times in ``year``."""
        found = self._starts.get(year)
        if found is None:
            _bound(self._starts)
            pairs = {
                (start, i): s
                for i, s in enumerate(self.parts.seasons)
                for y in (year - 1, year)
                if (start := s.start_in(y)) is not None
            }
            keys = sorted(pairs)
            found = [k[0] for k in keys], [pairs[k] for k in keys]
            self._starts[year] = found
        return found

    def season_at(self, when: dt.datetime) -> Season:
        """The season in force at naive local time ``when``."""
        starts, seasons = self._season_starts(when.year)
        i = bisect_right(starts, when)
        return seasons[i - 1] if i else seasons[0]

    def _special_day(self, day: dt.date) -> int | None:
        if day not in self._special:
            _bound(self._special)
            match = (s.day_id for s in self.parts.special_days if s.matches(day))
            self._special[day] = next(match, None)
        return self._special[day]

    def day_profile_at(self, when: dt.datetime) -> DayProfile:
        """The day profile in force at naive local time ``when``."""
        day_id = self._special_day(when.date())
        if day_id is None:
            week = self._weeks[self.season_at(when).week_name]
            day_id = week.day_ids[when.weekday()]
        return self._days[day_id]

    def _schedule(self, profile: DayProfile, script: Obis) -> _Schedule:
        key = (profile.day_id, script)
        if key not in self._schedules:
            self._schedules[key] = _Schedule(profile, script)
        return self._schedules[key]

    def selector_at_local(self, when: dt.datetime, script: Obis = TARIFF_SCRIPT) -> int | None:
        """The selector of ``script`` in force at naive local time ``when``."""
        found = self._schedule(self.day_profile_at(when), script).at(when.time())
        return found if found is not None else self._end_of_day(when.date() - DAY, script)

    def _end_of_day(self, day: dt.date, script: Obis) -> int | None:
        key = (day, script)
        if key not in self._carry:
            _bound(self._carry)
            found = None
            for back in range(LOOKBACK_DAYS):
                end = dt.datetime.combine(day - DAY * back, _END_OF_DAY)
                found = self._schedule(self.day_profile_at(end), script).at(_END_OF_DAY)
                if found is not None:
                    break
            self._carry[key] = found
        return self._carry[key]

    def rate_at_local(self, when: dt.datetime) -> int:
        found = self.selector_at_local(when)
        return DEFAULT_RATE if found is None else found

    # -- instants ------------------------------------------------------------------------

    def rate_at(self, instant: dt.datetime, rules: LocalTime) -> int:
        """The rate (1..4) in force at ``instant`` (aware)."""
        return self.rate_at_local(local(rules, instant))

    def _action_times(self, script: Obis) -> list[dt.time]:
        """The start times of the actions on ``script``, sorted (none: never run)."""
        times = self._times.get(script)
        if times is None:
            acts = (a for d in self.parts.days for a in d.actions if a.script == script)
            times = self._times[script] = sorted({a.start for a in acts})
        return times

    def _breakpoints(self, lo: dt.datetime, hi: dt.datetime, script: Obis) -> list[dt.datetime]:
        """Naive local times in ``(lo, hi)`` where the selector may change."""
        times = self._action_times(script)
        points: set[dt.datetime] = set()
        day = lo.date()
        while day <= hi.date():
            points.add(dt.datetime.combine(day, dt.time()))
            points.update(dt.datetime.combine(day, t) for t in times)
            day += DAY
        for year in range(lo.year, hi.year + 1):
            starts = self._season_starts(year)[0]
            points.update(starts[bisect_left(starts, lo) : bisect_left(starts, hi)])
        return sorted(p for p in points if lo < p < hi)

    def _piece(self, piece: ZonePiece, script: Obis) -> Iterator[tuple[dt.datetime, int | None]]:
        lo, hi = piece.local_start, piece.local_end
        yield piece.start, self.selector_at_local(lo, script)
        for point in self._breakpoints(lo, hi, script):
            yield piece.instant(point), self.selector_at_local(point, script)

    def segments(
        self,
        t0: dt.datetime,
        t1: dt.datetime,
        rules: LocalTime,
        script: Obis = TARIFF_SCRIPT,
    ) -> list[Segment]:
        """``[t0, t1)`` cut into segments of constant selector of ``script``."""
        if t1 <= t0:
            return []
        if not self._action_times(script):  # no day runs the script: no selector, ever
            return [Segment(t0.astimezone(dt.UTC), t1.astimezone(dt.UTC), None)]
        changes: list[tuple[dt.datetime, int | None]] = []
        for piece in zone_pieces(rules, t0, t1):
            for at, value in self._piece(piece, script):
                if not changes or changes[-1][1] != value:
                    changes.append((at, value))
        ends = [at for at, _ in changes[1:]] + [t1.astimezone(dt.UTC)]
        return [Segment(at, end, v) for (at, v), end in zip(changes, ends, strict=True)]

    def rate_segments(
        self, t0: dt.datetime, t1: dt.datetime, rules: LocalTime
    ) -> list[RateSegment]:
        """``[t0, t1)`` cut into segments of constant rate."""
        return _rates(self.segments(t0, t1, rules))

    def switches(self, t0: dt.datetime, t1: dt.datetime, rules: LocalTime) -> list[dt.datetime]:
        """Sorted instants in ``[t0, t1)`` where the rate changes (``t0`` included
        when the rate changes exactly there)."""
        return CalendarPlan(self).switches(t0, t1, rules)


def _rates(segments: list[Segment]) -> list[RateSegment]:
    out: list[RateSegment] = []
    for s in segments:
        rate = DEFAULT_RATE if s.value is None else s.value
        if out and out[-1].rate == rate:
            out[-1] = replace(out[-1], end=s.end)
        else:
            out.append(RateSegment(s.start, s.end, rate))
    return out


def parse_calendar(
    season_profile: Data,
    week_profile_table: Data,
    day_profile_table: Data,
    special_days: Data = None,
    limits: CalendarLimits = MT372_LIMITS,
) -> Calendar | Refusal:
    """A calendar from the attribute values of classes 20 and 11, or a refusal.

    Remembered by the values' encoding: the twins of a fleet share one parsed
    calendar (and its caches) as long as they hold the same one."""
    try:
        values = (season_profile, week_profile_table, day_profile_table, special_days)
        key: tuple[object, ...] | None = (*(_encoding(v) for v in values), limits)
    except EncodeError:
        key = None
    found = _PARSED.get(key) if key is not None else None
    if found is None:
        parts = parse_parts(
            season_profile, week_profile_table, day_profile_table, special_days, limits
        )
        found = parts if isinstance(parts, Refusal) else Calendar(parts)
        if key is not None:
            if len(_PARSED) >= 64:  # a fleet holds a few calendars, not thousands
                _PARSED.clear()
            _PARSED[key] = found
    return found


_PARSED: dict[tuple[object, ...], Calendar | Refusal] = {}

#: Encodings of recent values by identity: (the value, an equal copy, its encoding).
#: The twins of a fleet hold the factory's calendar values themselves, and the twin
#: passes one special days value to both of its parses.
_ENCODED: dict[int, tuple[Data, Data, bytes]] = {}
_EMPTY = encode(Array())


def _encoding(value: Data) -> bytes:
    """``encode(value)``, remembered while the same object holds an equal value (a
    SET replaces a value; a value changed in place is encoded again)."""
    if type(value) is Array and not value:
        return _EMPTY
    found = _ENCODED.get(id(value))
    if found is not None and found[0] is value and found[1] == value:
        return found[2]
    encoded = encode(value)
    if len(_ENCODED) >= 64:
        _ENCODED.clear()
    _ENCODED[id(value)] = (value, _copy(value), encoded)
    return encoded


def _copy(value: Data) -> Data:
    """A deep copy of nested arrays and structures (their leaves are immutable)."""
    if isinstance(value, list | tuple):
        return type(value)(_copy(v) for v in value)
    return value


def activation_instant(value: Data, rules: LocalTime) -> dt.datetime | None:
    """The instant activate_passive_calendar_time names; None when it is switched
    off (not 12 octets, or wildcards). Without a deviation it is local time: a
    time the spring jump skips comes at the jump, a repeated one at its first
    occurrence."""
    try:
        assert isinstance(value, bytes)
        stamp = CosemDateTime.from_bytes(bytes(value))
        naive = CosemDateTime(stamp.date, stamp.time).to_datetime()
    except (AssertionError, DecodeError, ValueError):
        return None
    if stamp.deviation != DEVIATION_NOT_SPECIFIED:
        offset = dt.timedelta(minutes=-stamp.deviation)
        return naive.replace(tzinfo=dt.timezone(offset)).astimezone(dt.UTC)
    guess = naive.replace(tzinfo=dt.UTC)
    occurrences = local_occurrences(
        rules, guess - 2 * DAY, guess + 2 * DAY, lambda lo, hi: [naive] if lo <= naive < hi else []
    )
    return next((at for at, _ in occurrences), None)


@dataclass(frozen=True, slots=True)
class CalendarPlan:
    """The active calendar, and the passive one from ``activation`` on."""

    active: Calendar
    passive: Calendar | None = None
    activation: dt.datetime | None = None

    def calendar_at(self, instant: dt.datetime) -> Calendar:
        due = self.activation is not None and instant >= self.activation
        return self.passive if due and self.passive is not None else self.active

    def rate_at(self, instant: dt.datetime, rules: LocalTime) -> int:
        return self.calendar_at(instant).rate_at(instant, rules)

    def rate_segments(
        self, t0: dt.datetime, t1: dt.datetime, rules: LocalTime
    ) -> list[RateSegment]:
        when = self.activation
        if self.passive is None or when is None or not t0 < when < t1:
            return self.calendar_at(t0).rate_segments(t0, t1, rules)
        before = self.active.segments(t0, when, rules)
        return _rates(before + self.passive.segments(when, t1, rules))

    def switches(self, t0: dt.datetime, t1: dt.datetime, rules: LocalTime) -> list[dt.datetime]:
        segments = self.rate_segments(t0, t1, rules)
        found = [s.start for s in segments[1:]]
        before = t0 - dt.timedelta(microseconds=1)
        if segments and self.rate_at(before, rules) != segments[0].rate:
            found.insert(0, segments[0].start)
        return found

    def activated(self, now: dt.datetime) -> CalendarPlan:
        """The plan after ``now``: the passive calendar promoted once due (what
        method 1, activate_passive_calendar, does at that instant)."""
        if self.passive is None or self.activation is None or now < self.activation:
            return self
        return CalendarPlan(self.passive)
