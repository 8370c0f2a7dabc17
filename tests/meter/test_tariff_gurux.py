"""The calendar as gurux-dlms (a test-only oracle) encodes and decodes it.

gurux builds the activity calendar attributes its own way (GXDLMSActivityCalendar
.getValue); we parse those bytes. Our default calendar's values go into gurux's
object (setValue) and come out with the same seasons, weeks and day actions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openamr.codec import decode, encode
from openamr.cosem.classes.clock import Clock
from openamr.meter.tariff.calendar import Calendar, parse_calendar
from openamr.meter.tariff.defaults import mt372_calendar

gurux = pytest.importorskip("gurux_dlms")
objects = pytest.importorskip("gurux_dlms.objects")
enums = pytest.importorskip("gurux_dlms.enums")
gx_common = pytest.importorskip("gurux_dlms.internal._GXCommon")
gx_info = pytest.importorskip("gurux_dlms.internal._GXDataInfo")

UTC = dt.UTC
_AT = dt.datetime(2024, 1, 1, tzinfo=UTC)
CLOCK = Clock("0.0.1.0.0.255", lambda: _AT, lambda _: None)


def gurux_season(name: bytes, month: int, week: bytes) -> Any:
    season = objects.GXDLMSSeasonProfile()
    season.name, season.weekName = name, week
    season.start = gurux.GXDateTime(dt.datetime(2024, month, 1))
    skips = enums.DateTimeSkips
    season.start.skip |= skips.YEAR | skips.DAY_OF_WEEK | skips.DEVITATION | skips.STATUS
    return season


def gurux_day(day_id: int, switches: list[tuple[int, int]]) -> Any:
    day = objects.GXDLMSDayProfile()
    day.dayId, day.daySchedules = day_id, []
    for hour, rate in switches:
        action = objects.GXDLMSDayProfileAction()
        action.startTime = gurux.GXTime(dt.datetime(2024, 1, 1, hour))
        action.scriptLogicalName, action.scriptSelector = "0.0.10.0.100.255", rate
        day.daySchedules.append(action)
    return day


def gurux_calendar() -> Any:
    calendar = objects.GXDLMSActivityCalendar("0.0.13.0.0.255")
    calendar.seasonProfileActive = [
        gurux_season(b"winter", 10, b"workweek"),
        gurux_season(b"summer", 4, b"workweek"),
    ]
    week = objects.GXDLMSWeekProfile()
    week.name = b"workweek"
    week.monday = week.tuesday = week.wednesday = week.thursday = week.friday = 1
    week.saturday = week.sunday = 2
    calendar.weekProfileTableActive = [week]
    calendar.dayProfileTableActive = [
        gurux_day(1, [(0, 2), (6, 1), (22, 2)]),
        gurux_day(2, [(0, 2)]),
    ]
    return calendar


def gurux_bytes(calendar: Any, index: int) -> bytes:
    settings = gurux.GXDLMSSettings(True, None)
    value = calendar.getValue(settings, gurux.ValueEventArgs(settings, calendar, index, 0, None))
    return bytes(value)


def test_we_parse_the_calendar_gurux_writes() -> None:
    theirs = gurux_calendar()
    seasons, weeks, days = (decode(gurux_bytes(theirs, i)) for i in (3, 4, 5))
    ours = parse_calendar(seasons, weeks, days)
    assert isinstance(ours, Calendar), ours
    default = mt372_calendar().parse()
    instant = dt.datetime(2024, 1, 1, tzinfo=UTC)
    while instant < dt.datetime(2024, 1, 15, tzinfo=UTC):  # two weeks, holidays aside
        if instant.date() not in (dt.date(2024, 1, 1), dt.date(2024, 1, 2)):
            assert ours.rate_at(instant, CLOCK) == default.rate_at(instant, CLOCK), instant
        instant += dt.timedelta(minutes=30)
    assert [s.start.date.month for s in ours.parts.seasons] == [10, 4]
    assert [a.selector for a in ours.parts.days[0].actions] == [2, 1, 2]


def test_our_encoding_is_byte_for_byte_the_one_gurux_builds() -> None:
    theirs, data = gurux_calendar(), mt372_calendar()
    assert encode(data.season_profile) == gurux_bytes(theirs, 3)
    assert encode(data.week_profile_table) == gurux_bytes(theirs, 4)
    assert encode(data.day_profile_table) == gurux_bytes(theirs, 5)


def test_gurux_reads_our_default_calendar() -> None:
    data = mt372_calendar()
    theirs = objects.GXDLMSActivityCalendar("0.0.13.0.0.255")
    settings = gurux.GXDLMSSettings(False, None)
    values = (data.season_profile, data.week_profile_table, data.day_profile_table)
    for index, value in zip((3, 4, 5), values, strict=True):
        event = gurux.ValueEventArgs(settings, theirs, index, 0, None)
        buffer = gurux.GXByteBuffer(encode(value))
        event.value = gx_common._GXCommon.getData(settings, buffer, gx_info._GXDataInfo())
        theirs.setValue(settings, event)
    seasons = theirs.seasonProfileActive
    assert [bytes(s.name) for s in seasons] == [b"winter", b"summer"]
    assert [s.start.value.month for s in seasons] == [10, 4]
    (week,) = theirs.weekProfileTableActive
    assert (week.monday, week.friday, week.saturday, week.sunday) == (1, 1, 2, 2)
    day1 = theirs.dayProfileTableActive[0]
    starts = [(a.startTime.value.hour, a.scriptSelector) for a in day1.daySchedules]
    assert starts == [(0, 2), (6, 1), (22, 2)]
    assert {str(a.scriptLogicalName) for a in day1.daySchedules} == {"0.0.10.0.100.255"}
