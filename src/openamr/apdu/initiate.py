"""The xDLMS-initiate APDUs carried in the AARQ/AARE user-information: InitiateRequest,
InitiateResponse and ConfirmedServiceError (Green Book 9.4.6 COSEMpdu ASN.1,
9.5 xDLMS services). A-XDR encoded, not BER.

InitiateRequest (Green Book example)::

    01                      tag: InitiateRequest
    00                      dedicated-key               absent (01 10 <16 bytes> if present)
    00                      response-allowed            DEFAULT TRUE (01 00 for FALSE)
    00                      proposed-quality-of-service absent (01 xx if present)
    06                      proposed-dlms-version-number
    5f 1f 04 00 00 7e 1f    proposed-conformance: [APPLICATION 31] IMPLICIT BIT STRING (24)
    04 b0                   client-max-receive-pdu-size 1200

InitiateResponse::

    08 00 06 5f 1f 04 00 00 1e 1d 04 c8 00 07
       |  |  conformance           |     vaa-name 0x0007 (LN)
       |  negotiated-dlms-version  server-max-receive-pdu-size 1224
       negotiated-quality-of-service absent

ConfirmedServiceError::

    0e 01 06 01             initiateError [1], ServiceError initiate [6] dlms-version-too-low
"""

from __future__ import annotations

from enum import IntFlag
from typing import ClassVar

from openamr.apdu.base import Apdu, message, register
from openamr.apdu.service_error import (
    ConfirmedServiceName,
    ServiceError,
    read_service_error,
    write_service_error,
)
from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError, EncodeError


class Conformance(IntFlag):
    """The conformance block (Green Book 9.4.6.1): BIT STRING (SIZE(24)), bit 0 first,
    so bit ``n`` has the value ``1 << (23 - n)`` of the three octets read big-endian."""

    RESERVED_ZERO = 1 << 23
    GENERAL_PROTECTION = 1 << 22
    GENERAL_BLOCK_TRANSFER = 1 << 21
    READ = 1 << 20
    WRITE = 1 << 19
    UNCONFIRMED_WRITE = 1 << 18
    DELTA_VALUE_ENCODING = 1 << 17
    RESERVED_SEVEN = 1 << 16
    ATTRIBUTE0_SUPPORTED_WITH_SET = 1 << 15
    PRIORITY_MGMT_SUPPORTED = 1 << 14
    ATTRIBUTE0_SUPPORTED_WITH_GET = 1 << 13
    BLOCK_TRANSFER_WITH_GET_OR_READ = 1 << 12
    BLOCK_TRANSFER_WITH_SET_OR_WRITE = 1 << 11
    BLOCK_TRANSFER_WITH_ACTION = 1 << 10
    MULTIPLE_REFERENCES = 1 << 9
    INFORMATION_REPORT = 1 << 8
    DATA_NOTIFICATION = 1 << 7
    ACCESS = 1 << 6
    PARAMETERIZED_ACCESS = 1 << 5
    GET = 1 << 4
    SET = 1 << 3
    SELECTIVE_ACCESS = 1 << 2
    EVENT_NOTIFICATION = 1 << 1
    ACTION = 1 << 0


#: [APPLICATION 31] IMPLICIT BIT STRING: tag 5F 1F, length 04, 0 unused bits.
_CONFORMANCE_HEADER = bytes.fromhex("5f 1f 04 00")

#: The vaa-name of an LN association (Green Book 9.4.6: 0x0007); SN gives a base name.
VAA_NAME_LN = 0x0007


def _check(value: int, lo: int, hi: int, what: str) -> None:
    if not lo <= value <= hi:
        raise EncodeError(f"{what} {value} is outside {lo}..{hi}")


def _write_conformance(w: Writer, value: Conformance) -> None:
    w.write(_CONFORMANCE_HEADER)
    w.write(int(value).to_bytes(3, "big"))


def _read_conformance(r: Reader) -> Conformance:
    start = r.pos
    if r.read(4) != _CONFORMANCE_HEADER:
        raise DecodeError(start, "conformance is not 5f 1f 04 00 + 3 octets")
    return Conformance(int.from_bytes(r.read(3), "big"))


def _read_flag(r: Reader, what: str) -> bool:
    """An A-XDR OPTIONAL/DEFAULT usage flag: 00 absent, 01 present."""
    start = r.pos
    flag = r.u8()
    if flag > 1:
        raise DecodeError(start, f"{what}: usage flag {flag:#04x} is not 00 or 01")
    return flag == 1


def _read_optional_i8(r: Reader, what: str) -> int | None:
    if not _read_flag(r, what):
        return None
    return int.from_bytes(r.read(1), "big", signed=True)


def _write_optional_i8(w: Writer, value: int | None) -> None:
    if value is None:
        w.u8(0)
    else:
        w.u8(1)
        w.write(value.to_bytes(1, "big", signed=True))


@message(kw_only=True)
class InitiateRequest(Apdu):
    """InitiateRequest (tag 0x01): the client's proposed xDLMS context."""

    TAG: ClassVar[int] = 0x01
    proposed_conformance: Conformance
    client_max_receive_pdu_size: int = 0xFFFF
    proposed_dlms_version_number: int = 6
    dedicated_key: bytes | None = None
    response_allowed: bool = True
    proposed_quality_of_service: int | None = None

    def __post_init__(self) -> None:
        _check(self.client_max_receive_pdu_size, 0, 0xFFFF, "client-max-receive-pdu-size")
        _check(self.proposed_dlms_version_number, 0, 0xFF, "proposed-dlms-version-number")
        if self.proposed_quality_of_service is not None:
            _check(self.proposed_quality_of_service, -128, 127, "proposed-quality-of-service")
        if self.dedicated_key is not None:
            _check(len(self.dedicated_key), 0, 0xFFFF, "dedicated-key length")

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        if self.dedicated_key is None:
            w.u8(0)
        else:
            w.u8(1)
            w.length(len(self.dedicated_key))
            w.write(self.dedicated_key)
        w.write(b"\x00" if self.response_allowed else b"\x01\x00")
        _write_optional_i8(w, self.proposed_quality_of_service)
        w.u8(self.proposed_dlms_version_number)
        _write_conformance(w, self.proposed_conformance)
        w.u16(self.client_max_receive_pdu_size)


@register(InitiateRequest.TAG)
def _read_initiate_request(r: Reader) -> Apdu:
    key = r.read(r.length()) if _read_flag(r, "dedicated-key") else None
    allowed = r.u8() != 0 if _read_flag(r, "response-allowed") else True
    qos = _read_optional_i8(r, "proposed-quality-of-service")
    version = r.u8()
    conformance = _read_conformance(r)
    return InitiateRequest(
        proposed_conformance=conformance,
        client_max_receive_pdu_size=r.u16(),
        proposed_dlms_version_number=version,
        dedicated_key=key,
        response_allowed=allowed,
        proposed_quality_of_service=qos,
    )


@message(kw_only=True)
class InitiateResponse(Apdu):
    """InitiateResponse (tag 0x08): the server's negotiated xDLMS context."""

    TAG: ClassVar[int] = 0x08
    negotiated_conformance: Conformance
    server_max_receive_pdu_size: int
    negotiated_dlms_version_number: int = 6
    negotiated_quality_of_service: int | None = None
    vaa_name: int = VAA_NAME_LN

    def __post_init__(self) -> None:
        _check(self.server_max_receive_pdu_size, 0, 0xFFFF, "server-max-receive-pdu-size")
        _check(self.negotiated_dlms_version_number, 0, 0xFF, "negotiated-dlms-version-number")
        _check(self.vaa_name, 0, 0xFFFF, "vaa-name")
        if self.negotiated_quality_of_service is not None:
            _check(self.negotiated_quality_of_service, -128, 127, "negotiated-quality-of-service")

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        _write_optional_i8(w, self.negotiated_quality_of_service)
        w.u8(self.negotiated_dlms_version_number)
        _write_conformance(w, self.negotiated_conformance)
        w.u16(self.server_max_receive_pdu_size)
        w.u16(self.vaa_name)


@register(InitiateResponse.TAG)
def _read_initiate_response(r: Reader) -> Apdu:
    qos = _read_optional_i8(r, "negotiated-quality-of-service")
    version = r.u8()
    conformance = _read_conformance(r)
    return InitiateResponse(
        negotiated_conformance=conformance,
        server_max_receive_pdu_size=r.u16(),
        negotiated_dlms_version_number=version,
        negotiated_quality_of_service=qos,
        vaa_name=r.u16(),
    )


@message
class ConfirmedServiceError(Apdu):
    """ConfirmedServiceError (tag 0x0E): the service that failed and why, e.g.
    ``ConfirmedServiceError(ConfirmedServiceName.INITIATE_ERROR,
    InitiateError.DLMS_VERSION_TOO_LOW)`` is ``0e 01 06 01``."""

    TAG: ClassVar[int] = 0x0E
    service: ConfirmedServiceName
    error: ServiceError

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        w.u8(self.service)
        write_service_error(w, self.error)


@register(ConfirmedServiceError.TAG)
def _read_confirmed_service_error(r: Reader) -> Apdu:
    start = r.pos
    choice = r.u8()
    if choice not in ConfirmedServiceName._value2member_map_:
        raise DecodeError(start, f"unknown ConfirmedServiceError choice {choice}")
    return ConfirmedServiceError(ConfirmedServiceName(choice), read_service_error(r))
