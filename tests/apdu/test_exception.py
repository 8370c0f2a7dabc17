"""EXCEPTION-Response: both variants, the counter only with invocation-counter-error."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.results import ServiceError, StateError
from openamr.codec import DecodeError, EncodeError
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

EXPECTED: dict[str, object] = {
    "exception-response": ExceptionResponse(
        StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED
    ),
    "exception-response-invocation-counter": ExceptionResponse(
        StateError.SERVICE_UNKNOWN, ServiceError.INVOCATION_COUNTER_ERROR, 16
    ),
}


@pytest.mark.parametrize(("data", "value"), XDLMS.expected_params(EXPECTED))
def test_vector_both_ways(data: bytes, value: object) -> None:
    assert decode_apdu(data) == value
    assert value.to_bytes() == data  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("service", "counter"),
    [(ServiceError.INVOCATION_COUNTER_ERROR, None), (ServiceError.OTHER_REASON, 5)],
)
def test_counter_goes_with_invocation_counter_error_only(
    service: ServiceError, counter: int | None
) -> None:

    with pytest.raises(EncodeError):
        ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, service, counter)


@pytest.mark.parametrize("hex_", ["d8 00 01", "d8 01 07", "d8 01 06 00 00 00", "d8 01"])
def test_malformed(hex_: str) -> None:
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex(hex_))
