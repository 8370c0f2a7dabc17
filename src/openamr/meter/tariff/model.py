"""The tariff calendar's parts, parsed from the COSEM Data values a client writes.

Activity calendar, class 20 (Blue Book 4.5.5), and Special days table, class 11
(Blue Book 4.5.4)::

    season_profile      array of season ::= structure {
                          season_profile_name  octet-string,
                          season_start         octet-string(12)  date-time, wildcards allowed,
                          week_name            octet-string }
    week_profile_table  array of week_profile ::= structure {
                          week_profile_name    octet-string,
                          monday .. sunday     unsigned (day_id) }
    day_profile_table   array of day_profile ::= structure {
                          day_id               unsigned,
                          day_schedule         array of day_profile_action ::= structure {
                            start_time           octet-string(4)  time, no wildcards
                                                 but second/hundredths (read as 0),
                            script_logical_name  octet-string(6),
                            script_selector      long-unsigned } }
    entries             array of spec_day_entry ::= structure {
                          index                long-unsigned,
                          specialday_date      octet-string(5)  date, wildcards allowed,
                          day_id               unsigned }

:func:`parse_parts` turns the four values into frozen dataclasses, or returns a
:class:`Refusal` naming what is wrong (a bad calendar is a value, not an
exception: the twin answers the client with it).

Rates (the convention of the Blue Book's tariffication script table
0.0.10.0.100.255, 7.5.4 in the OBIS list): an action whose script is
:data:`TARIFF_SCRIPT` switches to rate ``script_selector`` (1..4). Actions on
other scripts (e.g. a load-control output) are kept and can be followed with
:meth:`Calendar.segments <openamr.meter.tariff.calendar.Calendar.segments>`.

Limits (decision, [I]: the datasheet says "4 seasons" and "1 .. 4 rates"; the
rest is ours): 4 seasons, 4 week profiles, 8 day profiles (workday and
weekend for each of 4 seasons), 10 actions per day profile, 64 special days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openamr.codec.axdr import tag_of
from openamr.codec.datetime import (
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
from openamr.codec.types import Array, Data, Tag
from openamr.cosem.classes.clock import resolve
from openamr.errors import EncodeError

TARIFF_SCRIPT = Obis(0, 0, 10, 0, 100, 255)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class CalendarLimits:
    seasons: int = 4
    week_profiles: int = 4
    day_profiles: int = 8
    actions_per_day: int = 10
    special_days: int = 64
    rates: int = 4


MT372_LIMITS = CalendarLimits()


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a calendar was refused (the twin answers the write or activation with it)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Season:
    name: bytes
    start: CosemDateTime
    week_name: bytes

    def start_in(self, year: int) -> dt.datetime | None:
        """The naive local start in ``year`` (its own year when it has one)."""
        own = self.start.date.year
        return resolve(self.start, year if own == YEAR_NOT_SPECIFIED else own)


@dataclass(frozen=True, slots=True)
class WeekProfile:
    name: bytes
    day_ids: tuple[int, int, int, int, int, int, int]  # monday .. sunday


@dataclass(frozen=True, slots=True)
class DayAction:
    start: dt.time
    script: Obis
    selector: int


@dataclass(frozen=True, slots=True)
class DayProfile:
    day_id: int
    actions: tuple[DayAction, ...]  # sorted by start time (stable)


@dataclass(frozen=True, slots=True)
class SpecialDay:
    index: int
    date: CosemDate
    day_id: int

    def matches(self, day: dt.date) -> bool:
        return date_matches(self.date, day)


def date_matches(pattern: CosemDate, day: dt.date) -> bool:
    """Whether a COSEM date pattern names ``day``. Wildcards: 0xFFFF/0xFF any;
    day 0xFE/0xFD the last/second-last day of the month; a weekday with a day
    means both must hold (as the Special days table reads it)."""
    last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    wanted = {LAST_DAY: last.day, SECOND_LAST_DAY: last.day - 1}.get(pattern.day, pattern.day)
    return (
        pattern.year in (YEAR_NOT_SPECIFIED, day.year)
        and pattern.month in (NOT_SPECIFIED, day.month)
        and wanted in (NOT_SPECIFIED, day.day)
        and pattern.weekday in (NOT_SPECIFIED, day.isoweekday())
    )


def date_pattern_error(d: CosemDate) -> str | None:
    """Why a date pattern is not one the meter takes, or None."""
    day_ok = 1 <= d.day <= 31 or d.day in (NOT_SPECIFIED, LAST_DAY, SECOND_LAST_DAY)
    if not (1 <= d.month <= 12 or d.month == NOT_SPECIFIED) or not day_ok:
        return f"{d} is not a date pattern"
    if not (1 <= d.weekday <= 7 or d.weekday == NOT_SPECIFIED):
        return f"weekday {d.weekday} is not 1..7"
    return None


@dataclass(frozen=True, slots=True)
class CalendarParts:
    seasons: tuple[Season, ...]
    weeks: tuple[WeekProfile, ...]
    days: tuple[DayProfile, ...]
    special_days: tuple[SpecialDay, ...]


class _Refused(Exception):
    """Internal: unwinds parsing to a Refusal (never escapes this module)."""


def _tag(value: Data) -> Tag | None:
    try:
        return tag_of(value)
    except EncodeError:
        return None


def _items(value: Data, what: str, tags: tuple[Tag, ...]) -> list[tuple[Data, ...]]:
    """The elements of an array of structures whose fields have ``tags``."""
    if not isinstance(value, (list, Table)):
        raise _Refused(f"{what} must be an array")
    out: list[tuple[Data, ...]] = []
    for i, item in enumerate(value):
        if not (isinstance(item, tuple) and len(item) == len(tags)) or any(
            _tag(v) is not t for v, t in zip(item, tags, strict=True)
        ):
            raise _Refused(f"{what}[{i}] must be a structure of {len(tags)} fields")
        out.append(tuple(item))
    return out


def _octets(value: Data) -> bytes:
    assert isinstance(value, bytes)
    return bytes(value)


def _int(value: Data) -> int:
    assert isinstance(value, int)
    return int(value)


def _season(item: tuple[Data, ...], i: int) -> Season:
    name, start, week = (_octets(v) for v in item)
    if len(start) != CosemDateTime.SIZE:
        raise _Refused(f"season {i}: season_start must be 12 octets")
    season = Season(name, CosemDateTime.from_bytes(start), week)
    t = season.start.time
    limits = ((t.hour, 24), (t.minute, 60), (t.second, 60))
    bad_time = any(not (v < most or v == NOT_SPECIFIED) for v, most in limits)
    # the start must name a day in every year it applies to (29 Feb would not)
    years = (2023, 2024) if season.start.date.year == YEAR_NOT_SPECIFIED else (0,)
    if bad_time or any(season.start_in(y) is None for y in years):
        raise _Refused(f"season {i}: season_start {season.start} names no single day")
    return season


def _week(item: tuple[Data, ...]) -> WeekProfile:
    d = tuple(_int(v) for v in item[1:])
    return WeekProfile(_octets(item[0]), (d[0], d[1], d[2], d[3], d[4], d[5], d[6]))


def _action(item: tuple[Data, ...], day_id: int, limits: CalendarLimits) -> DayAction:
    start, script, selector = _octets(item[0]), _octets(item[1]), _int(item[2])
    if len(start) != CosemTime.SIZE or len(script) != 6:
        raise _Refused(f"day {day_id}: start_time needs 4 octets, script_logical_name 6")
    t = CosemTime.from_bytes(start)
    if t.hour > 23 or t.minute > 59 or not (t.second < 60 or t.second == NOT_SPECIFIED):
        raise _Refused(f"day {day_id}: start_time {t} is not a time of day")
    if not (t.hundredths < 100 or t.hundredths == NOT_SPECIFIED):
        raise _Refused(f"day {day_id}: start_time {t} has bad hundredths")
    action = DayAction(t.to_time(), Obis(*script), selector)
    if action.script == TARIFF_SCRIPT and not 1 <= selector <= limits.rates:
        raise _Refused(f"day {day_id}: rate {selector} is not in 1..{limits.rates}")
    return action


def _day(item: tuple[Data, ...], limits: CalendarLimits) -> DayProfile:
    day_id = _int(item[0])
    schedule = _items(
        item[1], f"day {day_id} schedule", (Tag.OCTET_STRING,) * 2 + (Tag.LONG_UNSIGNED,)
    )
    if len(schedule) > limits.actions_per_day:
        raise _Refused(f"day {day_id}: more than {limits.actions_per_day} actions")
    actions = sorted((_action(a, day_id, limits) for a in schedule), key=lambda a: a.start)
    return DayProfile(day_id, tuple(actions))


def _special(item: tuple[Data, ...]) -> SpecialDay:
    index, date, day_id = _int(item[0]), _octets(item[1]), _int(item[2])
    if len(date) != CosemDate.SIZE:
        raise _Refused(f"special day {index}: specialday_date must be 5 octets")
    d = CosemDate.from_bytes(date)
    error = date_pattern_error(d)
    if error is not None:
        raise _Refused(f"special day {index}: {error}")
    return SpecialDay(index, d, day_id)


def _count(what: str, n: int, most: int, least: int = 1) -> None:
    if not least <= n <= most:
        raise _Refused(f"{what}: {n} entries, the meter takes {least}..{most}")


def _unique(what: str, keys: list[bytes] | list[int]) -> None:
    if len(set(keys)) != len(keys):
        raise _Refused(f"{what}: names must be unique")


def _references(parts: CalendarParts) -> None:
    weeks = {w.name for w in parts.weeks}
    days = {d.day_id for d in parts.days}
    for s in parts.seasons:
        if s.week_name not in weeks:
            raise _Refused(f"season {s.name!r}: no week profile {s.week_name!r}")
    for w in parts.weeks:
        for name, day_id in zip(WEEKDAYS, w.day_ids, strict=True):
            if day_id not in days:
                raise _Refused(f"week {w.name!r}: {name} names no day profile {day_id}")
    for sd in parts.special_days:
        if sd.day_id not in days:
            raise _Refused(f"special day {sd.index}: no day profile {sd.day_id}")


def _parse(
    season_profile: Data,
    week_profile_table: Data,
    day_profile_table: Data,
    special_days: Data,
    limits: CalendarLimits,
) -> CalendarParts:
    o, u = Tag.OCTET_STRING, Tag.UNSIGNED
    seasons = _items(season_profile, "season_profile", (o, o, o))
    weeks = _items(week_profile_table, "week_profile_table", (o,) + (u,) * 7)
    days = _items(day_profile_table, "day_profile_table", (u, Tag.ARRAY))
    specials = _items(special_days, "special days", (Tag.LONG_UNSIGNED, o, u))
    _count("season_profile", len(seasons), limits.seasons)
    _count("week_profile_table", len(weeks), limits.week_profiles)
    _count("day_profile_table", len(days), limits.day_profiles)
    _count("special days", len(specials), limits.special_days, least=0)
    parts = CalendarParts(
        tuple(_season(s, i) for i, s in enumerate(seasons)),
        tuple(_week(w) for w in weeks),
        tuple(_day(d, limits) for d in days),
        tuple(sorted((_special(s) for s in specials), key=lambda s: s.index)),
    )
    _unique("season_profile", [s.name for s in parts.seasons])
    _unique("week_profile_table", [w.name for w in parts.weeks])
    _unique("day_profile_table", [d.day_id for d in parts.days])
    _unique("special days", [s.index for s in parts.special_days])
    _references(parts)
    return parts


def parse_parts(
    season_profile: Data,
    week_profile_table: Data,
    day_profile_table: Data,
    special_days: Data = None,
    limits: CalendarLimits = MT372_LIMITS,
) -> CalendarParts | Refusal:
    """The calendar in the four attribute values, or why it is refused."""
    try:
        return _parse(
            season_profile,
            week_profile_table,
            day_profile_table,
            Array() if special_days is None else special_days,
            limits,
        )
    except _Refused as e:
        return Refusal(str(e))
