"""The APDU base class and the tag table every APDU module registers in.

An APDU is a frozen dataclass that writes itself whole, tag included
(``encode(w)``), and is read back by a decoder registered for its first octet
(``@register(tag)``). Decoders that share a tag (GET-Request normal/next/with-list
behind ``C0``) dispatch on their own choice octet.

    from openamr.apdu import decode_apdu
    apdu = decode_apdu(bytes.fromhex("c0 01 c1 00 08 00 00 01 00 00 ff 02 00"))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from openamr.codec.buffer import Reader, Writer
from openamr.errors import DecodeError

A = TypeVar("A", bound="Apdu")
Decoder = Callable[[Reader], "Apdu"]

_DECODERS: dict[int, Decoder] = {}


class Apdu:
    """Base of every APDU. Subclasses are ``@dataclass(frozen=True, slots=True)``."""

    __slots__ = ()
    TAG: ClassVar[int]

    def encode(self, w: Writer) -> None:
        raise NotImplementedError

    def to_bytes(self) -> bytes:
        w = Writer()
        self.encode(w)
        return w.getvalue()

    @classmethod
    def from_bytes(cls: type[A], data: bytes | bytearray | memoryview) -> A:
        """Decode ``data`` as exactly one APDU of this class."""
        apdu = decode_apdu(data)
        if not isinstance(apdu, cls):
            raise DecodeError(0, f"expected {cls.__name__}, got {type(apdu).__name__}")
        return apdu


def register(tag: int) -> Callable[[Decoder], Decoder]:
    """Register the decoder of the APDUs whose first octet is ``tag``. The decoder
    gets a reader positioned *after* the tag."""

    def deco(fn: Decoder) -> Decoder:
        if tag in _DECODERS:
            raise RuntimeError(f"APDU tag {tag:#04x} registered twice")
        _DECODERS[tag] = fn
        return fn

    return deco


def read_apdu(r: Reader) -> Apdu:
    """Read one APDU at the cursor."""
    start = r.pos
    tag = r.u8()
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise DecodeError(start, f"unknown APDU tag {tag:#04x}")
    return decoder(r)


def decode_apdu(data: bytes | bytearray | memoryview) -> Apdu:
    """Decode exactly one APDU; trailing bytes are an error."""
    r = Reader(data)
    apdu = read_apdu(r)
    if not r.at_end():
        raise r.fail(f"{r.remaining} trailing bytes after {type(apdu).__name__}")
    return apdu
