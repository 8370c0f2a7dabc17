"""Extended register (class 4) and demand register (class 5): types and methods."""

from __future__ import annotations

import pytest

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import Data, DoubleLongUnsigned, Integer, Long, OctetString, Tag, Unsigned
from openamr.codec.axdr import tag_of
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.extended_register import NOT_SPECIFIED, ExtendedRegister

NOON = bytes.fromhex("07e8 01 0f 01 0c 00 00 00 ffc4 00")


class Stamps:
    """A stepped local time as 12-octet date-times."""

    def __init__(self) -> None:
        self.value = NOON

    def __call__(self) -> bytes:
        return self.value


def assert_types(obj: CosemObject, tags: dict[int, Tag]) -> None:
    """GET of every attribute gives its declared type; a SET of another type is
    TYPE_UNMATCHED."""
    for index, tag in tags.items():
        assert tag_of(obj.get(index)) == tag, index
        wrong: Data = Unsigned(1) if tag != Tag.UNSIGNED else Long(1)
        assert obj.set(index, wrong) is DataAccessResult.TYPE_UNMATCHED, index


def max_demand(stamps: Stamps) -> ExtendedRegister:
    return ExtendedRegister(
        "1.0.1.6.0.255", DoubleLongUnsigned(4321), ScalerUnit(0, Unit.WATT), Unsigned(0), stamps
    )


def test_types() -> None:
    reg = max_demand(Stamps())
    reg.capture(DoubleLongUnsigned(5000))
    tags = {3: Tag.STRUCTURE, 5: Tag.OCTET_STRING}
    assert_types(reg, tags)
    assert tag_of(reg.get(2)) == Tag.DOUBLE_LONG_UNSIGNED
    assert tag_of(reg.get(4)) == Tag.UNSIGNED
    assert reg.set(5, OctetString(bytes(5))) is DataAccessResult.TYPE_UNMATCHED


def test_capture_stamps_the_value() -> None:
    stamps = Stamps()
    reg = max_demand(stamps)
    assert reg.get(5) == NOT_SPECIFIED
    reg.capture(DoubleLongUnsigned(5000), Unsigned(8))
    assert (reg.get(2), reg.get(4), reg.get(5)) == (5000, 8, NOON)


def test_reset_zeroes_the_value_and_stamps_it() -> None:
    stamps = Stamps()
    reg = max_demand(stamps)
    stamps.value = bytes.fromhex("07e8 02 01 04 00 00 00 00 ffc4 00")
    assert reg.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    value = reg.get(2)
    assert value == 0 and isinstance(value, DoubleLongUnsigned)
    assert reg.get(5) == stamps.value
    assert reg.get(3) == ScalerUnit(0, Unit.WATT).to_data()


@pytest.mark.parametrize("bad", [Integer(1), Long(0)])
def test_reset_parameter_type(bad: Data) -> None:
    expected = ActionResult.SUCCESS if isinstance(bad, Integer) else ActionResult.TYPE_UNMATCHED
    assert max_demand(Stamps()).action(1, bad)[0] is expected
