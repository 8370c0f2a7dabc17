"""SET-Request / SET-Response: vectors both ways and every choice."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    DataBlockSA,
    InvokeIdAndPriority,
)
from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import EntryDescriptor
from openamr.apdu.set import (
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetRequestWithListAndFirstDatablock,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseLastDatablockWithList,
    SetResponseNormal,
    SetResponseWithList,
)
from openamr.codec import DecodeError, OctetString, Unsigned
from openamr.codec.obis import Obis
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

CLOCK_TIME = CosemAttributeDescriptor(8, Obis.parse("0.0.1.0.0.255"), 2)

EXPECTED: dict[str, object] = {
    "set-request-normal": SetRequestNormal(
        CLOCK_TIME, OctetString(bytes.fromhex("07 e5 01 18 ff 0e 30 39 50 ff c4 00"))
    ),
    "set-request-with-first-datablock": SetRequestWithFirstDatablock(
        CosemAttributeDescriptor(1, Obis.parse("0.0.128.0.0.255"), 2),
        DataBlockSA(
            False,
            1,
            bytes.fromhex("09 32 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19"),
        ),
    ),
    "set-response-normal": SetResponseNormal(DataAccessResult.SUCCESS),
    "set-response-datablock": SetResponseDatablock(1),
    "set-response-last-datablock": SetResponseLastDatablock(DataAccessResult.SUCCESS, 2),
}


@pytest.mark.parametrize(("data", "value"), XDLMS.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, value: object) -> None:
    assert decode_apdu(data) == value
    assert value.to_bytes() == data  # type: ignore[attr-defined]


ENTRY = EntryDescriptor(1, 10).to_access()
LIST = (
    CosemAttributeDescriptorWithSelection(CLOCK_TIME),
    CosemAttributeDescriptorWithSelection(
        CosemAttributeDescriptor(7, Obis.parse("1.0.99.1.0.255"), 2), ENTRY
    ),
)
BLOCK = DataBlockSA(True, 7, b"\x01\x02\x03")
IIP = InvokeIdAndPriority(9, confirmed=True, high_priority=False)

BUILT = [
    pytest.param(SetRequestNormal(CLOCK_TIME, Unsigned(1), ENTRY, IIP), "c1 01 49", id="normal"),
    pytest.param(SetRequestWithDatablock(BLOCK), "c1 03 c1 01 00 00 00 07 03 01 02 03", id="db"),
    pytest.param(SetRequestWithList(LIST, (None, Unsigned(3))), "c1 04 c1 02", id="list"),
    pytest.param(SetRequestWithListAndFirstDatablock(LIST, BLOCK), "c1 05 c1 02", id="list-db"),
    pytest.param(
        SetResponseLastDatablockWithList(
            (DataAccessResult.SUCCESS, DataAccessResult.TYPE_UNMATCHED), 3
        ),
        "c5 04 c1 02 00 0c 00 00 00 03",
        id="last-db-list",
    ),
    pytest.param(
        SetResponseWithList((DataAccessResult.READ_WRITE_DENIED,)), "c5 05 c1 01 03", id="list-r"
    ),
]


@pytest.mark.parametrize(("apdu", "prefix"), BUILT)
def test_built_messages_round_trip(apdu: object, prefix: str) -> None:
    data = apdu.to_bytes()  # type: ignore[attr-defined]
    assert data.startswith(bytes.fromhex(prefix))
    assert decode_apdu(data) == apdu


@pytest.mark.parametrize(
    "hex_",
    ["c1 06 c1", "c5 00 c1", "c5 01 c1 05", "c5 03 c1 00 00 00", "c1 03 c1 00 00 00 00 01 05 01"],
)
def test_malformed(hex_: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_))
