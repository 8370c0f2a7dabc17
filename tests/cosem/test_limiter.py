"""Limiter (class 71)."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import DataAccessResult
from openamr.codec import (
    Array,
    CosemDateTime,
    DoubleLongUnsigned,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.codec.axdr import tag_of
from openamr.codec.obis import Obis
from openamr.cosem.classes.limiter import Limiter
from openamr.cosem.classes.register_monitor import action_item, value_definition

from .test_extended_register import assert_types

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
OVER = action_item(Obis.parse("0.0.10.0.106.255"), 1)
UNDER = action_item(Obis.parse("0.0.10.0.106.255"), 2)


def limiter() -> Limiter:
    return Limiter(
        "0.0.17.0.0.255",
        value_definition(3, Obis.parse("1.0.1.7.0.255"), 2),
        DoubleLongUnsigned(5000),
        DoubleLongUnsigned(2000),
        60,
        30,
        Structure((OVER, UNDER)),
    )


def test_types() -> None:
    lim = limiter()
    tags = {2: Tag.STRUCTURE, 6: Tag.DOUBLE_LONG_UNSIGNED, 7: Tag.DOUBLE_LONG_UNSIGNED,
            8: Tag.STRUCTURE, 9: Tag.ARRAY, 10: Tag.BOOLEAN, 11: Tag.STRUCTURE}  # fmt: skip
    assert_types(lim, tags)
    assert tag_of(lim.get(3)) == tag_of(lim.get(4)) == Tag.DOUBLE_LONG_UNSIGNED
    assert lim.set(9, Array([Unsigned(1)])) is DataAccessResult.TYPE_UNMATCHED


def test_over_and_under_after_their_durations() -> None:
    lim = limiter()
    assert lim.evaluate(6000, T0) == []
    assert lim.evaluate(6000, T0 + dt.timedelta(seconds=59)) == []
    assert lim.evaluate(6000, T0 + dt.timedelta(seconds=60)) == [OVER]
    assert lim.evaluate(6000, T0 + dt.timedelta(seconds=200)) == []  # once
    assert lim.evaluate(100, T0 + dt.timedelta(seconds=300)) == []
    assert lim.evaluate(6000, T0 + dt.timedelta(seconds=310)) == []  # back over: restarts
    assert lim.evaluate(100, T0 + dt.timedelta(seconds=320)) == []
    assert lim.evaluate(100, T0 + dt.timedelta(seconds=350)) == [UNDER]


def test_emergency_profile_switches_the_threshold() -> None:
    lim = limiter()
    start = OctetString(CosemDateTime.from_datetime(T0).to_bytes())
    lim.set(8, Structure((LongUnsigned(7), start, DoubleLongUnsigned(3600))))
    lim.evaluate(3000, T0)
    assert lim.get(10) is False and lim.get(3) == 5000  # group 7 not listed
    assert lim.set(9, Array([LongUnsigned(7)])) is DataAccessResult.SUCCESS
    assert lim.evaluate(3000, T0 + dt.timedelta(seconds=1)) == []
    assert lim.get(10) is True and lim.get(3) == 2000
    assert lim.evaluate(3000, T0 + dt.timedelta(seconds=61)) == [OVER]
    lim.evaluate(3000, T0 + dt.timedelta(hours=1))
    assert lim.get(10) is False and lim.get(3) == 5000
