"""A-XDR encoding and decoding of DLMS ``Data`` (IEC 61334-6; Green Book 9.3).

Each value is a tag octet followed by its content::

    tag  content
    01   count(varlen) element*         array
    02   count(varlen) element*         structure
    09   length(varlen) octets          octet-string (0A visible, 0C utf8 likewise)
    04   bits(varlen) ceil(bits/8)      bit-string
    13   type-description contents      compact-array: length(varlen) of contents
    11   u8 / 12 u16 / 06 u32 / ...     fixed-width numbers, big-endian

Hostile input is bounded: nesting deeper than :data:`MAX_DEPTH` and declared
counts that cannot fit in the bytes left raise :class:`DecodeError`.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.codec import table as _table
from openamr.codec.buffer import Reader, Writer
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.types import (
    DONT_CARE,
    Array,
    Bcd,
    BitString,
    CompactArray,
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    FixedFloat,
    FixedInt,
    Float32,
    Float64,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    TypeDescription,
    Unsigned,
    Utf8String,
    VisibleString,
    _DontCare,
)
from openamr.errors import DecodeError, EncodeError

#: Deepest nesting of arrays/structures accepted from the wire.
MAX_DEPTH = 32

#: The fixed-length types by tag (one table, also used by the CLI's value form).
FIXED_TYPES: dict[int, type[FixedInt] | type[FixedFloat]] = {
    t.tag: t
    for t in (
        Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
        Long64Unsigned, Enum, Bcd, Float32, Float64,
    )
}  # fmt: skip

#: The date and time types by tag.
DATE_TYPES: dict[int, type[CosemDateTime] | type[CosemDate] | type[CosemTime]] = {
    Tag.DATE_TIME: CosemDateTime,
    Tag.DATE: CosemDate,
    Tag.TIME: CosemTime,
}


# -- decoding ---------------------------------------------------------------------


def decode(data: bytes | bytearray | memoryview) -> Data:
    """Decode exactly one Data value; trailing bytes are an error."""
    r = Reader(data)
    value = read_data(r)
    if not r.at_end():
        raise r.fail(f"{r.remaining} trailing bytes after the value")
    return value


def read_data(r: Reader, depth: int = 0) -> Data:
    """Decode one tagged Data value at the cursor."""
    start = r.pos
    tag = r.u8()
    return _read_content(r, tag, depth, start)


def _read_content(r: Reader, tag: int, depth: int, start: int) -> Data:
    fixed = FIXED_TYPES.get(tag)
    if fixed is not None:
        (v,) = r.unpack(fixed.fmt)
        return fixed(v)  # type: ignore[arg-type]
    reader = _READERS.get(tag)
    if reader is None:
        raise DecodeError(start, f"unknown Data tag {tag}")
    return reader(r, depth)


def _count(r: Reader, min_size: int) -> int:
    """An element count that could fit in the bytes left (each >= min_size)."""
    start = r.pos
    n = r.length()
    if n * min_size > r.remaining:
        raise DecodeError(start, f"count {n} does not fit in {r.remaining} bytes left")
    return n


def _nested(depth: int, r: Reader) -> int:
    if depth >= MAX_DEPTH:
        raise r.fail(f"nesting deeper than {MAX_DEPTH}")
    return depth + 1


def _read_array(r: Reader, depth: int) -> Data:
    d = _nested(depth, r)
    n = _count(r, 1)
    if n > 1:
        fast = _table.try_read_table(r, n)
        if fast is not None:
            return fast
    return Array([read_data(r, d) for _ in range(n)])


def _read_structure(r: Reader, depth: int) -> Data:
    d = _nested(depth, r)
    n = _count(r, 1)
    return Structure(read_data(r, d) for _ in range(n))


def _read_boolean(r: Reader, depth: int) -> Data:
    return r.u8() != 0


def _read_bit_string(r: Reader, depth: int) -> Data:
    bits = r.length()
    return BitString(r.read((bits + 7) // 8), bits)


def _read_octets(r: Reader) -> bytes:
    n = r.length()
    return r.read(n)


def _read_octet_string(r: Reader, depth: int) -> Data:
    return OctetString(_read_octets(r))


def _read_text(
    cls: type[VisibleString] | type[Utf8String], codec: str
) -> Callable[[Reader, int], Data]:
    def read(r: Reader, depth: int) -> Data:
        start = r.pos
        raw = _read_octets(r)
        try:
            return cls(raw.decode(codec))
        except UnicodeDecodeError as e:
            raise DecodeError(start, f"{cls.__name__} is not {codec}: {e.reason}") from None

    return read


def _read_date(tag: int) -> Callable[[Reader, int], Data]:
    cls = DATE_TYPES[tag]

    def read(r: Reader, depth: int) -> Data:
        return cls.from_bytes(r.read(cls.SIZE))

    return read


def _read_null(r: Reader, depth: int) -> Data:
    return None


def _read_dont_care(r: Reader, depth: int) -> Data:
    return DONT_CARE


def read_type_description(r: Reader, depth: int = 0) -> TypeDescription:
    """A compact-array type-description (Blue Book 4.1.5). Every node must take at
    least one content octet (no null-data, empty structure or zero-count array), so
    the elements decoded stay bounded by the bytes received."""
    start = r.pos
    desc = _read_description_node(r, depth)
    if desc.content_size() == 0:
        raise DecodeError(start, f"type-description {desc.tag.name} takes no content octets")
    return desc


def _read_description_node(r: Reader, depth: int) -> TypeDescription:
    start = r.pos
    tag = r.u8()
    if tag == Tag.ARRAY:
        count = r.u16()
        return TypeDescription(Tag.ARRAY, (read_type_description(r, _nested(depth, r)),), count)
    if tag == Tag.STRUCTURE:
        n = _count(r, 1)
        d = _nested(depth, r)
        return TypeDescription(Tag.STRUCTURE, tuple(read_type_description(r, d) for _ in range(n)))
    if (tag not in FIXED_TYPES and tag not in _READERS) or tag == Tag.COMPACT_ARRAY:
        raise DecodeError(start, f"type-description names unknown tag {tag}")
    return TypeDescription(Tag(tag))


def _read_untagged(r: Reader, desc: TypeDescription, depth: int) -> Data:
    if desc.tag == Tag.STRUCTURE:
        d = _nested(depth, r)
        return Structure(_read_untagged(r, e, d) for e in desc.elements)
    if desc.tag == Tag.ARRAY:
        d = _nested(depth, r)
        if desc.count > r.remaining:
            raise r.fail(f"array of {desc.count} does not fit in {r.remaining} bytes left")
        return Array(_read_untagged(r, desc.elements[0], d) for _ in range(desc.count))
    return _read_content(r, desc.tag, depth, r.pos)


def _read_compact_array(r: Reader, depth: int) -> Data:
    d = _nested(depth, r)
    desc = read_type_description(r)
    size = r.length()
    r.need(size, "compact-array contents")
    end = r.pos + size
    sub = Reader(r.data[:end], r.pos)
    values: list[Data] = []
    while not sub.at_end():
        values.append(_read_untagged(sub, desc, d))
    r.pos = end
    return CompactArray(desc, tuple(values))


_READERS: dict[int, Callable[[Reader, int], Data]] = {
    Tag.NULL_DATA: _read_null,
    Tag.ARRAY: _read_array,
    Tag.STRUCTURE: _read_structure,
    Tag.BOOLEAN: _read_boolean,
    Tag.BIT_STRING: _read_bit_string,
    Tag.OCTET_STRING: _read_octet_string,
    Tag.VISIBLE_STRING: _read_text(VisibleString, "ascii"),
    Tag.UTF8_STRING: _read_text(Utf8String, "utf-8"),
    Tag.COMPACT_ARRAY: _read_compact_array,
    Tag.DATE_TIME: _read_date(Tag.DATE_TIME),
    Tag.DATE: _read_date(Tag.DATE),
    Tag.TIME: _read_date(Tag.TIME),
    Tag.DONT_CARE: _read_dont_care,
}


# -- encoding ---------------------------------------------------------------------


def encode(value: Data) -> bytes:
    """Encode one Data value, tag included."""
    w = Writer()
    write_data(w, value)
    return w.getvalue()


def tag_of(value: Data) -> Tag:
    """The DLMS tag a Python value encodes as (it depends on the value's class
    only: remembered by class, the classes of Data being few)."""
    tag = _TAG_OF_CLASS.get(type(value))
    if tag is None:
        tag = _TAG_OF_CLASS[type(value)] = _tag_of(value)
    return tag


def _tag_of(value: Data) -> Tag:
    if value is None:
        return Tag.NULL_DATA
    if isinstance(value, bool):
        return Tag.BOOLEAN
    if isinstance(value, (FixedInt, FixedFloat)):
        return value.tag
    for cls, tag in _TAGS_BY_CLASS:
        if isinstance(value, cls):
            return tag
    if isinstance(value, (int, float)):
        raise EncodeError(
            f"plain {type(value).__name__} {value!r} has no DLMS type: "
            "wrap it, e.g. Unsigned(5), DoubleLong(-1), Float32(1.5)"
        )
    raise EncodeError(f"{type(value).__name__} is not a DLMS Data value")


_TAG_OF_CLASS: dict[type, Tag] = {}


def write_data(w: Writer, value: Data) -> None:
    tag = tag_of(value)
    w.u8(tag)
    write_content(w, tag, value)


def write_content(w: Writer, tag: Tag, value: Data) -> None:
    """The content of ``value`` without its tag (as in compact-array contents)."""
    if isinstance(value, (FixedInt, FixedFloat)):
        w.write(value.fmt.pack(value))
        return
    _WRITERS[tag](w, value)


def _write_null(w: Writer, value: Data) -> None:
    pass


def _write_boolean(w: Writer, value: Data) -> None:
    w.u8(1 if value else 0)


def _write_sequence(w: Writer, value: Data) -> None:
    if isinstance(value, _table.Table):
        value.write(w)
        return
    assert isinstance(value, (list, tuple))
    w.length(len(value))
    for v in value:
        write_data(w, v)


def _write_bit_string(w: Writer, value: Data) -> None:
    assert isinstance(value, BitString)
    w.length(value.length)
    w.write(value.data)


def _write_octets(w: Writer, value: Data) -> None:
    assert isinstance(value, bytes)
    w.length(len(value))
    w.write(value)


def _write_text(codec: str) -> Callable[[Writer, Data], None]:
    def write(w: Writer, value: Data) -> None:
        assert isinstance(value, str)
        try:
            _write_octets(w, value.encode(codec))
        except UnicodeEncodeError as e:
            raise EncodeError(f"{value!r} is not {codec}: {e.reason}") from None

    return write


def _write_date(w: Writer, value: Data) -> None:
    assert isinstance(value, (CosemDateTime, CosemDate, CosemTime))
    w.write(value.to_bytes())


def write_type_description(w: Writer, desc: TypeDescription) -> None:
    if desc.content_size() == 0:
        raise EncodeError(f"type-description {desc} takes no content octets")
    w.u8(desc.tag)
    if desc.tag == Tag.ARRAY:
        w.u16(desc.count)
        write_type_description(w, desc.elements[0])
    elif desc.tag == Tag.STRUCTURE:
        w.length(len(desc.elements))
        for e in desc.elements:
            write_type_description(w, e)


def _write_untagged(w: Writer, desc: TypeDescription, value: Data) -> None:
    if desc.tag in (Tag.STRUCTURE, Tag.ARRAY):
        if not isinstance(value, (list, tuple)):
            raise EncodeError(f"compact-array element {value!r} is not a {desc.tag.name}")
        elems = desc.elements if desc.tag == Tag.STRUCTURE else desc.elements * desc.count
        if len(elems) != len(value):
            raise EncodeError(f"compact-array element {value!r} does not match its description")
        for e, v in zip(elems, value, strict=True):
            _write_untagged(w, e, v)
        return
    if tag_of(value) != desc.tag:
        raise EncodeError(f"compact-array element {value!r} is not {desc.tag.name}")
    write_content(w, desc.tag, value)


def _write_compact_array(w: Writer, value: Data) -> None:
    assert isinstance(value, CompactArray)
    write_type_description(w, value.description)
    body = Writer()
    for v in value.values:
        _write_untagged(body, value.description, v)
    w.length(len(body.buf))
    w.write(body.buf)


_WRITERS: dict[Tag, Callable[[Writer, Data], None]] = {
    Tag.NULL_DATA: _write_null,
    Tag.ARRAY: _write_sequence,
    Tag.STRUCTURE: _write_sequence,
    Tag.BOOLEAN: _write_boolean,
    Tag.BIT_STRING: _write_bit_string,
    Tag.OCTET_STRING: _write_octets,
    Tag.VISIBLE_STRING: _write_text("ascii"),
    Tag.UTF8_STRING: _write_text("utf-8"),
    Tag.COMPACT_ARRAY: _write_compact_array,
    Tag.DATE_TIME: _write_date,
    Tag.DATE: _write_date,
    Tag.TIME: _write_date,
    Tag.DONT_CARE: _write_null,
}

# Order matters: subclasses before their bases (Utf8String before str).
_TAGS_BY_CLASS: tuple[tuple[type, Tag], ...] = (
    (_table.Table, Tag.ARRAY),
    (Array, Tag.ARRAY),
    (Structure, Tag.STRUCTURE),
    (Utf8String, Tag.UTF8_STRING),
    (VisibleString, Tag.VISIBLE_STRING),
    (str, Tag.VISIBLE_STRING),
    (bytes, Tag.OCTET_STRING),
    (BitString, Tag.BIT_STRING),
    (CompactArray, Tag.COMPACT_ARRAY),
    (CosemDateTime, Tag.DATE_TIME),
    (CosemDate, Tag.DATE),
    (CosemTime, Tag.TIME),
    (_DontCare, Tag.DONT_CARE),
    (list, Tag.ARRAY),
    (tuple, Tag.STRUCTURE),
)
