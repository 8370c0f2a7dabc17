"""The rate in force over a stored interval, from the meter's own tariff calendar
(sans-IO: the values come from :mod:`openamr.headend.calendars`).

The MT372's load profile 1.0.99.1.0.255 holds the totals A+ and A- only; the
per-rate registers 1.8.1-4 and 2.8.1-4 advance by the rate the meter's activity
calendar puts in force. The head-end reads that calendar (and the Clock's local time
rules) and splits each interval's energy by it, as the meter does:

* Activity calendar, class 20 (Blue Book 4.5.5): the *season* in force at a local
  time is the one with the latest season_start at or before it (a start without
  year recurs every year, so the last season of the year before runs until the first
  start of this one; before every start, the earliest season); its *week profile*
  names the day_id by weekday; the *day profile*'s actions on the tariffication
  script 0.0.10.0.100.255 (OBIS 7.5.4) switch to rate script_selector (1..4) at
  their start_time. Before a day's first tariff action the rate of the end of the
  day before carries on (looked for at most a year back); no tariff action at all:
  rate 1.
* Special days table, class 11 (Blue Book 4.5.4): a day whose date matches an
  entry (wildcards: any year, month, day, weekday; day 0xFE/0xFD the last/second
  last of the month; lowest index first) takes that entry's day profile instead.
* The passive calendar (attributes 7-9) takes over at
  activate_passive_calendar_time (attribute 10), when it names one instant.
* Everything is the meter's local wall-clock time: the Clock's time_zone and
  daylight saving attributes (class 8, Blue Book 4.5.1), read with the calendar, give
  the offset in force at each instant (:class:`openamr.cosem.classes.clock.Clock`
  computes it, the rules the twin's clock follows too).

An interval ``[start, end)`` is cut where the rate changes; each piece's share of
the interval's length is its share of the energy (:meth:`TariffPlan.shares`). On the
MT372's calendars the rates switch on quarter hours, so a 15-minute interval has one
rate and its energy is the meter's exactly; an interval cut by a switch is split by
time (the meter integrates power: the split is then an estimate, flagged by
:attr:`Split.estimated`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from openamr.codec.datetime import (
    DEVIATION_NOT_SPECIFIED,
    LAST_DAY,
    NOT_SPECIFIED,
    SECOND_LAST_DAY,
    YEAR_NOT_SPECIFIED,
    CosemDate,
    CosemDateTime,
    CosemTime,
)
from openamr.codec.obis import Obis
from openamr.codec.table import Table
from openamr.codec.types import Data
from openamr.cosem.classes.clock import Clock, resolve
from openamr.errors import DecodeError
from openamr.headend.commands import RATES, TARIFF_SCRIPT

CALENDAR = "0.0.13.0.0.255"
SPECIAL_DAYS = "0.0.11.0.0.255"
CLOCK = "0.0.1.0.0.255"
#: What is read from the meter: name -> (class_id, OBIS, attribute)
ATTRIBUTES: dict[str, tuple[int, str, int]] = {
    "calendar_name_active": (20, CALENDAR, 2),
    "season_profile_active": (20, CALENDAR, 3),
    "week_profile_table_active": (20, CALENDAR, 4),
    "day_profile_table_active": (20, CALENDAR, 5),
    "calendar_name_passive": (20, CALENDAR, 6),
    "season_profile_passive": (20, CALENDAR, 7),
    "week_profile_table_passive": (20, CALENDAR, 8),
    "day_profile_table_passive": (20, CALENDAR, 9),
    "activate_passive_calendar_time": (20, CALENDAR, 10),
    "special_days": (11, SPECIAL_DAYS, 2),
    "time_zone": (8, CLOCK, 3),
    "daylight_savings_begin": (8, CLOCK, 5),
    "daylight_savings_end": (8, CLOCK, 6),
    "daylight_savings_deviation": (8, CLOCK, 7),
    "daylight_savings_enabled": (8, CLOCK, 8),
}
DEFAULT_RATE = 1
LOOKBACK_DAYS = 366
_DAY = dt.timedelta(days=1)
_EPOCH = dt.datetime(1970, 1, 1)


class CalendarError(ValueError):
    """The meter's calendar cannot be followed (missing or malformed); says why."""


def _octets(value: Data, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise CalendarError(f"{what} is not an octet-string")
    return bytes(value)


def _int(value: Data, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CalendarError(f"{what} is not an integer")
    return int(value)


def _items(value: Data, what: str, size: int) -> list[tuple[Data, ...]]:
    if not isinstance(value, list | Table):
        raise CalendarError(f"{what} is not an array")
    out: list[tuple[Data, ...]] = []
    for i, item in enumerate(value):
        if not isinstance(item, tuple) or len(item) != size:
            raise CalendarError(f"{what}[{i}] is not a structure of {size}")
        out.append(item)
    return out


def date_matches(pattern: CosemDate, day: dt.date) -> bool:
    """Whether a special day's date (Blue Book 4.5.4, wildcards of 4.1.6.1) names ``day``."""
    last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - _DAY
    wanted = {LAST_DAY: last.day, SECOND_LAST_DAY: last.day - 1}.get(pattern.day, pattern.day)
    return (
        pattern.year in (YEAR_NOT_SPECIFIED, day.year)
        and pattern.month in (NOT_SPECIFIED, day.month)
        and wanted in (NOT_SPECIFIED, day.day)
        and pattern.weekday in (NOT_SPECIFIED, day.isoweekday())
    )


class Calendar:
    """One calendar (active or passive) of class 20, with the special days."""

    def __init__(
        self, seasons: Data, weeks: Data, days: Data, special_days: Data, name: bytes = b""
    ) -> None:
        self.name = name
        self.seasons: list[tuple[CosemDateTime, bytes]] = []
        for i, (_, start, week) in enumerate(_items(seasons, "season_profile", 3)):
            try:
                stamp = CosemDateTime.from_bytes(_octets(start, f"season {i} start"))
            except DecodeError as e:
                raise CalendarError(f"season {i}: {e}") from None
            self.seasons.append((stamp, _octets(week, f"season {i} week")))
        if not self.seasons:
            raise CalendarError("no season")
        self.weeks = {
            _octets(w[0], "week name"): tuple(_int(d, "day_id") for d in w[1:])
            for w in _items(weeks, "week_profile_table", 8)
        }
        self.days: dict[int, tuple[list[dt.time], list[int]]] = {}
        for raw_id, schedule in _items(days, "day_profile_table", 2):
            day_id = _int(raw_id, "day_id")
            actions = []
            for start, script, selector in _items(schedule, f"day {day_id} schedule", 3):
                if Obis(*_octets(script, "script")) != TARIFF_SCRIPT:
                    continue  # another script (an output): no rate
                rate = _int(selector, "script_selector")
                if rate not in RATES:
                    raise CalendarError(f"day {day_id}: rate {rate} is not 1..4")
                try:
                    when = CosemTime.from_bytes(_octets(start, "start_time")).to_time()
                except (DecodeError, ValueError) as e:
                    raise CalendarError(f"day {day_id}: {e}") from None
                actions.append((when, rate))
            actions.sort(key=lambda a: a[0])
            self.days[day_id] = ([a[0] for a in actions], [a[1] for a in actions])
        self.special: list[tuple[int, CosemDate, int]] = []
        if special_days is not None:
            for raw_index, date, special_id in _items(special_days, "special days", 3):
                index = _int(raw_index, "index")
                try:
                    pattern = CosemDate.from_bytes(_octets(date, "specialday_date"))
                except DecodeError as e:
                    raise CalendarError(f"special day {index}: {e}") from None
                self.special.append((index, pattern, _int(special_id, "day_id")))
            self.special.sort(key=lambda s: s[0])
        for days_of_week in self.weeks.values():
            if len(days_of_week) != 7 or any(d not in self.days for d in days_of_week):
                raise CalendarError("a week profile names a day profile that is not there")
        if any(w not in self.weeks for _, w in self.seasons):
            raise CalendarError("a season names a week profile that is not there")
        self.times = sorted({t for starts, _ in self.days.values() for t in starts})
        self._starts: dict[int, tuple[list[dt.datetime], list[bytes]]] = {}
        self._carry: dict[dt.date, int | None] = {}
        self._day_points: dict[dt.date, list[dt.datetime]] = {}
        self._day_ids: dict[dt.date, int | None] = {}

    def season_starts(self, year: int) -> tuple[list[dt.datetime], list[bytes]]:
        """Sorted (local start, week name) of the seasons for local times in ``year``."""
        found = self._starts.get(year)
        if found is None:
            pairs = sorted(
                (start, i, week)
                for i, (stamp, week) in enumerate(self.seasons)
                for y in (year - 1, year)
                if (start := resolve(stamp, y)) is not None
            )
            found = self._starts[year] = ([p[0] for p in pairs], [p[2] for p in pairs])
        return found

    def day_id_at(self, when: dt.datetime) -> int:
        """The day profile in force at naive local time ``when``."""
        special = self._day_ids.get(when.date(), -1)
        if special == -1:
            matches = (d for _, p, d in self.special if date_matches(p, when.date()))
            special = self._day_ids[when.date()] = next(matches, None)
        if special is not None:
            return special
        starts, weeks = self.season_starts(when.year)
        i = bisect_right(starts, when)
        week = weeks[i - 1] if i else weeks[0]
        return self.weeks[week][when.weekday()]

    def _scheduled(self, when: dt.datetime) -> int | None:
        starts, rates = self.days[self.day_id_at(when)]
        i = bisect_right(starts, when.time())
        return rates[i - 1] if i else None

    def rate_at(self, when: dt.datetime) -> int:
        """The rate at naive local time ``when``."""
        found = self._scheduled(when)
        if found is not None:
            return found
        day = when.date() - _DAY
        if day not in self._carry:
            carried = None
            for back in range(LOOKBACK_DAYS if self.times else 0):
                carried = self._scheduled(dt.datetime.combine(day - back * _DAY, dt.time.max))
                if carried is not None:
                    break
            self._carry[day] = carried
        carried = self._carry[day]
        return DEFAULT_RATE if carried is None else carried

    def breakpoints(self, lo: dt.datetime, hi: dt.datetime) -> list[dt.datetime]:
        """Naive local times in ``(lo, hi)`` where the rate may change."""
        found: list[dt.datetime] = []
        day = lo.date()
        while day <= hi.date():
            points = self._points(day)
            found += points[bisect_right(points, lo) : bisect_left(points, hi)]
            day += _DAY
        return found

    def _points(self, day: dt.date) -> list[dt.datetime]:
        """The local times of ``day`` where the rate may change: its midnight, the
        day profiles' action times, the season starts on it (remembered)."""
        found = self._day_points.get(day)
        if found is None:
            if len(self._day_points) > 4096:
                self._day_points.clear()
            starts = self.season_starts(day.year)[0]
            points = {dt.datetime.combine(day, t) for t in (dt.time(), *self.times)}
            points.update(s for s in starts if s.date() == day)
            found = self._day_points[day] = sorted(points)
        return found


@dataclass(frozen=True, slots=True)
class Split:
    """An interval's energy per rate: ``shares`` (rate, fraction), the fractions
    summing to 1; ``estimated`` when a rate switch cuts the interval."""

    shares: tuple[tuple[int, float], ...]

    @property
    def estimated(self) -> bool:
        return len(self.shares) > 1


class TariffPlan:
    """A meter's calendars and local time rules, as read (:data:`ATTRIBUTES`)."""

    def __init__(self, values: Mapping[str, Data]) -> None:
        def get(name: str) -> Data:
            if name not in values:
                raise CalendarError(f"the meter gave no {name}")
            return values[name]

        special = values.get("special_days")  # a meter may have no special days table
        self.active = Calendar(get("season_profile_active"), get("week_profile_table_active"),
                               get("day_profile_table_active"), special,
                               _name(values.get("calendar_name_active")))  # fmt: skip
        self.clock = Clock(CLOCK, _no_time, _no_set)
        for name, ok in (("time_zone", _is_int), ("daylight_savings_begin", _is_stamp),
                         ("daylight_savings_end", _is_stamp),
                         ("daylight_savings_deviation", _is_int),
                         ("daylight_savings_enabled", _is_bool)):  # fmt: skip
            if not ok(get(name)):
                raise CalendarError(f"the clock's {name} is not what Blue Book 4.5.1 says")
            setattr(self.clock, name, get(name))
        self._offsets: dict[int, int] = {}
        self._splits: dict[tuple[int, int], Split] = {}
        self.passive: Calendar | None = None
        self.activation = activation_of(values.get("activate_passive_calendar_time"), self.offset)
        if self.activation is not None:
            try:
                self.passive = Calendar(get("season_profile_passive"),
                                        get("week_profile_table_passive"),
                                        get("day_profile_table_passive"), special,
                                        _name(values.get("calendar_name_passive")))  # fmt: skip
            except CalendarError:
                self.activation = None  # an empty passive calendar is never activated

    def offset(self, ts: int) -> int:
        """Local time minus UTC at UTC second ``ts``, seconds (remembered)."""
        found = self._offsets.get(ts)
        if found is None:
            if len(self._offsets) > 100_000:
                self._offsets.clear()
            instant = dt.datetime.fromtimestamp(ts, dt.UTC)
            off = self.clock.zone(instant).utcoffset(instant)
            found = self._offsets[ts] = 0 if off is None else int(off.total_seconds())
        return found

    def calendar_at(self, ts: int) -> Calendar:
        if self.passive is not None and self.activation is not None and ts >= self.activation:
            return self.passive
        return self.active

    def local(self, ts: int) -> dt.datetime:
        return _EPOCH + dt.timedelta(seconds=ts + self.offset(ts))

    def rate_at(self, ts: int) -> int:
        """The rate in force at UTC second ``ts``."""
        return self.calendar_at(ts).rate_at(self.local(ts))

    def shares(self, start: int, end: int) -> Split:
        """The rates over the UTC seconds ``[start, end)`` and each one's share
        (remembered: the import and export columns ask for the same intervals)."""
        found = self._splits.get((start, end))
        if found is None:
            if len(self._splits) > 100_000:
                self._splits.clear()
            found = self._splits[(start, end)] = self._shares(start, end)
        return found

    def _shares(self, start: int, end: int) -> Split:
        if end <= start:
            return Split(((self.rate_at(start), 1.0),))
        cuts = {start, end}
        if self.activation is not None and start < self.activation < end:
            cuts.add(self.activation)
        bounds = sorted(cuts)
        for a, b in itertools.pairwise(bounds):
            if self.offset(a) != self.offset(b - 1):
                cuts.add(self._offset_change(a, b - 1))
        lengths: dict[int, int] = {}
        bounds = sorted(cuts)
        for a, b in itertools.pairwise(bounds):
            calendar, off = self.calendar_at(a), self.offset(a)
            lo, hi = _EPOCH + dt.timedelta(seconds=a + off), _EPOCH + dt.timedelta(seconds=b + off)
            points = [lo, *calendar.breakpoints(lo, hi), hi]
            for p, q in itertools.pairwise(points):
                rate = calendar.rate_at(p)
                lengths[rate] = lengths.get(rate, 0) + int((q - p).total_seconds())
        total = sum(lengths.values())
        return Split(tuple((r, n / total) for r, n in sorted(lengths.items()) if n))

    def _offset_change(self, lo: int, hi: int) -> int:
        """The first second in ``(lo, hi]`` with ``hi``'s offset (``lo``'s differs)."""
        base = self.offset(lo)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if self.offset(mid) == base else (lo, mid)
        return hi


def activation_of(value: Data, offset: Callable[[int], int] | None = None) -> int | None:
    """activate_passive_calendar_time as UTC seconds; None when it names no instant
    (wildcards: the automatism is off). Without a deviation it is the meter's local
    time (``offset``: local minus UTC at a UTC second; None: read as UTC)."""
    if not isinstance(value, bytes) or len(value) != CosemDateTime.SIZE:
        return None
    try:
        stamp = CosemDateTime.from_bytes(bytes(value))
        naive = CosemDateTime(stamp.date, stamp.time).to_datetime()
    except (DecodeError, ValueError):
        return None
    seconds = int((naive - _EPOCH).total_seconds())
    if stamp.deviation != DEVIATION_NOT_SPECIFIED:
        return seconds + 60 * stamp.deviation
    if offset is None:
        return seconds
    guess = seconds - offset(seconds)
    return seconds - offset(guess)


def _is_int(value: Data) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_bool(value: Data) -> bool:
    return isinstance(value, bool)


def _is_stamp(value: Data) -> bool:
    return isinstance(value, bytes) and len(value) == CosemDateTime.SIZE


def _name(value: Data) -> bytes:
    return bytes(value) if isinstance(value, bytes) else b""


def _no_time() -> dt.datetime:
    raise CalendarError("the head-end's copy of a clock has no time")


def _no_set(instant: dt.datetime) -> None:
    raise CalendarError("the head-end's copy of a clock cannot be set")
