"""EXCEPTION-Response [216] (Green Book 9.5; IEC 62056-5-3).

A server answers with it when it cannot even tell which service was asked for or
cannot decipher it::

    D8 state-error(1) service-error(1)                   most service errors
    D8 state-error(1) 06 expected-invocation-counter(4)  invocation-counter-error

state-error: 1 service-not-allowed, 2 service-unknown. service-error (a CHOICE whose
tag is the value): 1 operation-not-possible, 2 service-not-supported, 3 other-reason,
4 pdu-too-long, 5 deciphering-error, 6 invocation-counter-error (Unsigned32).
"""

from __future__ import annotations

from typing import ClassVar

from openamr.apdu.base import Apdu, message, register
from openamr.apdu.descriptors import check_u32
from openamr.apdu.results import ServiceError, StateError, read_enum
from openamr.codec.buffer import Reader, Writer
from openamr.errors import EncodeError

EXCEPTION_RESPONSE = 0xD8


@message
class ExceptionResponse(Apdu):
    """EXCEPTION-Response. ``invocation_counter`` is present exactly when
    ``service_error`` is INVOCATION_COUNTER_ERROR (the counter the server expects)."""

    TAG: ClassVar[int] = EXCEPTION_RESPONSE

    state_error: StateError
    service_error: ServiceError
    invocation_counter: int | None = None

    def __post_init__(self) -> None:
        needs = self.service_error == ServiceError.INVOCATION_COUNTER_ERROR
        if needs != (self.invocation_counter is not None):
            raise EncodeError(
                "invocation_counter goes with service-error invocation-counter-error only"
            )
        if self.invocation_counter is not None:
            check_u32("invocation_counter", self.invocation_counter)

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        w.u8(self.state_error)
        w.u8(self.service_error)
        if self.invocation_counter is not None:
            w.u32(self.invocation_counter)

    @classmethod
    def decode(cls, r: Reader) -> ExceptionResponse:
        state = read_enum(r, StateError)
        service = read_enum(r, ServiceError)
        if service == ServiceError.INVOCATION_COUNTER_ERROR:
            return cls(state, service, r.u32())
        return cls(state, service)


register(EXCEPTION_RESPONSE)(ExceptionResponse.decode)

__all__ = ["ExceptionResponse"]
