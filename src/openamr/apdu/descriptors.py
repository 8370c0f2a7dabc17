"""The building blocks of the xDLMS service APDUs (Green Book 9.5, IEC 62056-5-3 8.x).

A-XDR layouts (no tags inside a SEQUENCE; OPTIONAL is a 00/01 presence octet)::

    Invoke-Id-And-Priority          1 octet: bit 7 priority (1 high), bit 6 service
                                    class (1 confirmed), bits 5-4 reserved, 3-0 invoke-id
    Cosem-Attribute-Descriptor      class-id u16 | instance-id 6 octets | attribute-id i8
    Cosem-Method-Descriptor         class-id u16 | instance-id 6 octets | method-id i8
    Selective-Access-Descriptor     access-selector u8 | access-parameters Data
    ...-Descriptor-With-Selection   descriptor | 00  or  descriptor | 01 selective-access
    DataBlock-SA                    last-block bool | block-number u32 | raw-data len octets

Profile generic selective access (Blue Book 4.3.6, class 7 attribute 2) has two
standard selectors, modelled by :class:`RangeDescriptor` (1) and
:class:`EntryDescriptor` (2); both convert to and from their ``Data`` form.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Literal, TypeVar

from openamr.apdu.base import Apdu
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    Data,
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
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


def _check(name: str, value: int, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise EncodeError(f"{name} must be an int in {lo}..{hi}, got {value!r}")


@dataclass(frozen=True, slots=True)
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
        _check("invoke_id", self.invoke_id, 0, 15)
        _check("reserved", self.reserved, 0, 3)

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


def read_i8(r: Reader) -> int:
    b = r.u8()
    return b - 256 if b > 127 else b


@dataclass(frozen=True, slots=True)
class CosemAttributeDescriptor:
    """Cosem-Attribute-Descriptor: ``class-id u16 | instance-id 6 octets | attribute-id i8``.

    ``attribute_id`` is Integer8 as in the standard: manufacturer-specific
    attributes are negative.
    """

    class_id: int
    instance_id: Obis
    attribute_id: int

    def __post_init__(self) -> None:
        _check("class_id", self.class_id, 0, 0xFFFF)
        _check("attribute_id", self.attribute_id, -128, 127)

    @classmethod
    def read(cls, r: Reader) -> CosemAttributeDescriptor:
        return cls(r.u16(), read_obis(r), read_i8(r))

    def write(self, w: Writer) -> None:
        w.u16(self.class_id)
        w.write(self.instance_id.to_bytes())
        w.u8(self.attribute_id & 0xFF)


@dataclass(frozen=True, slots=True)
class CosemMethodDescriptor:
    """Cosem-Method-Descriptor: ``class-id u16 | instance-id 6 octets | method-id i8``."""

    class_id: int
    instance_id: Obis
    method_id: int

    def __post_init__(self) -> None:
        _check("class_id", self.class_id, 0, 0xFFFF)
        _check("method_id", self.method_id, -128, 127)

    @classmethod
    def read(cls, r: Reader) -> CosemMethodDescriptor:
        return cls(r.u16(), read_obis(r), read_i8(r))

    def write(self, w: Writer) -> None:
        w.u16(self.class_id)
        w.write(self.instance_id.to_bytes())
        w.u8(self.method_id & 0xFF)


def read_obis(r: Reader) -> Obis:
    return Obis(*r.read(6))


@dataclass(frozen=True, slots=True)
class SelectiveAccessDescriptor:
    """Selective-Access-Descriptor: ``access-selector u8 | access-parameters Data``.

    The parameters stay as decoded ``Data`` (exact round-trip); :class:`RangeDescriptor`
    and :class:`EntryDescriptor` give typed views of the two Profile generic selectors.
    """

    access_selector: int
    access_parameters: Data

    def __post_init__(self) -> None:
        _check("access_selector", self.access_selector, 0, 255)

    @classmethod
    def read(cls, r: Reader) -> SelectiveAccessDescriptor:
        return cls(r.u8(), read_data(r))

    def write(self, w: Writer) -> None:
        w.u8(self.access_selector)
        write_data(w, self.access_parameters)


def read_optional(r: Reader, read: Callable[[Reader], T]) -> T | None:
    """An A-XDR OPTIONAL component: ``00`` absent, ``01`` then the component."""
    start = r.pos
    flag = r.u8()
    if flag == 0:
        return None
    if flag == 1:
        return read(r)
    raise DecodeError(start, f"OPTIONAL presence flag must be 0 or 1, got {flag}")


def read_bool(r: Reader) -> bool:
    """A-XDR BOOLEAN: one octet, 00 false, anything else true (X.690 8.2)."""
    return r.u8() != 0


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class DataBlockSA:
    """DataBlock-SA (SET and ACTION block transfer)::

    last-block bool | block-number u32 | raw-data length octets
    """

    last_block: bool
    block_number: int
    raw_data: bytes

    def __post_init__(self) -> None:
        _check("block_number", self.block_number, 0, 0xFFFFFFFF)

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


# -- Profile generic selective access (Blue Book 4.3.6) ----------------------------


def _fail(reason: str) -> DecodeError:
    return DecodeError(0, f"selective access parameters: {reason}")


def _fields(value: Data, n: int, what: str) -> Structure:
    if not isinstance(value, tuple) or len(value) != n:
        raise _fail(f"{what} must be a structure of {n} elements, got {value!r}")
    return Structure(value)


def _int(value: Data, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{what} must be an integer, got {value!r}")
    return int(value)


@dataclass(frozen=True, slots=True)
class CaptureObjectDefinition:
    """capture_object_definition (Blue Book 4.3.6)::

    structure { class_id long-unsigned, logical_name octet-string[6],
                attribute_index integer, data_index long-unsigned }
    """

    class_id: int
    logical_name: Obis
    attribute_index: int
    data_index: int = 0

    def __post_init__(self) -> None:
        _check("class_id", self.class_id, 0, 0xFFFF)
        _check("attribute_index", self.attribute_index, -128, 127)
        _check("data_index", self.data_index, 0, 0xFFFF)

    def to_data(self) -> Structure:
        return Structure(
            (
                LongUnsigned(self.class_id),
                OctetString(self.logical_name.to_bytes()),
                Integer(self.attribute_index),
                LongUnsigned(self.data_index),
            )
        )

    @classmethod
    def from_data(cls, value: Data) -> CaptureObjectDefinition:
        f = _fields(value, 4, "capture_object_definition")
        ln = f[1]
        if not isinstance(ln, bytes) or len(ln) != 6:
            raise _fail(f"logical_name must be an octet-string of 6, got {ln!r}")
        try:
            return cls(_int(f[0], "class_id"), Obis(*ln), _int(f[2], "attribute_index"),
                       _int(f[3], "data_index"))  # fmt: skip
        except EncodeError as e:
            raise _fail(str(e)) from None


@dataclass(frozen=True, slots=True)
class RangeDescriptor:
    """range_descriptor, access selector 1 (Blue Book 4.3.6)::

    structure { restricting_object capture_object_definition,
                from_value, to_value (the restricting object's type, e.g. date-time),
                selected_values array of capture_object_definition (empty = all) }
    """

    ACCESS_SELECTOR: ClassVar[int] = 1

    restricting_object: CaptureObjectDefinition
    from_value: Data
    to_value: Data
    selected_values: tuple[CaptureObjectDefinition, ...] = ()

    def to_data(self) -> Structure:
        cols = Array(c.to_data() for c in self.selected_values)
        return Structure((self.restricting_object.to_data(), self.from_value, self.to_value, cols))

    @classmethod
    def from_data(cls, value: Data) -> RangeDescriptor:
        f = _fields(value, 4, "range_descriptor")
        cols = f[3]
        if not isinstance(cols, list):
            raise _fail(f"selected_values must be an array, got {cols!r}")
        selected = tuple(CaptureObjectDefinition.from_data(c) for c in cols)
        return cls(CaptureObjectDefinition.from_data(f[0]), f[1], f[2], selected)

    def to_access(self) -> SelectiveAccessDescriptor:
        return SelectiveAccessDescriptor(self.ACCESS_SELECTOR, self.to_data())


@dataclass(frozen=True, slots=True)
class EntryDescriptor:
    """entry_descriptor, access selector 2 (Blue Book 4.3.6); entries and values
    count from 1, a ``to_`` of 0 means "up to the last"::

    structure { from_entry double-long-unsigned, to_entry double-long-unsigned,
                from_selected_value long-unsigned, to_selected_value long-unsigned }
    """

    ACCESS_SELECTOR: ClassVar[int] = 2

    from_entry: int = 1
    to_entry: int = 0
    from_selected_value: int = 1
    to_selected_value: int = 0

    def __post_init__(self) -> None:
        _check("from_entry", self.from_entry, 0, 0xFFFFFFFF)
        _check("to_entry", self.to_entry, 0, 0xFFFFFFFF)
        _check("from_selected_value", self.from_selected_value, 0, 0xFFFF)
        _check("to_selected_value", self.to_selected_value, 0, 0xFFFF)

    def to_data(self) -> Structure:
        return Structure(
            (
                DoubleLongUnsigned(self.from_entry),
                DoubleLongUnsigned(self.to_entry),
                LongUnsigned(self.from_selected_value),
                LongUnsigned(self.to_selected_value),
            )
        )

    @classmethod
    def from_data(cls, value: Data) -> EntryDescriptor:
        f = _fields(value, 4, "entry_descriptor")
        names = ("from_entry", "to_entry", "from_selected_value", "to_selected_value")
        try:
            return cls(*(_int(v, n) for v, n in zip(f, names, strict=True)))
        except EncodeError as e:
            raise _fail(str(e)) from None

    def to_access(self) -> SelectiveAccessDescriptor:
        return SelectiveAccessDescriptor(self.ACCESS_SELECTOR, self.to_data())


__all__ = [
    "ABSENT",
    "Absent",
    "CaptureObjectDefinition",
    "CosemAttributeDescriptor",
    "CosemAttributeDescriptorWithSelection",
    "CosemMethodDescriptor",
    "DataBlockSA",
    "EntryDescriptor",
    "InvokeIdAndPriority",
    "RangeDescriptor",
    "SelectiveAccessDescriptor",
]
