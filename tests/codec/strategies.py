"""Hypothesis strategies for DLMS Data values (reusable by other test packages).

``data_values()`` draws arbitrary Data trees: every type, nested arrays and
structures, compact arrays, arrays of same-shaped flat structures (the Table fast
path) and near-miss arrays that must fall back to the generic path.
"""

from __future__ import annotations

import struct

from hypothesis import strategies as st

from openamr.codec import (
    DONT_CARE,
    Array,
    Bcd,
    BitString,
    CompactArray,
    CosemDate,
    CosemDateTime,
    CosemTime,
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
    Structure,
    Tag,
    TypeDescription,
    Unsigned,
    Utf8String,
    VisibleString,
)
from openamr.codec.types import FixedInt

FIXED_INTS: tuple[type[FixedInt], ...] = (
    Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
    Long64Unsigned, Enum, Bcd,
)  # fmt: skip


def _fixed_int(cls: type[FixedInt]) -> st.SearchStrategy[Data]:
    return st.integers(cls.lo, cls.hi).map(cls)


def float32s(allow_nan: bool = False) -> st.SearchStrategy[Data]:
    return st.floats(width=32, allow_nan=allow_nan).map(Float32)


def float64s(allow_nan: bool = False) -> st.SearchStrategy[Data]:
    return st.floats(allow_nan=allow_nan).map(Float64)


@st.composite
def bit_strings(draw: st.DrawFn) -> BitString:
    n = draw(st.integers(0, 40))
    return BitString(draw(st.binary(min_size=(n + 7) // 8, max_size=(n + 7) // 8)), n)


octet_strings = st.one_of(st.binary(max_size=16), st.binary(min_size=120, max_size=300)).map(
    OctetString
)
visible_strings = st.text(st.characters(max_codepoint=127), max_size=16).map(VisibleString)
utf8_strings = st.text(max_size=16).map(Utf8String)
date_times = st.binary(min_size=12, max_size=12).map(CosemDateTime.from_bytes)
dates = st.binary(min_size=5, max_size=5).map(CosemDate.from_bytes)
times = st.binary(min_size=4, max_size=4).map(CosemTime.from_bytes)


def scalars(allow_nan: bool = False) -> st.SearchStrategy[Data]:
    """Every non-container Data type."""
    return st.one_of(
        st.none(),
        st.booleans(),
        *(_fixed_int(c) for c in FIXED_INTS),
        float32s(allow_nan),
        float64s(allow_nan),
        octet_strings,
        visible_strings,
        utf8_strings,
        bit_strings(),
        date_times,
        dates,
        times,
        st.just(DONT_CARE),
    )


# -- flat rows: the Table fast path --------------------------------------------------

# A column kind: a fixed-size type (tag) or an octet-string of a fixed length.
_ROW_TYPES: list[st.SearchStrategy[Data]] = [
    *(_fixed_int(c) for c in FIXED_INTS),
    st.booleans(),
    float32s(),
    float64s(),
    date_times,
    dates,
    times,
]


@st.composite
def row_shapes(draw: st.DrawFn) -> list[st.SearchStrategy[Data]]:
    """The column strategies of one flat, fixed-size structure."""
    columns: list[st.SearchStrategy[Data]] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.booleans()):
            n = draw(st.integers(0, 20))
            columns.append(st.binary(min_size=n, max_size=n).map(OctetString))
        else:
            columns.append(draw(st.sampled_from(_ROW_TYPES)))
    return columns


@st.composite
def tables(draw: st.DrawFn) -> Array:
    """An array of at least two same-shaped flat structures (decodes as a Table)."""
    shape = draw(row_shapes())
    row = st.tuples(*shape).map(Structure)
    return Array(draw(st.lists(row, min_size=2, max_size=12)))


@st.composite
def near_miss_tables(draw: st.DrawFn) -> Array:
    """A Table-like array with one row that differs, so the fast path must refuse it."""
    rows = list(draw(tables()))
    i = draw(st.integers(0, len(rows) - 1))
    row = list(rows[i])
    j = draw(st.integers(0, len(row) - 1))
    how = draw(st.sampled_from(["null", "nested", "longer", "extra", "fewer", "retype"]))
    if how == "null":
        row[j] = None
    elif how == "nested":
        row[j] = Structure((row[j],))
    elif how == "longer":
        old = row[j]
        row[j] = OctetString(old + b"\0") if isinstance(old, bytes) else OctetString(b"x")
    elif how == "extra":
        row.append(Unsigned(7))
    elif how == "fewer" and len(row) > 1:
        row.pop(j)
    else:
        row[j] = VisibleString("x") if not isinstance(row[j], str) else Unsigned(1)
    rows[i] = Structure(row)
    return Array(rows)


# -- compact arrays --------------------------------------------------------------------

_SIMPLE_DESC: dict[Tag, st.SearchStrategy[Data]] = {
    **{c.tag: _fixed_int(c) for c in FIXED_INTS},
    Tag.BOOLEAN: st.booleans(),
    Tag.FLOAT32: float32s(),
    Tag.FLOAT64: float64s(),
    Tag.OCTET_STRING: st.binary(max_size=8).map(OctetString),
    Tag.VISIBLE_STRING: visible_strings,
    Tag.UTF8_STRING: utf8_strings,
    Tag.BIT_STRING: bit_strings(),
    Tag.DATE_TIME: date_times,
    Tag.DATE: dates,
    Tag.TIME: times,
}

descriptions: st.SearchStrategy[TypeDescription] = st.recursive(
    st.sampled_from(sorted(_SIMPLE_DESC)).map(TypeDescription),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4).map(
            lambda es: TypeDescription(Tag.STRUCTURE, tuple(es))
        ),
        st.tuples(inner, st.integers(0, 3)).map(
            lambda ec: TypeDescription(Tag.ARRAY, (ec[0],), ec[1])
        ),
    ),
    max_leaves=6,
)


def values_of(desc: TypeDescription) -> st.SearchStrategy[Data]:
    """Values matching a compact-array type-description."""
    if desc.tag == Tag.STRUCTURE:
        return st.tuples(*(values_of(e) for e in desc.elements)).map(Structure)
    if desc.tag == Tag.ARRAY:
        each = values_of(desc.elements[0])
        return st.lists(each, min_size=desc.count, max_size=desc.count).map(Array)
    return _SIMPLE_DESC[desc.tag]


def _every_node_has_content(desc: TypeDescription) -> bool:
    """True when every node of ``desc`` takes octets (the codec refuses the others:
    they would let a few bytes decode into unbounded elements)."""
    return desc.content_size() > 0 and all(_every_node_has_content(e) for e in desc.elements)


@st.composite
def compact_arrays(draw: st.DrawFn) -> CompactArray:
    desc = draw(descriptions.filter(_every_node_has_content))
    values = draw(st.lists(values_of(desc), max_size=5))
    return CompactArray(desc, tuple(values))


# -- whole trees -----------------------------------------------------------------------


def data_values(allow_nan: bool = False) -> st.SearchStrategy[Data]:
    """Arbitrary Data trees of every type."""
    leaves = st.one_of(scalars(allow_nan), compact_arrays(), tables(), near_miss_tables())
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5).map(Array),
            st.lists(inner, max_size=5).map(lambda xs: Structure(xs)),
        ),
        max_leaves=12,
    )


def same_bits(a: float, b: float) -> bool:
    """Float equality that treats a NaN like any other bit pattern."""
    return struct.pack(">d", a) == struct.pack(">d", b)
