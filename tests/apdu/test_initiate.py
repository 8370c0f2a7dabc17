"""InitiateRequest, InitiateResponse, ConfirmedServiceError: vectors both ways, the
conformance bits, range checks, hostile input."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.initiate import (
    ConfirmedServiceError,
    Conformance,
    InitiateRequest,
    InitiateResponse,
)
from openamr.apdu.service_error import (
    SERVICE_ERROR_CHOICES,
    AccessError,
    ConfirmedServiceName,
    InitiateError,
    TaskError,
)
from openamr.errors import DecodeError, EncodeError
from tests.vector_files import Vectors

ACSE = Vectors("acse")

C = Conformance
#: 00 7e 1f: the Green Book AARQ's proposed conformance.
GB_PROPOSED = (
    C.PRIORITY_MGMT_SUPPORTED | C.ATTRIBUTE0_SUPPORTED_WITH_GET
    | C.BLOCK_TRANSFER_WITH_GET_OR_READ | C.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | C.BLOCK_TRANSFER_WITH_ACTION | C.MULTIPLE_REFERENCES
    | C.GET | C.SET | C.SELECTIVE_ACCESS | C.EVENT_NOTIFICATION | C.ACTION
)  # fmt: skip
#: 00 50 1f
GB_NEGOTIATED = (
    C.PRIORITY_MGMT_SUPPORTED | C.BLOCK_TRANSFER_WITH_GET_OR_READ
    | C.GET | C.SET | C.SELECTIVE_ACCESS | C.EVENT_NOTIFICATION | C.ACTION
)  # fmt: skip
#: 00 1e 1d
METER_NEGOTIATED = (
    C.BLOCK_TRANSFER_WITH_GET_OR_READ | C.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | C.BLOCK_TRANSFER_WITH_ACTION | C.MULTIPLE_REFERENCES
    | C.GET | C.SET | C.SELECTIVE_ACCESS | C.ACTION
)  # fmt: skip

EXPECTED: dict[str, object] = {
    "initiate-request": InitiateRequest(
        proposed_conformance=GB_PROPOSED, client_max_receive_pdu_size=1200
    ),
    "initiate-request-dedicated-key": InitiateRequest(
        proposed_conformance=GB_PROPOSED,
        client_max_receive_pdu_size=1200,
        dedicated_key=bytes.fromhex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"),
    ),
    "initiate-response": InitiateResponse(
        negotiated_conformance=GB_NEGOTIATED, server_max_receive_pdu_size=500
    ),
    "initiate-response-qos": InitiateResponse(
        negotiated_conformance=METER_NEGOTIATED,
        server_max_receive_pdu_size=1224,
        negotiated_quality_of_service=0,
    ),
    "confirmed-service-error-initiate": ConfirmedServiceError(
        ConfirmedServiceName.INITIATE_ERROR, InitiateError.DLMS_VERSION_TOO_LOW
    ),
}


def test_every_initiate_vector_is_checked() -> None:
    assert sorted(ACSE.stems("initiate") + ACSE.stems("confirmed")) == sorted(EXPECTED)


@pytest.mark.parametrize(("data", "msg"), ACSE.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, msg: InitiateRequest) -> None:
    assert msg.to_bytes() == data
    assert type(msg).from_bytes(data) == msg
    assert decode_apdu(data) == msg


def test_conformance_bit_positions() -> None:
    # Green Book 9.4.6.1: bit 0 is the first bit on the wire (MSB of the first octet).
    assert C.GENERAL_PROTECTION == 0x400000
    assert C.READ == 0x100000
    assert C.ATTRIBUTE0_SUPPORTED_WITH_SET == 0x008000
    assert C.MULTIPLE_REFERENCES == 0x000200
    assert C.DATA_NOTIFICATION == 0x000080
    assert C.GET == 0x000010
    assert C.ACTION == 0x000001
    assert int(GB_PROPOSED) == 0x007E1F
    assert int(METER_NEGOTIATED) == 0x001E1D


def test_response_allowed_false_is_sent_explicitly() -> None:
    msg = InitiateRequest(proposed_conformance=C.GET, response_allowed=False)
    data = msg.to_bytes()
    assert data == bytes.fromhex("01 00 01 00 00 06 5f 1f 04 00 00 00 10 ff ff")
    assert InitiateRequest.from_bytes(data) == msg


def test_response_allowed_true_sent_explicitly_is_read() -> None:
    data = bytes.fromhex("01 00 01 01 00 06 5f 1f 04 00 00 00 10 ff ff")
    assert InitiateRequest.from_bytes(data).response_allowed is True


def test_quality_of_service_is_signed() -> None:
    msg = InitiateRequest(proposed_conformance=C.GET, proposed_quality_of_service=-1)
    assert msg.to_bytes()[3:5] == bytes.fromhex("01 ff")
    assert InitiateRequest.from_bytes(msg.to_bytes()) == msg


def test_short_name_vaa_name() -> None:
    msg = InitiateResponse(
        negotiated_conformance=C.READ | C.WRITE, server_max_receive_pdu_size=256, vaa_name=0xFA00
    )
    assert msg.to_bytes() == bytes.fromhex("08 00 06 5f 1f 04 00 18 00 00 01 00 fa 00")


@pytest.mark.parametrize(
    ("error", "wire"),
    [
        pytest.param(AccessError.OBJECT_UNAVAILABLE, "05 04", id="access"),
        pytest.param(TaskError.TI_UNUSABLE, "09 04", id="task"),
        pytest.param(InitiateError.PDU_SIZE_TOO_SHORT, "06 03", id="initiate"),
    ],
)
def test_service_error_choices(error: AccessError, wire: str) -> None:
    msg = ConfirmedServiceError(ConfirmedServiceName.READ, error)
    assert msg.to_bytes() == bytes.fromhex("0e 05 " + wire)
    assert ConfirmedServiceError.from_bytes(msg.to_bytes()) == msg


def test_service_error_table_has_every_choice() -> None:
    assert sorted(SERVICE_ERROR_CHOICES) == list(range(11))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"client_max_receive_pdu_size": 0x10000},
        {"proposed_dlms_version_number": 256},
        {"proposed_quality_of_service": 128},
    ],
)
def test_out_of_range_request_is_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(EncodeError):
        InitiateRequest(proposed_conformance=C.GET, **kwargs)  # type: ignore[arg-type]


BAD = [
    pytest.param("01 00 00 00 06 5f 1f 04 00 00 7e 1f 04", id="request-truncated"),
    pytest.param("01 02 00 00 06 5f 1f 04 00 00 7e 1f 04 b0", id="bad-usage-flag"),
    pytest.param("01 01 10 00 11", id="key-beyond-data"),
    pytest.param("01 00 00 00 06 5f 1f 03 00 00 7e 1f 04 b0", id="conformance-length"),
    pytest.param("01 00 00 00 06 5f 1f 04 00 00 7e 1f 04 b0 00", id="trailing-byte"),
    pytest.param("08 00 06 5f 1f 04 00 00 1e 1d 04 c8 00", id="response-truncated"),
    pytest.param("0e 14 06 01", id="unknown-service"),
    pytest.param("0e 01 0b 00", id="unknown-service-error-choice"),
    pytest.param("0e 01 06 05", id="unknown-initiate-error"),
    pytest.param("0e 01", id="error-truncated"),
]


@pytest.mark.parametrize("hex_data", BAD)
def test_malformed_raises_decode_error(hex_data: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_data))
