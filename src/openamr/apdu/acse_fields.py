"""The element codecs of the ACSE APDUs and the table-driven SEQUENCE reader/writer
(Green Book 9.4.2 "ACSE APDUs", ISO/IEC 8650-1 as profiled by DLMS).

An APDU is ``[APPLICATION n] IMPLICIT SEQUENCE`` of optional context-tagged elements
in a fixed order; each :class:`Element` names its tag, its dataclass field and how its
contents are written and read::

    a1 09  06 07 60 85 74 05 08 01 01      [1] EXPLICIT OBJECT IDENTIFIER
    8a 02  07 80                           [10] IMPLICIT BIT STRING
    ac 0a  80 08 31 32 33 34 35 36 37 38   [12] EXPLICIT CHOICE { [0] GraphicString }
    be 10  04 0e 01 00 00 00 06 ...        [30] EXPLICIT OCTET STRING

Decoding is strict: elements in ascending order, none twice, no unknown tags, the
mandatory ones present, no bytes left over inside a primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum, IntFlag
from typing import Any, TypeVar

from openamr.apdu.base import message
from openamr.apdu.mechanism import ApplicationContextName, MechanismName, to_oid
from openamr.codec import ber
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import BitString
from openamr.errors import DecodeError

E = TypeVar("E", bound=IntEnum)
F = TypeVar("F", bound=IntFlag)


@message
class Element:
    """One element of an ACSE SEQUENCE: ``tag``, the dataclass ``field`` it fills, how
    its contents are encoded and decoded, and whether it must be present."""

    tag: int
    field: str
    encode: Callable[[Any], bytes]
    decode: Callable[[Reader], Any]
    required: bool = False


def to_enum(cls: type[E], value: int, offset: int) -> E:
    """``cls(value)``, or a DecodeError at ``offset`` naming the unknown value."""
    if value not in cls._value2member_map_:
        raise DecodeError(offset, f"{value} is not a {cls.__name__}")
    return cls(value)


# -- contents codecs ----------------------------------------------------------------------


def _all(r: Reader) -> bytes:
    return r.read(r.remaining)


def inner_element(r: Reader, tag: int, what: str) -> Reader:
    """The contents of the single element (an EXPLICIT wrapper's inside) in ``r``."""
    inner = ber.read_element(r, tag)
    ber.end_of_contents(r, what)
    return inner


def enc_octets_explicit(value: bytes) -> bytes:
    return ber.tlv(ber.OCTET_STRING, value)


def dec_octets_explicit(r: Reader) -> bytes:
    return _all(inner_element(r, ber.OCTET_STRING, "OCTET STRING"))


def enc_int_explicit(value: int) -> bytes:
    return ber.tlv(ber.INTEGER, ber.encode_integer(value))


def dec_int_explicit(r: Reader) -> int:
    return ber.decode_integer(inner_element(r, ber.INTEGER, "INTEGER"))


def enc_context_name(value: ApplicationContextName | ber.ObjectIdentifier) -> bytes:
    return ber.tlv(ber.OBJECT_IDENTIFIER, ber.encode_oid(to_oid(value)))


def dec_context_name(r: Reader) -> ApplicationContextName | ber.ObjectIdentifier:
    oid = ber.decode_oid(inner_element(r, ber.OBJECT_IDENTIFIER, "application-context-name"))
    return ApplicationContextName.from_oid(oid)


def enc_mechanism(value: MechanismName | ber.ObjectIdentifier) -> bytes:
    return ber.encode_oid(to_oid(value))


def dec_mechanism(r: Reader) -> MechanismName | ber.ObjectIdentifier:
    return MechanismName.from_oid(ber.decode_oid(r))


def enc_bits(value: BitString) -> bytes:
    return ber.encode_bit_string(value)


def dec_bits(r: Reader) -> BitString:
    return ber.decode_bit_string(r)


def enc_graphic(value: bytes) -> bytes:
    return value


def dec_graphic(r: Reader) -> bytes:
    return _all(r)


#: Authentication-value ::= CHOICE { charstring [0] IMPLICIT GraphicString, ... }: DLMS
#: carries passwords and challenges as ``charstring``.
CHARSTRING = ber.context(0)


def enc_auth_value(value: bytes) -> bytes:
    return ber.tlv(CHARSTRING, value)


def dec_auth_value(r: Reader) -> bytes:
    if ber.peek_tag(r) != CHARSTRING:
        raise r.fail("only the charstring choice of Authentication-value is supported")
    return _all(inner_element(r, CHARSTRING, "Authentication-value"))


def enum_explicit(cls: type[E]) -> tuple[Callable[[E], bytes], Callable[[Reader], E]]:
    """The codecs of an ``[n] EXPLICIT INTEGER`` with named values."""

    def dec(r: Reader) -> E:
        start = r.pos
        return to_enum(cls, dec_int_explicit(r), start)

    return enc_int_explicit, dec


def enum_implicit(cls: type[E]) -> tuple[Callable[[E], bytes], Callable[[Reader], E]]:
    """The codecs of an ``[n] IMPLICIT INTEGER`` with named values."""

    def dec(r: Reader) -> E:
        start = r.pos
        return to_enum(cls, ber.decode_integer(r), start)

    return ber.encode_integer, dec


def flags_implicit(cls: type[F]) -> tuple[Callable[[F], bytes], Callable[[Reader], F]]:
    """The codecs of an ``[n] IMPLICIT BIT STRING`` of named bits as an IntFlag."""

    def enc(value: F) -> bytes:
        return ber.encode_bit_string(ber.int_to_named_bits(int(value)))

    def dec(r: Reader) -> F:
        return cls(ber.named_bits_to_int(ber.decode_bit_string(r)))

    return enc, dec


# -- the SEQUENCE --------------------------------------------------------------------------


def write_sequence(w: Writer, tag: int, elements: tuple[Element, ...], apdu: object) -> None:
    """Write ``apdu`` as ``tag`` + length + its present elements in table order."""
    body = Writer()
    for e in elements:
        value = getattr(apdu, e.field)
        if value is not None:
            ber.write_element(body, e.tag, e.encode(value))
    ber.write_element(w, tag, body.getvalue())


def read_sequence(r: Reader, elements: tuple[Element, ...]) -> dict[str, Any]:
    """Read the contents of an ACSE APDU (the reader is just past its tag)."""
    body = ber.window(r, ber.read_length(r))
    by_tag = {e.tag: (i, e) for i, e in enumerate(elements)}
    fields: dict[str, Any] = {}
    last = -1
    while not body.at_end():
        start = body.pos
        tag = ber.read_tag(body)
        index, element = by_tag.get(tag, (-1, None))
        if element is None or index <= last:
            raise DecodeError(start, f"unexpected element {tag:#04x} here")
        contents = ber.window(body, ber.read_length(body))
        fields[element.field] = element.decode(contents)
        ber.end_of_contents(contents, element.field)
        last = index
    for e in elements:
        if e.required and e.field not in fields:
            raise DecodeError(body.pos, f"mandatory element {e.field} is missing")
    return fields
