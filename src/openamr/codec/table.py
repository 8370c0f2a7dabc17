"""Arrays of same-shaped structures, held as rows of plain values (the hot path).

A profile buffer is an array of flat structures whose every element has the same
tags and sizes, e.g. a load-profile row of 28 bytes::

    02 04                       structure, 4 elements
    09 0C <12 bytes>            octet-string(12): the clock
    06 <4 bytes>                double-long-unsigned
    06 <4 bytes>                double-long-unsigned
    11 <1 byte>                 unsigned

Such an array has one :class:`RowLayout`: the constant bytes (tags, lengths) at
fixed offsets and one ``struct`` format for the values. Decoding checks every
row's constant bytes at once with strided slices, then ``struct.iter_unpack``
yields the rows as plain tuples; encoding is the reverse. Arrays that do not fit
(nested structures, varying lengths, null fields) take the generic path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from itertools import starmap
from operator import itemgetter
from typing import Any, TypeGuard, overload

from openamr.codec.buffer import Reader, Writer
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.record import record
from openamr.codec.types import (
    Bcd,
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Float64,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    OctetString,
    RowArray,
    Structure,
    Tag,
    Unsigned,
)
from openamr.errors import EncodeError

#: Row value: the plain Python value of one field (int, float, bool or bytes).
Row = tuple[Any, ...]

# tag -> (struct code, wrapper that restores the typed value)
_NUMERIC: dict[int, tuple[str, Callable[[Any], Data]]] = {
    Tag.BOOLEAN: ("?", bool),
    Tag.INTEGER: ("b", Integer),
    Tag.LONG: ("h", Long),
    Tag.DOUBLE_LONG: ("i", DoubleLong),
    Tag.LONG64: ("q", Long64),
    Tag.UNSIGNED: ("B", Unsigned),
    Tag.LONG_UNSIGNED: ("H", LongUnsigned),
    Tag.DOUBLE_LONG_UNSIGNED: ("I", DoubleLongUnsigned),
    Tag.LONG64_UNSIGNED: ("Q", Long64Unsigned),
    Tag.ENUM: ("B", Enum),
    Tag.BCD: ("b", Bcd),
    Tag.FLOAT32: ("f", Float32),
    Tag.FLOAT64: ("d", Float64),
    Tag.DATE_TIME: ("12s", CosemDateTime.from_bytes),
    Tag.DATE: ("5s", CosemDate.from_bytes),
    Tag.TIME: ("4s", CosemTime.from_bytes),
}


@record
class Field:
    """One column: its tag and, for an octet-string, its fixed length."""

    tag: Tag
    size: int = 0  # octet-string length; 0 for other types


class RowLayout:
    """The shared type description of every row of a :class:`Table`: the columns,
    the row's ``struct`` format, and its constant bytes as (offset, byte) pairs."""

    __slots__ = ("constants", "fields", "struct")

    def __init__(self, fields: tuple[Field, ...]) -> None:
        if not 0 < len(fields) < 0x80:
            raise EncodeError(f"a row layout has 1..127 fields, not {len(fields)}")
        consts: list[tuple[int, int]] = [(0, Tag.STRUCTURE), (1, len(fields))]
        fmt = ">xx"
        for f in fields:
            consts.append((struct.calcsize(fmt), f.tag))
            if f.tag == Tag.OCTET_STRING:
                if f.size >= 0x80:
                    raise EncodeError("fast rows hold octet-strings shorter than 128 bytes")
                consts.append((struct.calcsize(fmt) + 1, f.size))
                fmt += f"xx{f.size}s"
            else:
                fmt += "x" + _NUMERIC[f.tag][0]
        self.fields = fields
        self.struct = struct.Struct(fmt)
        self.constants = tuple(consts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RowLayout) and self.fields == other.fields

    def __hash__(self) -> int:
        return hash(self.fields)

    def __repr__(self) -> str:
        return f"RowLayout({self.fields!r})"

    @property
    def stride(self) -> int:
        return self.struct.size

    def typed(self, row: Row) -> Structure:
        """One row as a Structure of typed Data values."""
        return Structure(_wrap(f)(v) for f, v in zip(self.fields, row, strict=True))

    def plain(self, value: Data) -> Row:
        """A Structure (typed values) as a plain row; raises if it does not fit."""
        if not isinstance(value, tuple) or len(value) != len(self.fields):
            raise EncodeError(f"{value!r} does not fit the row layout")
        return tuple(_unwrap(f, v) for f, v in zip(self.fields, value, strict=True))


def _wrap(f: Field) -> Callable[[Any], Data]:
    return OctetString if f.tag == Tag.OCTET_STRING else _NUMERIC[f.tag][1]


def _unwrap(f: Field, v: Data) -> Any:
    if isinstance(v, (CosemDateTime, CosemDate, CosemTime)):
        return v.to_bytes()
    return v


class Table(RowArray):
    """An array of same-shaped structures as rows of plain values.

    ``Table(layout, rows)``; ``table.rows`` is the list of plain tuples (fast),
    ``table[i]`` the i-th element as a typed :class:`Structure` (convenient).
    A Table equals an ``Array`` holding the same structures.
    """

    __slots__ = ("layout", "rows")

    def __init__(self, layout: RowLayout, rows: Iterable[Row]) -> None:
        self.layout = layout
        self.rows = rows if isinstance(rows, list) else list(rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Structure: ...
    @overload
    def __getitem__(self, i: slice) -> list[Structure]: ...
    def __getitem__(self, i: int | slice) -> Structure | list[Structure]:
        if isinstance(i, slice):
            return [self.layout.typed(r) for r in self.rows[i]]
        return self.layout.typed(self.rows[i])

    def __iter__(self) -> Iterator[Structure]:
        return map(self.layout.typed, self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Table):
            return self.layout == other.layout and self.rows == other.rows
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Table({len(self.rows)} rows of {[f.tag.name for f in self.layout.fields]})"

    def write(self, w: Writer) -> None:
        """The A-XDR content (count and elements) of this array."""
        layout, rows = self.layout, self.rows
        for j, f in enumerate(layout.fields):
            if (
                f.tag == Tag.OCTET_STRING
                and rows
                and set(map(len, map(itemgetter(j), rows))) != {f.size}
            ):
                raise EncodeError(f"column {j} holds octet-strings not all of {f.size} bytes")
        w.length(len(rows))
        if not rows:
            return
        try:
            body = bytearray(b"".join(starmap(layout.struct.pack, rows)))
        except struct.error as e:
            raise EncodeError(f"a row does not fit its layout: {e}") from None
        n, stride = len(rows), layout.stride
        for offset, byte in layout.constants:
            body[offset::stride] = bytes((byte,)) * n
        w.write(body)


def is_array(value: object) -> TypeGuard[list[Data] | Table]:
    """Whether a Data value is an array: an ``Array`` (or any list) or the fast
    ``Table`` that decoding makes of arrays of same-shaped structures. Code that
    checks a written value must accept both."""
    return isinstance(value, (list, Table))


def layout_at(data: bytes, pos: int) -> RowLayout | None:
    """The row layout of the structure starting at ``data[pos]``, if it is flat
    and fixed-size; None otherwise."""
    end = len(data)
    if pos + 2 > end or data[pos] != Tag.STRUCTURE or not 0 < data[pos + 1] < 0x80:
        return None
    fields: list[Field] = []
    p = pos + 2
    for _ in range(data[pos + 1]):
        if p >= end:
            return None
        tag = data[p]
        if tag == Tag.OCTET_STRING:
            if p + 1 >= end or data[p + 1] >= 0x80:
                return None
            fields.append(Field(Tag.OCTET_STRING, data[p + 1]))
            p += 2 + data[p + 1]
        elif tag in _NUMERIC:
            fields.append(Field(Tag(tag)))
            p += 1 + struct.calcsize(">" + _NUMERIC[tag][0])
        else:
            return None
    return row_layout(tuple(fields))


_LAYOUTS: dict[tuple[Field, ...], RowLayout] = {}


def row_layout(fields: tuple[Field, ...]) -> RowLayout:
    """The one RowLayout of ``fields``, shared (it is immutable): a profile's layout
    is built once, not by each meter nor by each decoded table."""
    layout = _LAYOUTS.get(fields)
    if layout is None:
        if len(_LAYOUTS) > 256:
            _LAYOUTS.clear()
        layout = _LAYOUTS[fields] = RowLayout(fields)
    return layout


def try_read_table(r: Reader, count: int) -> Table | None:
    """Read ``count`` elements as a Table when they all share one layout; leave
    the reader untouched and return None otherwise."""
    data, pos = r.data, r.pos
    layout = layout_at(data, pos)
    if layout is None:
        return None
    stride = layout.stride
    end = pos + count * stride
    if end > r.end:
        return None
    for offset, byte in layout.constants:
        if data[pos + offset : end : stride] != bytes((byte,)) * count:
            return None
    rows = list(layout.struct.iter_unpack(memoryview(data)[pos:end]))
    r.pos = end
    return Table(layout, rows)
