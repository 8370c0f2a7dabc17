"""Special days table (class 11)."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import Array, LongUnsigned, OctetString, Structure, Tag, Unsigned
from openamr.cosem.classes.special_days import SpecialDaysTable

from .test_extended_register import assert_types

CHRISTMAS = bytes.fromhex("ffff 0c 19 ff")  # every 25 December
EASTER_2024 = bytes.fromhex("07e8 04 01 ff")


def entry(index: int, date: bytes, day_id: int) -> Structure:
    return Structure((LongUnsigned(index), OctetString(date), Unsigned(day_id)))


def test_types() -> None:
    table = SpecialDaysTable("0.0.11.0.0.255", [(1, CHRISTMAS, 3)])
    assert_types(table, {2: Tag.ARRAY})
    assert table.set(2, Array([Structure((LongUnsigned(1),))])) is DataAccessResult.TYPE_UNMATCHED
    assert table.get(2) == Array([entry(1, CHRISTMAS, 3)])


def test_insert_replaces_same_index_or_date_and_delete() -> None:
    table = SpecialDaysTable("0.0.11.0.0.255", [(1, CHRISTMAS, 3)])
    assert table.action(1, entry(2, EASTER_2024, 4)) == (ActionResult.SUCCESS, None)
    assert table.day_id(dt.date(2024, 4, 1)) == 4 and table.day_id(dt.date(2031, 12, 25)) == 3
    table.action(1, entry(5, CHRISTMAS, 9))  # same date: replaces index 1
    assert table.get(2) == Array([entry(2, EASTER_2024, 4), entry(5, CHRISTMAS, 9)])
    table.action(1, entry(2, EASTER_2024[:4] + b"\x02", 6))  # same index: replaces
    assert table.day_id(dt.date(2024, 4, 1)) is None
    assert table.action(2, LongUnsigned(5)) == (ActionResult.SUCCESS, None)
    assert table.action(2, LongUnsigned(5))[0] is ActionResult.OTHER_REASON
    assert table.get(2) == Array([entry(2, EASTER_2024[:4] + b"\x02", 6)])
    assert table.action(1, Unsigned(1))[0] is ActionResult.TYPE_UNMATCHED
