"""The BER pieces the ACSE APDUs need (ISO/IEC 8825-1 = X.690; Green Book 9.4.2, ACSE
per ISO/IEC 8650-1 as profiled by DLMS).

Every element is a tag, a definite length and the contents::

    tag      one octet: class (b8 b7) | constructed (b6) | number (b5..b1, < 31)
    length   0x00..0x7F           short form: the length itself
             0x81 L / 0x82 L L    long form: N = low bits, then N length octets
    contents ``length`` octets

    60 1d  a1 09  06 07 60 85 74 05 08 01 01   AARQ { [1] { OID 2.16.756.5.8.1.1 } ...

Only what ACSE uses is here: single-octet tags, definite lengths, INTEGER, BIT STRING,
OCTET STRING / GraphicString contents and OBJECT IDENTIFIER. Decoding is bounded: a
length beyond the bytes left, an indefinite length or a high tag number raise
:class:`DecodeError` with the offset where they start.
"""

from __future__ import annotations

from typing import Final

from openamr.codec.buffer import Reader, Writer
from openamr.codec.record import record
from openamr.codec.types import BitString
from openamr.errors import DecodeError, EncodeError

# -- tags (X.690 8.1.2) ---------------------------------------------------------------

UNIVERSAL: Final = 0x00
APPLICATION: Final = 0x40
CONTEXT: Final = 0x80
CONSTRUCTED: Final = 0x20

BOOLEAN: Final = 0x01
INTEGER: Final = 0x02
BIT_STRING: Final = 0x03
OCTET_STRING: Final = 0x04
OBJECT_IDENTIFIER: Final = 0x06
GRAPHIC_STRING: Final = 0x19

#: The longest length field we accept (4 octets after 0x84): APDUs are far smaller.
MAX_LENGTH_OCTETS: Final = 4


def context(number: int, constructed: bool = False) -> int:
    """The tag octet of ``[number]`` in the context-specific class."""
    return CONTEXT | (CONSTRUCTED if constructed else 0) | number


def application(number: int, constructed: bool = True) -> int:
    """The tag octet of ``[APPLICATION number]``."""
    return APPLICATION | (CONSTRUCTED if constructed else 0) | number


# -- tag and length -------------------------------------------------------------------


def read_tag(r: Reader) -> int:
    """One tag octet; the high-tag-number form (low bits all ones) is refused."""
    start = r.pos
    tag = r.u8()
    if tag & 0x1F == 0x1F:
        raise DecodeError(start, f"high tag number form ({tag:#04x}) is not supported")
    return tag


def read_length(r: Reader) -> int:
    """A definite length that fits in the bytes left after it."""
    start = r.pos
    first = r.u8()
    if first < 0x80:
        n = first
    elif first == 0x80:
        raise DecodeError(start, "indefinite length is not allowed")
    else:
        size = first & 0x7F
        if size > MAX_LENGTH_OCTETS:
            raise DecodeError(start, f"length field of {size} octets is not supported")
        n = int.from_bytes(r.read(size), "big")
    if n > r.remaining:
        raise DecodeError(start, f"length {n} exceeds the {r.remaining} bytes left")
    return n


def write_length(w: Writer, n: int) -> None:
    """A definite length in the shortest form."""
    if n < 0:
        raise EncodeError(f"negative length {n}")
    if n < 0x80:
        w.u8(n)
        return
    size = (n.bit_length() + 7) // 8
    if size > MAX_LENGTH_OCTETS:
        raise EncodeError(f"length {n} does not fit in {MAX_LENGTH_OCTETS} octets")
    w.u8(0x80 | size)
    w.write(n.to_bytes(size, "big"))


def window(r: Reader, n: int) -> Reader:
    """A reader over the next ``n`` bytes of ``r`` (offsets stay absolute); ``r``
    moves past them. Read a window's tail with ``read(remaining)``: ``Reader.rest()``
    reads to the end of the underlying bytes, not of the window."""
    r.need(n)
    sub = Reader(r.data, r.pos)
    sub.end = r.pos + n
    r.pos += n
    return sub


def peek_tag(r: Reader) -> int | None:
    """The tag at the cursor, or None at the end."""
    return None if r.at_end() else r.peek()


def read_element(r: Reader, tag: int) -> Reader:
    """Read an element that must carry ``tag``; returns a reader over its contents."""
    start = r.pos
    got = read_tag(r)
    if got != tag:
        raise DecodeError(start, f"expected tag {tag:#04x}, got {got:#04x}")
    return window(r, read_length(r))


def write_element(w: Writer, tag: int, contents: bytes) -> None:
    """Write ``tag``, the length of ``contents`` and ``contents``."""
    w.u8(tag)
    write_length(w, len(contents))
    w.write(contents)


def tlv(tag: int, contents: bytes) -> bytes:
    """The bytes of one element."""
    w = Writer()
    write_element(w, tag, contents)
    return w.getvalue()


def end_of_contents(r: Reader, what: str) -> None:
    """Refuse bytes left over in a primitive's contents."""
    if not r.at_end():
        raise r.fail(f"{r.remaining} unexpected bytes in {what}")


# -- INTEGER (X.690 8.3) ----------------------------------------------------------------


def decode_integer(r: Reader) -> int:
    """The whole window as a two's complement INTEGER (at least one octet)."""
    if r.at_end():
        raise r.fail("empty INTEGER")
    return int.from_bytes(r.read(r.remaining), "big", signed=True)


def encode_integer(value: int) -> bytes:
    """The shortest two's complement contents of ``value``."""
    size = (value + (value < 0)).bit_length() // 8 + 1
    return value.to_bytes(size, "big", signed=True)


# -- BIT STRING (X.690 8.6) ---------------------------------------------------------------


def decode_bit_string(r: Reader) -> BitString:
    """``unused-bits-count octets*``; the unused bits are kept as received."""
    start = r.pos
    unused = r.u8()
    data = r.read(r.remaining)
    if unused > 7 or (unused and not data):
        raise DecodeError(start, f"BIT STRING with {unused} unused bits in {len(data)} octets")
    return BitString(data, len(data) * 8 - unused)


def encode_bit_string(bits: BitString) -> bytes:
    return bytes([len(bits.data) * 8 - bits.length]) + bits.data


def named_bits_to_int(bits: BitString) -> int:
    """A BIT STRING of named bits (bit 0 first) as an int with bit ``i`` at ``1 << i``."""
    return sum(1 << i for i in range(bits.length) if bits[i])


def int_to_named_bits(value: int) -> BitString:
    """The DER form of named bits: trailing zero bits dropped (X.690 11.2.2)."""
    if value < 0:
        raise EncodeError(f"negative named-bit value {value}")
    n = value.bit_length()
    return BitString.from_str("".join("1" if value >> i & 1 else "0" for i in range(n)))


# -- OBJECT IDENTIFIER (X.690 8.19) --------------------------------------------------------


@record
class ObjectIdentifier:
    """An OBJECT IDENTIFIER as its arcs: ``ObjectIdentifier((2, 16, 756, 5, 8, 1, 1))``."""

    arcs: tuple[int, ...]

    def __post_init__(self) -> None:
        a = self.arcs
        if len(a) < 2 or a[0] > 2 or (a[0] < 2 and a[1] > 39) or min(a) < 0:
            raise EncodeError(f"invalid OBJECT IDENTIFIER {a}")

    @classmethod
    def parse(cls, dotted: str) -> ObjectIdentifier:
        return cls(tuple(int(arc) for arc in dotted.split(".")))

    def __str__(self) -> str:
        return ".".join(map(str, self.arcs))


def encode_oid(oid: ObjectIdentifier) -> bytes:
    """``40 * arc0 + arc1`` then each arc in base 128, high bit set on all but the last."""
    first, second, *rest = oid.arcs
    out = bytearray()
    for arc in (40 * first + second, *rest):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def decode_oid(r: Reader) -> ObjectIdentifier:
    """The whole window as an OBJECT IDENTIFIER."""
    if r.at_end():
        raise r.fail("empty OBJECT IDENTIFIER")
    values = []
    while not r.at_end():
        start = r.pos
        if r.peek() == 0x80:
            raise DecodeError(start, "OBJECT IDENTIFIER arc with a leading 0x80 octet")
        value = 0
        while True:
            b = r.u8()
            value = value << 7 | (b & 0x7F)
            if not b & 0x80:
                break
        values.append(value)
    first = min(values[0] // 40, 2)
    return ObjectIdentifier((first, values[0] - 40 * first, *values[1:]))
