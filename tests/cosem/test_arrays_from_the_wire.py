"""Arrays a client writes decode as a fast Table when their elements share one
shape; every class must accept them as arrays (a regression: they were refused
with TYPE_UNMATCHED because the checks wanted a list)."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec import (
    Array,
    LongUnsigned,
    OctetString,
    Structure,
    Table,
    Unsigned,
    decode,
    encode,
)
from openamr.codec.datetime import CosemDate
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.special_days import SpecialDaysTable
from openamr.meter.tariff.defaults import mt372_calendar


def from_the_wire(value: Array) -> object:
    decoded = decode(encode(value))
    assert isinstance(decoded, Table)  # the case under test
    return decoded


def test_special_days_written_by_a_client() -> None:
    days = Array(
        Structure(
            (LongUnsigned(i), OctetString(CosemDate(0xFFFF, 1, i, 0xFF).to_bytes()), Unsigned(2))
        )
        for i in range(1, 4)
    )
    table = SpecialDaysTable("0.0.11.0.0.255")
    assert table.set(2, from_the_wire(days)) is DataAccessResult.SUCCESS  # type: ignore[arg-type]
    assert len(table.get(2)) == 3  # type: ignore[arg-type]


def test_activity_calendar_written_by_a_client() -> None:
    calendar = mt372_calendar()
    ac = ActivityCalendar("0.0.13.0.0.255")
    for index, value in ((7, calendar.season_profile), (8, calendar.week_profile_table)):
        assert isinstance(value, Array)
        wire = decode(encode(value))
        assert ac.set(index, wire) is DataAccessResult.SUCCESS, index
