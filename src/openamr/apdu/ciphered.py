"""The framing of ciphered xDLMS APDUs (Green Book 9.5 and 5.x security; not the crypto).

Service-specific ciphering: the tag names the service and the key (glo- global,
ded- dedicated), the content is an A-XDR OCTET STRING::

    C8 len  SC IC(4) ciphered-text [auth-tag(12)]        e.g. glo-get-request

General ciphering carries the sender's system title too::

    DB len system-title  len SC IC(4) ciphered-text [auth-tag]   general-glo-ciphering
    DC ...                                                       general-ded-ciphering

SC, the security control octet: bits 3-0 security suite, bit 4 authentication,
bit 5 encryption, bit 6 key set (0 unicast, 1 broadcast), bit 7 compression. IC is
the invocation counter (Unsigned32). ``security/`` does the AES-GCM on these bytes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, Self

from openamr.apdu.base import Apdu, register
from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError, EncodeError

#: SC (1) + IC (4): the security header every ciphered content starts with.
HEADER_SIZE = 5


class CipheredService(enum.IntEnum):
    """The service-specific ciphering tags (xDLMS-APDU CHOICE, Green Book 9.5)."""

    GLO_INITIATE_REQUEST = 0x21
    GLO_INITIATE_RESPONSE = 0x28
    GLO_CONFIRMED_SERVICE_ERROR = 0x2E
    DED_INITIATE_REQUEST = 0x41
    DED_INITIATE_RESPONSE = 0x48
    DED_CONFIRMED_SERVICE_ERROR = 0x4E
    GLO_GET_REQUEST = 0xC8
    GLO_SET_REQUEST = 0xC9
    GLO_EVENT_NOTIFICATION_REQUEST = 0xCA
    GLO_ACTION_REQUEST = 0xCB
    GLO_GET_RESPONSE = 0xCC
    GLO_SET_RESPONSE = 0xCD
    GLO_ACTION_RESPONSE = 0xCF
    DED_GET_REQUEST = 0xD0
    DED_SET_REQUEST = 0xD1
    DED_EVENT_NOTIFICATION_REQUEST = 0xD2
    DED_ACTION_REQUEST = 0xD3
    DED_GET_RESPONSE = 0xD4
    DED_SET_RESPONSE = 0xD5
    DED_ACTION_RESPONSE = 0xD7

    @property
    def dedicated(self) -> bool:
        """True for the ded- tags (dedicated key), False for glo- (global key)."""
        return self.name.startswith("DED_")


class _SecurityHeader:
    """Read-only views of ``SC || IC || rest`` in ``ciphered_content``."""

    __slots__ = ()
    ciphered_content: bytes

    @property
    def security_control(self) -> int:
        return self.ciphered_content[0]

    @property
    def invocation_counter(self) -> int:
        return int.from_bytes(self.ciphered_content[1:HEADER_SIZE], "big")

    @property
    def ciphered_text(self) -> bytes:
        """Everything after the security header: ciphertext (or plaintext) and tag."""
        return self.ciphered_content[HEADER_SIZE:]


def _check_content(content: bytes) -> None:
    if len(content) < HEADER_SIZE:
        raise EncodeError(
            f"ciphered content needs at least SC and IC ({HEADER_SIZE} octets), got {len(content)}"
        )


def _read_content(r: Reader) -> bytes:
    start = r.pos
    content = r.read(r.length())
    if len(content) < HEADER_SIZE:
        raise DecodeError(start, f"ciphered content of {len(content)} octets has no SC and IC")
    return content


@dataclass(frozen=True, slots=True)
class CipheredApdu(_SecurityHeader, Apdu):
    """A service-specific ciphered APDU: ``tag | length | SC IC ciphered-text``."""

    tag: CipheredService
    ciphered_content: bytes

    def __post_init__(self) -> None:
        _check_content(self.ciphered_content)

    @classmethod
    def build(
        cls, tag: CipheredService, security_control: int, invocation_counter: int, text: bytes
    ) -> CipheredApdu:
        """Assemble the content from its parts (``text`` = ciphertext || auth tag)."""
        header = bytes((security_control,)) + invocation_counter.to_bytes(4, "big")
        return cls(tag, header + text)

    def encode(self, w: Writer) -> None:
        w.u8(self.tag)
        w.length(len(self.ciphered_content))
        w.write(self.ciphered_content)


def _ciphered_decoder(tag: CipheredService) -> None:
    def decode(r: Reader) -> Apdu:
        return CipheredApdu(tag, _read_content(r))

    register(tag)(decode)


for _tag in CipheredService:
    _ciphered_decoder(_tag)


@dataclass(frozen=True, slots=True)
class _GeneralCiphering(_SecurityHeader, Apdu):
    system_title: bytes
    ciphered_content: bytes

    def __post_init__(self) -> None:
        _check_content(self.ciphered_content)

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        w.length(len(self.system_title))
        w.write(self.system_title)
        w.length(len(self.ciphered_content))
        w.write(self.ciphered_content)

    @classmethod
    def decode(cls, r: Reader) -> Self:
        title = r.read(r.length())
        return cls(title, _read_content(r))


@dataclass(frozen=True, slots=True)
class GeneralGloCiphering(_GeneralCiphering):
    """general-glo-ciphering [219]: ``DB | len system-title | len SC IC ciphered-text``."""

    TAG: ClassVar[int] = 0xDB


@dataclass(frozen=True, slots=True)
class GeneralDedCiphering(_GeneralCiphering):
    """general-ded-ciphering [220]: as general-glo-ciphering, with the dedicated key."""

    TAG: ClassVar[int] = 0xDC


register(GeneralGloCiphering.TAG)(GeneralGloCiphering.decode)
register(GeneralDedCiphering.TAG)(GeneralDedCiphering.decode)

__all__ = [
    "HEADER_SIZE",
    "CipheredApdu",
    "CipheredService",
    "GeneralDedCiphering",
    "GeneralGloCiphering",
]
