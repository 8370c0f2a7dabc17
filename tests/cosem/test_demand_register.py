"""Demand register (class 5): types, reset and next_period on held values."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import DoubleLong, DoubleLongUnsigned, Integer, LongUnsigned, Tag
from openamr.codec.axdr import tag_of
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.extended_register import NOT_SPECIFIED

from .test_extended_register import NOON, Stamps, assert_types

LATER = bytes.fromhex("07e8 01 0f 01 0c 0f 00 00 ffc4 00")


def demand(stamps: Stamps) -> DemandRegister:
    return DemandRegister(
        "1.0.1.4.0.255", DoubleLong(0), ScalerUnit(0, Unit.WATT), 900, 1, stamp=stamps
    )


def test_types() -> None:
    reg = demand(Stamps())
    tags = {
        4: Tag.STRUCTURE,
        6: Tag.OCTET_STRING,
        7: Tag.OCTET_STRING,
        8: Tag.DOUBLE_LONG_UNSIGNED,
        9: Tag.LONG_UNSIGNED,
    }
    assert_types(reg, tags)
    assert tag_of(reg.get(2)) == tag_of(reg.get(3)) == Tag.DOUBLE_LONG
    assert reg.set(8, DoubleLongUnsigned(0)) is DataAccessResult.OTHER_REASON
    assert reg.set(9, LongUnsigned(4)) is DataAccessResult.SUCCESS and reg.get(9) == 4


def test_next_period_moves_current_to_last() -> None:
    stamps = Stamps()
    reg = demand(stamps)
    reg.update(DoubleLong(1500))
    assert reg.action(2, Integer(0)) == (ActionResult.SUCCESS, None)
    assert (reg.get(2), reg.get(3)) == (0, 1500)
    assert reg.get(6) == reg.get(7) == NOON
    reg.update(DoubleLong(-20))
    stamps.value = LATER
    reg.action(2, Integer(0))
    assert (reg.get(2), reg.get(3), reg.get(6), reg.get(7)) == (0, -20, LATER, LATER)
    assert isinstance(reg.get(3), DoubleLong)


def test_reset_clears_both_values() -> None:
    stamps = Stamps()
    reg = demand(stamps)
    assert reg.get(6) == NOT_SPECIFIED
    reg.update(DoubleLong(700))
    reg.action(2, Integer(0))
    reg.update(DoubleLong(800))
    stamps.value = LATER
    assert reg.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert (reg.get(2), reg.get(3), reg.get(6), reg.get(7)) == (0, 0, LATER, LATER)
