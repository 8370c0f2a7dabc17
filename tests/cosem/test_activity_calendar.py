"""Activity calendar (class 20)."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import (
    Array,
    CosemDateTime,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.extended_register import NOT_SPECIFIED

from .test_extended_register import assert_types

UTC = dt.UTC
SEASONS = Array([Structure((OctetString(b"S"), OctetString(NOT_SPECIFIED), OctetString(b"W")))])
WEEKS = Array([Structure((OctetString(b"W"), *(Unsigned(1),) * 5, Unsigned(2), Unsigned(2)))])
TARIFF_SCRIPT = OctetString(bytes.fromhex("00 00 0a 00 64 ff"))
ACTION = Structure((OctetString(bytes.fromhex("06 00 00 00")), TARIFF_SCRIPT, LongUnsigned(1)))
DAYS = Array([Structure((Unsigned(1), Array([ACTION])))])


def programmed() -> ActivityCalendar:
    cal = ActivityCalendar("0.0.13.0.0.255")
    for index, value in ((6, OctetString(b"2024")), (7, SEASONS), (8, WEEKS), (9, DAYS)):
        assert cal.set(index, value) is DataAccessResult.SUCCESS
    return cal


def test_types() -> None:
    tags = {i: Tag.ARRAY for i in (3, 4, 5, 7, 8, 9)}
    tags.update({2: Tag.OCTET_STRING, 6: Tag.OCTET_STRING, 10: Tag.OCTET_STRING})
    assert_types(programmed(), tags)
    cal = programmed()
    assert cal.set(8, Array([Structure((OctetString(b"W"), Unsigned(1)))])) is (
        DataAccessResult.TYPE_UNMATCHED
    )
    assert cal.set(10, OctetString(bytes(4))) is DataAccessResult.TYPE_UNMATCHED


def test_activate_copies_passive_to_active() -> None:
    cal = programmed()
    assert cal.get(2) == b"" and cal.get(5) == Array()
    assert cal.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert (cal.get(2), cal.get(3), cal.get(4), cal.get(5)) == (b"2024", SEASONS, WEEKS, DAYS)


def test_tick_activates_once_at_the_time() -> None:
    cal = programmed()
    at = dt.datetime(2024, 5, 1, tzinfo=UTC)
    assert not cal.tick(at)  # switched off
    cal.set(10, OctetString(CosemDateTime.from_datetime(at).to_bytes()))
    assert not cal.tick(at - dt.timedelta(seconds=1)) and cal.get(2) == b""
    assert cal.tick(at) and cal.get(2) == b"2024"
    assert cal.get(10) == NOT_SPECIFIED and not cal.tick(at + dt.timedelta(days=1))
