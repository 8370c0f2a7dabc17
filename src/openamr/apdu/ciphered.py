"""The framing of ciphered xDLMS APDUs (Green Book 9.5 xDLMS-APDU; 9.2.7.2.4 security).

Service-specific ciphering wraps the content of one plain APDU; the tag names the
plain APDU and the key (glo- global, ded- dedicated). The content is an A-XDR OCTET
STRING::

    C8 len  SC IC(4) ciphered-text [auth-tag(12)]        e.g. glo-get-request

    plain   01  05  06  08  0C  0D  0E  16  18  C0  C1  C2  C3  C4  C5  C7
    glo-    21  25  26  28  2C  2D  2E  36  38  C8  C9  CA  CB  CC  CD  CF
    ded-    41  45  46  48  4C  4D  4E  56  58  D0  D1  D2  D3  D4  D5  D7

Any APDU (data-notification 0F included, which has no glo- form) may instead travel
in general ciphering, which carries the sender's system title too::

    DB len system-title  len SC IC(4) ciphered-text [auth-tag]   general-glo-ciphering
    DC ...                                                       general-ded-ciphering

SC, the security control octet: bits 3-0 security suite, bit 4 authentication,
bit 5 encryption, bit 6 key set (0 unicast, 1 broadcast), bit 7 compression. IC is
the invocation counter (Unsigned32). ``security/`` does the AES-GCM on these bytes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import ClassVar, Self

from openamr.apdu.base import Apdu, message, register
from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError, EncodeError

#: SC (1) + IC (4): the security header every ciphered content starts with.
HEADER_SIZE = 5


class CipheredService(enum.IntEnum):
    """The service-specific ciphering tags (xDLMS-APDU CHOICE, Green Book 9.5), each
    with the tag of the plain APDU it carries (``plain_tag``)."""

    _value_: int
    plain_tag: int

    def __new__(cls, tag: int, plain_tag: int) -> Self:
        member = int.__new__(cls, tag)
        member._value_ = tag
        member.plain_tag = plain_tag
        return member

    GLO_INITIATE_REQUEST = 0x21, 0x01
    GLO_READ_REQUEST = 0x25, 0x05
    GLO_WRITE_REQUEST = 0x26, 0x06
    GLO_INITIATE_RESPONSE = 0x28, 0x08
    GLO_READ_RESPONSE = 0x2C, 0x0C
    GLO_WRITE_RESPONSE = 0x2D, 0x0D
    GLO_CONFIRMED_SERVICE_ERROR = 0x2E, 0x0E
    GLO_UNCONFIRMED_WRITE_REQUEST = 0x36, 0x16
    GLO_INFORMATION_REPORT_REQUEST = 0x38, 0x18
    DED_INITIATE_REQUEST = 0x41, 0x01
    DED_READ_REQUEST = 0x45, 0x05
    DED_WRITE_REQUEST = 0x46, 0x06
    DED_INITIATE_RESPONSE = 0x48, 0x08
    DED_READ_RESPONSE = 0x4C, 0x0C
    DED_WRITE_RESPONSE = 0x4D, 0x0D
    DED_CONFIRMED_SERVICE_ERROR = 0x4E, 0x0E
    DED_UNCONFIRMED_WRITE_REQUEST = 0x56, 0x16
    DED_INFORMATION_REPORT_REQUEST = 0x58, 0x18
    GLO_GET_REQUEST = 0xC8, 0xC0
    GLO_SET_REQUEST = 0xC9, 0xC1
    GLO_EVENT_NOTIFICATION_REQUEST = 0xCA, 0xC2
    GLO_ACTION_REQUEST = 0xCB, 0xC3
    GLO_GET_RESPONSE = 0xCC, 0xC4
    GLO_SET_RESPONSE = 0xCD, 0xC5
    GLO_ACTION_RESPONSE = 0xCF, 0xC7
    DED_GET_REQUEST = 0xD0, 0xC0
    DED_SET_REQUEST = 0xD1, 0xC1
    DED_EVENT_NOTIFICATION_REQUEST = 0xD2, 0xC2
    DED_ACTION_REQUEST = 0xD3, 0xC3
    DED_GET_RESPONSE = 0xD4, 0xC4
    DED_SET_RESPONSE = 0xD5, 0xC5
    DED_ACTION_RESPONSE = 0xD7, 0xC7

    @property
    def dedicated(self) -> bool:
        """True for the ded- tags (dedicated key), False for glo- (global key)."""
        return self.name.startswith("DED_")


#: plain tag -> the glo- service that carries it (global key)
GLO_TAGS: dict[int, CipheredService] = {s.plain_tag: s for s in CipheredService if not s.dedicated}
#: plain tag -> the ded- service that carries it (dedicated key)
DED_TAGS: dict[int, CipheredService] = {s.plain_tag: s for s in CipheredService if s.dedicated}


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


@message
class CipheredApdu(_SecurityHeader, Apdu):
    """A service-specific ciphered APDU: ``tag | length | SC IC ciphered-text``."""

    tag: CipheredService
    ciphered_content: bytes

    def __post_init__(self) -> None:
        _check_content(self.ciphered_content)

    @property
    def dedicated(self) -> bool:
        return self.tag.dedicated

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


@message
class _GeneralCiphering(_SecurityHeader, Apdu):
    system_title: bytes
    ciphered_content: bytes
    DEDICATED: ClassVar[bool]

    def __post_init__(self) -> None:
        _check_content(self.ciphered_content)

    @property
    def dedicated(self) -> bool:
        return self.DEDICATED

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


@message
class GeneralGloCiphering(_GeneralCiphering):
    """general-glo-ciphering [219]: ``DB | len system-title | len SC IC ciphered-text``."""

    TAG: ClassVar[int] = 0xDB
    DEDICATED: ClassVar[bool] = False


@message
class GeneralDedCiphering(_GeneralCiphering):
    """general-ded-ciphering [220]: as general-glo-ciphering, with the dedicated key."""

    TAG: ClassVar[int] = 0xDC
    DEDICATED: ClassVar[bool] = True


#: Any ciphered APDU: the framing security/ciphers into and deciphers from.
Ciphered = CipheredApdu | GeneralGloCiphering | GeneralDedCiphering


def _service_decoder(tag: CipheredService) -> Callable[[Reader], Ciphered]:
    def decode(r: Reader) -> Ciphered:
        return CipheredApdu(tag, _read_content(r))

    return decode


#: ciphered tag -> its decoder (the reader is past the tag)
_DECODERS: dict[int, Callable[[Reader], Ciphered]] = {
    **{int(tag): _service_decoder(tag) for tag in CipheredService},
    GeneralGloCiphering.TAG: GeneralGloCiphering.decode,
    GeneralDedCiphering.TAG: GeneralDedCiphering.decode,
}
for _tag, _decoder in _DECODERS.items():
    register(_tag)(_decoder)


def is_ciphered(tag: int) -> bool:
    """True when ``tag`` opens a ciphered APDU (glo-, ded- or general ciphering)."""
    return tag in _DECODERS


def decode_ciphered(data: bytes | bytearray | memoryview) -> Ciphered:
    """Decode exactly one ciphered APDU; DecodeError for any other APDU or trailing bytes."""
    r = Reader(data)
    tag = r.u8()
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise DecodeError(0, f"APDU tag {tag:#04x} is not a ciphered APDU")
    apdu = decoder(r)
    if not r.at_end():
        raise r.fail(f"{r.remaining} trailing bytes after the ciphered content")
    return apdu


__all__ = [
    "DED_TAGS",
    "GLO_TAGS",
    "HEADER_SIZE",
    "Ciphered",
    "CipheredApdu",
    "CipheredService",
    "GeneralDedCiphering",
    "GeneralGloCiphering",
    "decode_ciphered",
    "is_ciphered",
]
