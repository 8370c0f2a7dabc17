"""ACTION-Request / ACTION-Response: vectors both ways, OPTIONAL vs null-data."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.action import (
    ActionRequestNextPblock,
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithList,
    ActionRequestWithListAndFirstPblock,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithOptionalData,
    ActionResponseWithPblock,
)
from openamr.apdu.descriptors import ABSENT, CosemMethodDescriptor, DataBlockSA, InvokeIdAndPriority
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import DecodeError, Integer, OctetString
from openamr.codec.obis import Obis
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

IIP0 = InvokeIdAndPriority(0)
HLS = CosemMethodDescriptor(15, Obis.parse("0.0.40.0.0.255"), 1)

EXPECTED: dict[str, object] = {
    "action-request-normal": ActionRequestNormal(
        HLS,
        OctetString(bytes.fromhex("10 00 00 1a 90 e6 d2 22 1f a2 fd 85 ee d6 1a cc 22")),
        IIP0,
    ),
    "action-request-normal-no-parameters": ActionRequestNormal(HLS, ABSENT, IIP0),
    "action-response-normal": ActionResponseNormal(
        ActionResponseWithOptionalData(ActionResult.SUCCESS), IIP0
    ),
    "action-response-normal-with-data": ActionResponseNormal(
        ActionResponseWithOptionalData(
            ActionResult.SUCCESS,
            OctetString(bytes.fromhex("10 00 00 1a fd e8 85 7b 72 8a 34 99 10 6a a6 65 d1")),
        ),
        IIP0,
    ),
    "action-response-normal-with-error": ActionResponseNormal(
        ActionResponseWithOptionalData(ActionResult.SUCCESS, DataAccessResult.OTHER_REASON),
        IIP0,
    ),
}


@pytest.mark.parametrize(("data", "value"), XDLMS.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, value: object) -> None:
    assert decode_apdu(data) == value
    assert value.to_bytes() == data  # type: ignore[attr-defined]


def test_absent_parameters_differ_from_null_data() -> None:
    absent = ActionRequestNormal(HLS)
    null = ActionRequestNormal(HLS, None)
    assert absent.to_bytes()[-1:] == b"\x00"
    assert null.to_bytes()[-2:] == b"\x01\x00"
    assert decode_apdu(null.to_bytes()) == null
    assert decode_apdu(absent.to_bytes()) == absent


RELAY = CosemMethodDescriptor(70, Obis.parse("0.0.96.3.10.255"), 1)
BLOCK = DataBlockSA(False, 1, b"\x09\x03abc")

BUILT = [
    pytest.param(ActionRequestNextPblock(4), "c3 02 c1 00 00 00 04", id="next-pblock"),
    pytest.param(ActionRequestWithList((HLS, RELAY), (None, Integer(0))), "c3 03 c1 02", id="list"),
    pytest.param(ActionRequestWithFirstPblock(RELAY, BLOCK), "c3 04 c1 00 46", id="first"),
    pytest.param(ActionRequestWithListAndFirstPblock((RELAY,), BLOCK), "c3 05 c1 01", id="lfp"),
    pytest.param(ActionRequestWithPblock(BLOCK), "c3 06 c1 00 00 00 00 01 05", id="pblock"),
    pytest.param(ActionResponseWithPblock(BLOCK), "c7 02 c1 00", id="resp-pblock"),
    pytest.param(
        ActionResponseWithList(
            (
                ActionResponseWithOptionalData(ActionResult.SUCCESS),
                ActionResponseWithOptionalData(ActionResult.TEMPORARY_FAILURE, None),
            )
        ),
        "c7 03 c1 02 00 00 02 01 00 00",
        id="resp-list",
    ),
    pytest.param(ActionResponseNextPblock(2), "c7 04 c1 00 00 00 02", id="resp-next"),
]


@pytest.mark.parametrize(("apdu", "prefix"), BUILT)
def test_built_messages_round_trip(apdu: object, prefix: str) -> None:
    data = apdu.to_bytes()  # type: ignore[attr-defined]
    assert data.startswith(bytes.fromhex(prefix))
    assert decode_apdu(data) == apdu


@pytest.mark.parametrize(
    "hex_",
    [
        "c3 07 c1",  # unknown choice
        "c7 01 c1 05 00",  # 5 is no Action-Result
        "c7 01 c1 00 02",  # presence flag 2
        "c7 01 c1 00 01 02 00",  # Get-Data-Result choice 2
        "c3 01 c1 00 0f 00 00 28 00 00 ff 01 03",  # presence flag 3
    ],
)
def test_malformed(hex_: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_))
