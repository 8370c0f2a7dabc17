"""The ACSE APDUs: AARQ, AARE, RLRQ, RLRE (Green Book 9.4.2, IEC 62056-5-3 8.x;
ISO/IEC 8650-1 as profiled by DLMS). BER encoded, elements in ASN.1 order.

An AARQ with LLS (Green Book example, also dlms-cosem's test suite)::

    60 36                                  AARQ, 54 bytes
       a1 09 06 07 60 85 74 05 08 01 01    application-context-name  LN, no ciphering
       8a 02 07 80                         sender-acse-requirements  {authentication}
       8b 07 60 85 74 05 08 02 01          mechanism-name            LLS
       ac 0a 80 08 31 32 33 34 35 36 37 38 calling-authentication-value "12345678"
       be 10 04 0e 01 00 00 00 06 5f 1f 04 00 00 7e 1f 04 b0
                                           user-information: xDLMS InitiateRequest

and the accepting AARE::

    61 29 a1 09 06 07 60 85 74 05 08 01 01 application-context-name
          a2 03 02 01 00                   result                    accepted
          a3 05 a1 03 02 01 00             result-source-diagnostic  acse-service-user null
          be 10 04 0e 08 00 06 5f 1f 04 00 00 1e 1d 04 c8 00 07
                                           user-information: xDLMS InitiateResponse

``user_information`` holds the *bytes* of the xDLMS APDU inside (an InitiateRequest,
InitiateResponse, a glo-/ded-initiate ciphered APDU or a ConfirmedServiceError): decode
them with :func:`openamr.apdu.decode_apdu` once deciphered.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import ClassVar

from openamr.apdu import acse_fields as f
from openamr.apdu.acse_fields import Element
from openamr.apdu.base import Apdu, message, register
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.codec import ber
from openamr.codec.ber import ObjectIdentifier
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import BitString


class AcseRequirements(IntFlag):
    """ACSE-requirements ::= BIT STRING { authentication (0) }: present (with the bit set)
    only when the authentication functional unit is selected (LLS and HLS)."""

    AUTHENTICATION = 1 << 0


class AssociationResult(IntEnum):
    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


class AcseServiceUser(IntEnum):
    """Associate-source-diagnostic, acse-service-user [1] (Green Book 9.4.2)."""

    NULL = 0
    NO_REASON_GIVEN = 1
    APPLICATION_CONTEXT_NAME_NOT_SUPPORTED = 2
    CALLING_AP_TITLE_NOT_RECOGNIZED = 3
    CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 4
    CALLING_AE_QUALIFIER_NOT_RECOGNIZED = 5
    CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 6
    CALLED_AP_TITLE_NOT_RECOGNIZED = 7
    CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 8
    CALLED_AE_QUALIFIER_NOT_RECOGNIZED = 9
    CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED = 10
    AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED = 11
    AUTHENTICATION_MECHANISM_NAME_REQUIRED = 12
    AUTHENTICATION_FAILURE = 13
    AUTHENTICATION_REQUIRED = 14


class AcseServiceProvider(IntEnum):
    """Associate-source-diagnostic, acse-service-provider [2]."""

    NULL = 0
    NO_REASON_GIVEN = 1
    NO_COMMON_ACSE_VERSION = 2


Diagnostic = AcseServiceUser | AcseServiceProvider

_DIAGNOSTIC_TAGS: dict[type[Diagnostic], int] = {
    AcseServiceUser: ber.context(1, constructed=True),
    AcseServiceProvider: ber.context(2, constructed=True),
}
_DIAGNOSTIC_TYPES = {tag: cls for cls, tag in _DIAGNOSTIC_TAGS.items()}


class ReleaseRequestReason(IntEnum):
    NORMAL = 0
    URGENT = 1
    USER_DEFINED = 30


class ReleaseResponseReason(IntEnum):
    NORMAL = 0
    NOT_FINISHED = 1
    USER_DEFINED = 30


def _enc_diagnostic(value: Diagnostic) -> bytes:
    """``[3] EXPLICIT CHOICE { acse-service-user [1], acse-service-provider [2] }``,
    each an EXPLICIT INTEGER: ``a3 05 a1 03 02 01 0e``."""
    return ber.tlv(_DIAGNOSTIC_TAGS[type(value)], f.enc_int_explicit(value))


def _dec_diagnostic(r: Reader) -> Diagnostic:
    start = r.pos
    cls = _DIAGNOSTIC_TYPES.get(r.peek())
    if cls is None:
        raise r.fail(f"unknown result-source-diagnostic choice {r.peek():#04x}")
    inner = f.inner_element(r, _DIAGNOSTIC_TAGS[cls], "result-source-diagnostic")
    return f.to_enum(cls, f.dec_int_explicit(inner), start)


_PROTOCOL_VERSION = Element(ber.context(0), "protocol_version", f.enc_bits, f.dec_bits)
_CONTEXT_NAME = Element(
    ber.context(1, True), "application_context_name", f.enc_context_name, f.dec_context_name, True
)
_IMPLEMENTATION = Element(
    ber.context(29), "implementation_information", f.enc_graphic, f.dec_graphic
)
_USER_INFORMATION = Element(
    ber.context(30, True), "user_information", f.enc_octets_explicit, f.dec_octets_explicit
)
_REQUIREMENTS = f.flags_implicit(AcseRequirements)


def _octets(number: int, field: str) -> Element:
    return Element(ber.context(number, True), field, f.enc_octets_explicit, f.dec_octets_explicit)


def _integer(number: int, field: str) -> Element:
    return Element(ber.context(number, True), field, f.enc_int_explicit, f.dec_int_explicit)


_AARQ: tuple[Element, ...] = (
    _PROTOCOL_VERSION,
    _CONTEXT_NAME,
    _octets(2, "called_ap_title"),
    _octets(3, "called_ae_qualifier"),
    _integer(4, "called_ap_invocation_id"),
    _integer(5, "called_ae_invocation_id"),
    _octets(6, "calling_ap_title"),
    _octets(7, "calling_ae_qualifier"),
    _integer(8, "calling_ap_invocation_id"),
    _integer(9, "calling_ae_invocation_id"),
    Element(ber.context(10), "sender_acse_requirements", *_REQUIREMENTS),
    Element(ber.context(11), "mechanism_name", f.enc_mechanism, f.dec_mechanism),
    Element(ber.context(12, True), "calling_authentication_value", f.enc_auth_value,
            f.dec_auth_value),
    _IMPLEMENTATION,
    _USER_INFORMATION,
)  # fmt: skip

_AARE: tuple[Element, ...] = (
    _PROTOCOL_VERSION,
    _CONTEXT_NAME,
    Element(ber.context(2, True), "result", *f.enum_explicit(AssociationResult), required=True),
    Element(ber.context(3, True), "result_source_diagnostic", _enc_diagnostic, _dec_diagnostic,
            required=True),
    _octets(4, "responding_ap_title"),
    _octets(5, "responding_ae_qualifier"),
    _integer(6, "responding_ap_invocation_id"),
    _integer(7, "responding_ae_invocation_id"),
    Element(ber.context(8), "responder_acse_requirements", *_REQUIREMENTS),
    Element(ber.context(9), "mechanism_name", f.enc_mechanism, f.dec_mechanism),
    Element(ber.context(10, True), "responding_authentication_value", f.enc_auth_value,
            f.dec_auth_value),
    _IMPLEMENTATION,
    _USER_INFORMATION,
)  # fmt: skip

_RLRQ: tuple[Element, ...] = (
    Element(ber.context(0), "reason", *f.enum_implicit(ReleaseRequestReason)),
    _USER_INFORMATION,
)
_RLRE: tuple[Element, ...] = (
    Element(ber.context(0), "reason", *f.enum_implicit(ReleaseResponseReason)),
    _USER_INFORMATION,
)


@message(kw_only=True)
class Aarq(Apdu):
    """AARQ-apdu ::= [APPLICATION 0] IMPLICIT SEQUENCE (tag 0x60).

    AP titles are system titles (8 bytes in DLMS), AE qualifiers carry certificates,
    ``calling_ae_invocation_id`` is the user id (Blue Book, user list of class 15)."""

    TAG: ClassVar[int] = 0x60
    protocol_version: BitString | None = None  # absent: the default {version1}
    application_context_name: ApplicationContextName | ObjectIdentifier = (
        ApplicationContextName.LOGICAL_NAME
    )
    called_ap_title: bytes | None = None
    called_ae_qualifier: bytes | None = None
    called_ap_invocation_id: int | None = None
    called_ae_invocation_id: int | None = None
    calling_ap_title: bytes | None = None
    calling_ae_qualifier: bytes | None = None
    calling_ap_invocation_id: int | None = None
    calling_ae_invocation_id: int | None = None
    sender_acse_requirements: AcseRequirements | None = None
    mechanism_name: MechanismName | ObjectIdentifier | None = None
    calling_authentication_value: bytes | None = None
    implementation_information: bytes | None = None
    user_information: bytes | None = None

    def encode(self, w: Writer) -> None:
        f.write_sequence(w, self.TAG, _AARQ, self)


@message(kw_only=True)
class Aare(Apdu):
    """AARE-apdu ::= [APPLICATION 1] IMPLICIT SEQUENCE (tag 0x61).

    ``responding_ap_title`` is the server's system title; with HLS,
    ``responding_authentication_value`` is the server's challenge (StoC)."""

    TAG: ClassVar[int] = 0x61
    protocol_version: BitString | None = None
    application_context_name: ApplicationContextName | ObjectIdentifier = (
        ApplicationContextName.LOGICAL_NAME
    )
    result: AssociationResult = AssociationResult.ACCEPTED
    result_source_diagnostic: Diagnostic = AcseServiceUser.NULL
    responding_ap_title: bytes | None = None
    responding_ae_qualifier: bytes | None = None
    responding_ap_invocation_id: int | None = None
    responding_ae_invocation_id: int | None = None
    responder_acse_requirements: AcseRequirements | None = None
    mechanism_name: MechanismName | ObjectIdentifier | None = None
    responding_authentication_value: bytes | None = None
    implementation_information: bytes | None = None
    user_information: bytes | None = None

    def encode(self, w: Writer) -> None:
        f.write_sequence(w, self.TAG, _AARE, self)


@message(kw_only=True)
class Rlrq(Apdu):
    """RLRQ-apdu ::= [APPLICATION 2] IMPLICIT SEQUENCE (tag 0x62)::

    62 03 80 01 00          reason [0] IMPLICIT normal, no user-information
    """

    TAG: ClassVar[int] = 0x62
    reason: ReleaseRequestReason | None = None
    user_information: bytes | None = None

    def encode(self, w: Writer) -> None:
        f.write_sequence(w, self.TAG, _RLRQ, self)


@message(kw_only=True)
class Rlre(Apdu):
    """RLRE-apdu ::= [APPLICATION 3] IMPLICIT SEQUENCE (tag 0x63)::

    63 03 80 01 00          reason [0] IMPLICIT normal, no user-information
    """

    TAG: ClassVar[int] = 0x63
    reason: ReleaseResponseReason | None = None
    user_information: bytes | None = None

    def encode(self, w: Writer) -> None:
        f.write_sequence(w, self.TAG, _RLRE, self)


@register(Aarq.TAG)
def _read_aarq(r: Reader) -> Apdu:
    return Aarq(**f.read_sequence(r, _AARQ))


@register(Aare.TAG)
def _read_aare(r: Reader) -> Apdu:
    return Aare(**f.read_sequence(r, _AARE))


@register(Rlrq.TAG)
def _read_rlrq(r: Reader) -> Apdu:
    return Rlrq(**f.read_sequence(r, _RLRQ))


@register(Rlre.TAG)
def _read_rlre(r: Reader) -> Apdu:
    return Rlre(**f.read_sequence(r, _RLRE))
