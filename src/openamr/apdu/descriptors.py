"""The building blocks of the xDLMS service APDUs (Green Book 9.5, IEC 62056-5-3 8.x).

A-XDR layouts (no tags inside a SEQUENCE; OPTIONAL is a 00/01 presence octet)::

    Invoke-Id-And-Priority          1 octet: bit 7 priority (1 high), bit 6 service
                                    class (1 confirmed), bits 5-4 reserved, 3-0 invoke-id
    Cosem-Attribute-Descriptor      class-id u16 | instance-id 6 octets | attribute-id i8
    Cosem-Method-Descriptor         class-id u16 | instance-id 6 octets | method-id i8
    Selective-Access-Descriptor     access-selector u8 | access-parameters Data
    ...-Descriptor-With-Selection   descriptor | 00  or  descriptor | 01 selective-access
    DataBlock-SA                    last-block bool | block-number u32 | raw-data len octets

The two standard selectors of Profile generic are typed in
:mod:`openamr.apdu.selective_access`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import ClassVar, Final, Literal, TypeVar

from openamr.apdu.base import Apdu, message
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Data,
)
from openamr.errors import DecodeError, EncodeError

T = TypeVar("T")
ApduT = TypeVar("ApduT", bound=Apdu)


class _Absent(enum.Enum):
    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent.ABSENT
"""An OPTIONAL component that is not present (distinct from null-data, ``None``)."""

Absent = Literal[_Absent.ABSENT]


def check_range(name: str, value: int, lo: int, hi: int) -> None:
    """Refuse (EncodeError) a value that is not an int in lo..hi."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise EncodeError(f"{name} must be an int in {lo}..{hi}, got {value!r}")


def check_u32(name: str, value: int) -> None:
    """Refuse (EncodeError) a value that is not an Unsigned32."""
    check_range(name, value, 0, 0xFFFFFFFF)


@message
class InvokeIdAndPriority:
    """Invoke-Id-And-Priority: one octet (Green Book 9.5)::

        bit  7         6               5 4        3 2 1 0
             priority  service-class   reserved   invoke-id
             1 = high  1 = confirmed

    ``reserved`` keeps bits 5-4 as received so that the octet round-trips exactly.
    """

    invoke_id: int = 1
    confirmed: bool = True
    high_priority: bool = True
    reserved: int = 0

    def __post_init__(self) -> None:
        check_range("invoke_id", self.invoke_id, 0, 15)
        check_range("reserved", self.reserved, 0, 3)

    @classmethod
    def from_byte(cls, b: int) -> InvokeIdAndPriority:
        return cls(b & 0x0F, bool(b & 0x40), bool(b & 0x80), (b >> 4) & 0x03)

    def to_byte(self) -> int:
        return (
            self.invoke_id
            | self.reserved << 4
            | (0x40 if self.confirmed else 0)
            | (0x80 if self.high_priority else 0)
        )

    @classmethod
    def read(cls, r: Reader) -> InvokeIdAndPriority:
        return cls.from_byte(r.u8())

    def write(self, w: Writer) -> None:
        w.u8(self.to_byte())


class ServiceApdu(Apdu):
    """An xDLMS service APDU: ``tag | choice | invoke-id-and-priority | body``.

    Subclasses are frozen dataclasses with an ``invoke_id_and_priority`` field; they
    write their body in :meth:`encode_body` and read everything after the choice
    octet in ``decode``.
    """

    __slots__ = ()
    CHOICE: ClassVar[int]
    invoke_id_and_priority: InvokeIdAndPriority

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        w.u8(self.CHOICE)
        self.invoke_id_and_priority.write(w)
        self.encode_body(w)

    def encode_body(self, w: Writer) -> None:
        raise NotImplementedError


def read_i8(r: Reader) -> int:
    b = r.u8()
    return b - 256 if b > 127 else b


@message
class CosemAttributeDescriptor:
    """Cosem-Attribute-Descriptor: ``class-id u16 | instance-id 6 octets | attribute-id i8``.

    ``attribute_id`` is Integer8 as in the standard: manufacturer-specific
    attributes are negative.
    """

    class_id: int
    instance_id: Obis
    attribute_id: int

    def __post_init__(self) -> None:
        check_range("class_id", self.class_id, 0, 0xFFFF)
        check_range("attribute_id", self.attribute_id, -128, 127)

    @classmethod
    def read(cls, r: Reader) -> CosemAttributeDescriptor:
        return cls(r.u16(), read_obis(r), read_i8(r))

    def write(self, w: Writer) -> None:
        w.u16(self.class_id)
        w.write(self.instance_id.to_bytes())
        w.u8(self.attribute_id & 0xFF)


@message
class CosemMethodDescriptor:
    """Cosem-Method-Descriptor: ``class-id u16 | instance-id 6 octets | method-id i8``."""

    class_id: int
    instance_id: Obis
    method_id: int

    def __post_init__(self) -> None:
        check_range("class_id", self.class_id, 0, 0xFFFF)
        check_range("method_id", self.method_id, -128, 127)

    @classmethod
    def read(cls, r: Reader) -> CosemMethodDescriptor:
        return cls(r.u16(), read_obis(r), read_i8(r))

    def write(self, w: Writer) -> None:
        w.u16(self.class_id)
        w.write(self.instance_id.to_bytes())
        w.u8(self.method_id & 0xFF)


def read_obis(r: Reader) -> Obis:
    return Obis.from_bytes(r.read(6))


@message
class SelectiveAccessDescriptor:
    """Selective-Access-Descriptor: ``access-selector u8 | access-parameters Data``.

    The parameters stay as decoded ``Data`` (exact round-trip); :class:`RangeDescriptor`
    and :class:`EntryDescriptor` give typed views of the two Profile generic selectors.
    """

    access_selector: int
    access_parameters: Data

    def __post_init__(self) -> None:
        check_range("access_selector", self.access_selector, 0, 255)

    @classmethod
    def read(cls, r: Reader) -> SelectiveAccessDescriptor:
        return cls(r.u8(), read_data(r))

    def write(self, w: Writer) -> None:
        w.u8(self.access_selector)
        write_data(w, self.access_parameters)


def read_presence(r: Reader) -> bool:
    """The presence octet of an A-XDR OPTIONAL component: ``00`` absent, ``01`` present."""
    start = r.pos
    flag = r.u8()
    if flag > 1:
        raise DecodeError(start, f"OPTIONAL presence flag must be 0 or 1, got {flag}")
    return flag == 1


def read_optional(r: Reader, read: Callable[[Reader], T]) -> T | None:
    """An A-XDR OPTIONAL component: ``00`` absent, ``01`` then the component."""
    return read(r) if read_presence(r) else None


def read_bool(r: Reader) -> bool:
    """A-XDR BOOLEAN: one octet, 00 false, anything else true (X.690 8.2)."""
    return r.u8() != 0


@message
class CosemAttributeDescriptorWithSelection:
    """Cosem-Attribute-Descriptor-With-Selection: a descriptor and an OPTIONAL
    Selective-Access-Descriptor (``00`` or ``01 selector parameters``)."""

    cosem_attribute_descriptor: CosemAttributeDescriptor
    access_selection: SelectiveAccessDescriptor | None = None

    @classmethod
    def read(cls, r: Reader) -> CosemAttributeDescriptorWithSelection:
        desc = CosemAttributeDescriptor.read(r)
        return cls(desc, read_optional(r, SelectiveAccessDescriptor.read))

    def write(self, w: Writer) -> None:
        self.cosem_attribute_descriptor.write(w)
        write_access_selection(w, self.access_selection)


def write_access_selection(w: Writer, sel: SelectiveAccessDescriptor | None) -> None:
    if sel is None:
        w.u8(0)
    else:
        w.u8(1)
        sel.write(w)


@message
class DataBlockSA:
    """DataBlock-SA (SET and ACTION block transfer)::

    last-block bool | block-number u32 | raw-data length octets
    """

    last_block: bool
    block_number: int
    raw_data: bytes

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    @classmethod
    def read(cls, r: Reader) -> DataBlockSA:
        last = read_bool(r)
        number = r.u32()
        return cls(last, number, r.read(r.length()))

    def write(self, w: Writer) -> None:
        w.u8(1 if self.last_block else 0)
        w.u32(self.block_number)
        w.length(len(self.raw_data))
        w.write(self.raw_data)


def choice_decoder(
    name: str, table: dict[int, Callable[[Reader], ApduT]]
) -> Callable[[Reader], ApduT]:
    """The decoder of one APDU tag whose CHOICE octet (after the tag) picks the
    message: ``C0 01`` GetRequestNormal, ``C0 02`` GetRequestNext, ..."""

    def decode(r: Reader) -> ApduT:
        start = r.pos
        choice = r.u8()
        fn = table.get(choice)
        if fn is None:
            raise DecodeError(start, f"unknown {name} choice {choice}")
        return fn(r)

    return decode


def read_sequence_of(r: Reader, read: Callable[[Reader], T], min_size: int = 1) -> tuple[T, ...]:
    """SEQUENCE OF: a variable-length count, then the elements. A count that cannot
    fit in the bytes left (each element at least ``min_size``) is refused up front."""
    start = r.pos
    n = r.length()
    if n * min_size > r.remaining:
        raise DecodeError(start, f"count {n} does not fit in {r.remaining} bytes left")
    return tuple(read(r) for _ in range(n))


def write_sequence_of(w: Writer, items: Sequence[T], write: Callable[[Writer, T], None]) -> None:
    w.length(len(items))
    for item in items:
        write(w, item)


__all__ = [
    "ABSENT",
    "Absent",
    "CosemAttributeDescriptor",
    "CosemAttributeDescriptorWithSelection",
    "CosemMethodDescriptor",
    "DataBlockSA",
    "InvokeIdAndPriority",
    "SelectiveAccessDescriptor",
]
