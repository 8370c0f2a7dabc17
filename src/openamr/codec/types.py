"""The DLMS Data types as Python values (IEC 62056-6-2 / Blue Book 4.1.5, "Data").

Every value carries its DLMS type so that ``encode(decode(b)) == b`` holds to the
byte. Integers and floats are ``int``/``float`` subclasses: they compute and
compare like plain numbers (``Unsigned(5) == 5``) and remember their wire type.

=====================  ===  =========================================
DLMS type              tag  Python value
=====================  ===  =========================================
null-data                0  ``None``
array                    1  :class:`Array` (``list``) or :class:`~openamr.codec.table.Table`
structure                2  :class:`Structure` (``tuple``)
boolean                  3  ``bool``
bit-string               4  :class:`BitString`
double-long              5  :class:`DoubleLong` (int32)
double-long-unsigned     6  :class:`DoubleLongUnsigned` (uint32)
octet-string             9  :class:`OctetString` (``bytes``); plain ``bytes`` too
visible-string          10  :class:`VisibleString` (``str``); plain ``str`` too
utf8-string             12  :class:`Utf8String` (``str``)
bcd                     13  :class:`Bcd` (one octet)
integer                 15  :class:`Integer` (int8)
long                    16  :class:`Long` (int16)
unsigned                17  :class:`Unsigned` (uint8)
long-unsigned           18  :class:`LongUnsigned` (uint16)
compact-array           19  :class:`CompactArray`
long64                  20  :class:`Long64`
long64-unsigned         21  :class:`Long64Unsigned`
enum                    22  :class:`Enum` (uint8)
float32                 23  :class:`Float32`
float64                 24  :class:`Float64`
date-time               25  :class:`~openamr.codec.datetime.CosemDateTime`
date                    26  :class:`~openamr.codec.datetime.CosemDate`
time                    27  :class:`~openamr.codec.datetime.CosemTime`
dont-care              255  :data:`DONT_CARE`
=====================  ===  =========================================
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from typing import ClassVar, Final, TypeAlias

from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.record import record
from openamr.errors import EncodeError


class Tag(enum.IntEnum):
    """The CHOICE tags of the DLMS ``Data`` type."""

    NULL_DATA = 0
    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    DOUBLE_LONG = 5
    DOUBLE_LONG_UNSIGNED = 6
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    UTF8_STRING = 12
    BCD = 13
    INTEGER = 15
    LONG = 16
    UNSIGNED = 17
    LONG_UNSIGNED = 18
    COMPACT_ARRAY = 19
    LONG64 = 20
    LONG64_UNSIGNED = 21
    ENUM = 22
    FLOAT32 = 23
    FLOAT64 = 24
    DATE_TIME = 25
    DATE = 26
    TIME = 27
    DONT_CARE = 255


class FixedInt(int):
    """An integer of a fixed-width DLMS type; the range is checked on creation."""

    __slots__ = ()
    tag: ClassVar[Tag]
    fmt: ClassVar[struct.Struct]
    lo: ClassVar[int]
    hi: ClassVar[int]

    def __init_subclass__(cls, tag: Tag, fmt: str, **kw: object) -> None:
        super().__init_subclass__(**kw)
        cls.tag, cls.fmt = tag, struct.Struct(fmt)
        bits = cls.fmt.size * 8
        signed = fmt[-1].islower()
        cls.lo = -(1 << (bits - 1)) if signed else 0
        cls.hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1

    def __new__(cls, value: int = 0) -> FixedInt:
        v = int(value)
        if not cls.lo <= v <= cls.hi:
            raise EncodeError(f"{cls.__name__} must be in {cls.lo}..{cls.hi}, got {v}")
        return super().__new__(cls, v)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"

    __str__ = int.__repr__


class Integer(FixedInt, tag=Tag.INTEGER, fmt=">b"):
    """integer [15]: int8."""


class Long(FixedInt, tag=Tag.LONG, fmt=">h"):
    """long [16]: int16."""


class DoubleLong(FixedInt, tag=Tag.DOUBLE_LONG, fmt=">i"):
    """double-long [5]: int32."""


class Long64(FixedInt, tag=Tag.LONG64, fmt=">q"):
    """long64 [20]: int64."""


class Unsigned(FixedInt, tag=Tag.UNSIGNED, fmt=">B"):
    """unsigned [17]: uint8."""


class LongUnsigned(FixedInt, tag=Tag.LONG_UNSIGNED, fmt=">H"):
    """long-unsigned [18]: uint16."""


class DoubleLongUnsigned(FixedInt, tag=Tag.DOUBLE_LONG_UNSIGNED, fmt=">I"):
    """double-long-unsigned [6]: uint32."""


class Long64Unsigned(FixedInt, tag=Tag.LONG64_UNSIGNED, fmt=">Q"):
    """long64-unsigned [21]: uint64."""


class Enum(FixedInt, tag=Tag.ENUM, fmt=">B"):
    """enum [22]: uint8 whose meaning the attribute defines."""


class Bcd(FixedInt, tag=Tag.BCD, fmt=">b"):
    """bcd [13]: one octet (Green Book: ``bcd [13] Integer8``)."""


class FixedFloat(float):
    """A float of a fixed-width DLMS type."""

    __slots__ = ()
    tag: ClassVar[Tag]
    fmt: ClassVar[struct.Struct]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({float(self)!r})"

    __str__ = float.__repr__


class Float32(FixedFloat):
    """float32 [23]: IEEE 754 single precision."""

    tag = Tag.FLOAT32
    fmt = struct.Struct(">f")


class Float64(FixedFloat):
    """float64 [24]: IEEE 754 double precision."""

    tag = Tag.FLOAT64
    fmt = struct.Struct(">d")


class OctetString(bytes):
    """octet-string [9]. Plain ``bytes`` encode as octet-string too."""

    def __repr__(self) -> str:
        return f"OctetString({bytes(self).hex(' ')!r})"


class VisibleString(str):
    """visible-string [10]: ASCII. Plain ``str`` encodes as visible-string too."""

    def __repr__(self) -> str:
        return f"VisibleString({str(self)!r})"


class Utf8String(str):
    """utf8-string [12]."""

    def __repr__(self) -> str:
        return f"Utf8String({str(self)!r})"


@record
class BitString:
    """bit-string [4]: ``length`` bits, most significant bit of ``data[0]`` first.

    Unused trailing bits are kept as received so that re-encoding is exact.
    """

    data: bytes
    length: int

    def __post_init__(self) -> None:
        if len(self.data) != (self.length + 7) // 8:
            raise EncodeError(
                f"bit-string of {self.length} bits needs {(self.length + 7) // 8} bytes"
            )

    @classmethod
    def from_str(cls, bits: str) -> BitString:
        """``BitString.from_str("0101")``: one character per bit."""
        n = len(bits)
        value = int(bits, 2) << ((-n) % 8) if n else 0
        return cls(value.to_bytes((n + 7) // 8, "big"), n)

    def __str__(self) -> str:
        if not self.length:
            return ""
        return format(int.from_bytes(self.data, "big"), f"0{len(self.data) * 8}b")[: self.length]

    def __getitem__(self, i: int) -> bool:
        if not 0 <= i < self.length:
            raise IndexError(i)
        return bool(self.data[i // 8] & (0x80 >> (i % 8)))


class _DontCare:
    """dont-care [255]: a value with no content (used in selective access)."""

    _instance: ClassVar[_DontCare | None] = None

    def __new__(cls) -> _DontCare:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DONT_CARE"


DONT_CARE: Final = _DontCare()


class Array(list["Data"]):
    """array [1]: elements of one type (each element carries its own tag)."""

    def __repr__(self) -> str:
        return f"Array({list.__repr__(self)})"


class Structure(tuple["Data", ...]):
    """structure [2]: an ordered sequence of elements of any type."""

    def __repr__(self) -> str:
        return f"Structure({tuple.__repr__(self)})"


class RowArray(Sequence[Structure]):
    """array [1] of same-shaped structures held as rows of plain values: the base of
    :class:`~openamr.codec.table.Table` (its one implementation), declared here so
    that ``Data`` names it without this module importing the table's."""

    __slots__ = ()


@record
class TypeDescription:
    """The type-description of a compact-array (Blue Book 4.1.5, Data).

    ``tag`` is the element's tag; an array description has ``count`` and a single
    ``elements`` entry; a structure description has one entry per field.
    """

    tag: Tag
    elements: tuple[TypeDescription, ...] = ()
    count: int = 0

    def content_size(self) -> int:
        """The fewest content octets one element of this description takes: 0 for
        null-data and dont-care, the length octet for strings. The codec refuses
        descriptions with a node of size 0: they would decode without end."""
        if self.tag == Tag.STRUCTURE:
            return sum(e.content_size() for e in self.elements)
        if self.tag == Tag.ARRAY:
            return self.count * self.elements[0].content_size()
        return _CONTENT_SIZE.get(self.tag, 1)


@record
class CompactArray:
    """compact-array [19]: one type description, then the elements' contents
    without their tags. ``values`` holds the decoded elements (typed)."""

    description: TypeDescription
    values: tuple[Data, ...]


Data: TypeAlias = (
    "bool | int | float | bytes | str | BitString | Array | Structure | RowArray"
    " | CompactArray | CosemDateTime | CosemDate | CosemTime | _DontCare | None"
)


# Content octets of the types whose content has a fixed size (others: >= 1).
_CONTENT_SIZE: Final[dict[Tag, int]] = {
    Tag.NULL_DATA: 0,
    Tag.DONT_CARE: 0,
    Tag.DATE_TIME: 12,
    Tag.DATE: 5,
    Tag.TIME: 4,
    **{
        t.tag: t.fmt.size
        for t in (Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
                  Long64Unsigned, Enum, Bcd, Float32, Float64)
    },
}  # fmt: skip
