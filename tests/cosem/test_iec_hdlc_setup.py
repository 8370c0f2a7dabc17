"""IEC HDLC setup (class 23 v1): HDLC parameters with their ranges."""

from __future__ import annotations

import pytest

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Data, Enum, LongUnsigned, Unsigned
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from tests.cosem.declared import check_declaration


def test_declaration_and_mt372_defaults() -> None:
    obj = IecHdlcSetup()
    assert (obj.CLASS_ID, obj.VERSION) == (23, 1)
    check_declaration(obj)
    assert obj.get(9) == LongUnsigned(17)
    assert obj.get(2) == Enum(5)
    assert (obj.get(3), obj.get(5), obj.get(7)) == (1, 128, 25)


@pytest.mark.parametrize(
    ("index", "bad", "good"),
    [
        (3, Unsigned(0), Unsigned(7)),
        (4, Unsigned(8), Unsigned(1)),
        (5, LongUnsigned(31), LongUnsigned(2030)),
        (6, LongUnsigned(2031), LongUnsigned(32)),
        (7, LongUnsigned(19), LongUnsigned(6000)),
        (9, LongUnsigned(0x0F), LongUnsigned(0x3FFD)),
        (9, LongUnsigned(0x3FFE), LongUnsigned(0x10)),
        (2, Enum(10), Enum(9)),
    ],
)
def test_ranges(index: int, bad: Data, good: Data) -> None:
    obj = IecHdlcSetup()
    assert obj.set(index, bad) is DataAccessResult.OTHER_REASON
    assert obj.set(index, good) is DataAccessResult.SUCCESS
    assert obj.get(index) == good


def test_gurux_reads_our_attributes() -> None:
    from gurux_dlms.objects import GXDLMSHdlcSetup

    from tests.cosem.gurux_oracle import gurux_parse

    theirs = gurux_parse(IecHdlcSetup(), GXDLMSHdlcSetup())
    assert int(theirs.communicationSpeed) == 5
    assert (theirs.windowSizeTransmit, theirs.windowSizeReceive) == (1, 1)
    assert (theirs.maximumInfoLengthTransmit, theirs.maximumInfoLengthReceive) == (128, 128)
    assert (theirs.interCharachterTimeout, theirs.inactivityTimeout) == (25, 120)
    assert theirs.deviceAddress == 17
