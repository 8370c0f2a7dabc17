"""Cross-checks against two independent implementations used as oracles.

gurux-dlms and dlms-cosem encode -> we decode and re-encode byte-exact; we encode
-> they decode to the same values (compared in the plain form of tests/codec/peers.py).
Each peer is asked only about the types it implements (see peers.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import (
    Array,
    Bcd,
    BitString,
    CosemDate,
    CosemDateTime,
    CosemTime,
    Data,
    DecodeError,
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
    Table,
    Unsigned,
    Utf8String,
    VisibleString,
    decode,
    encode,
)
from openamr.codec.datetime import DST_BEGIN, DST_END, LAST_DAY
from tests.codec.peers import (
    dlms_cosem_decode,
    dlms_cosem_encode,
    gurux_decode,
    gurux_encode,
    plain,
)

CET = dt.timezone(dt.timedelta(hours=1))


def _ints() -> list[Data]:
    out: list[Data] = []
    for cls in (Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
                Long64Unsigned, Enum):  # fmt: skip
        out += [cls(cls.lo), cls(cls.hi), cls(0), cls((cls.lo + cls.hi) // 3)]
    return out


def _profile_row(i: int) -> Structure:
    when = dt.datetime(2026, 1, 1, tzinfo=CET) + dt.timedelta(minutes=15 * i)
    stamp = OctetString(CosemDateTime.from_datetime(when).to_bytes())
    return Structure(
        (stamp, DoubleLongUnsigned(1_000_000 + 37 * i), DoubleLongUnsigned(5 * i), Unsigned(0))
    )


LOAD_PROFILE = Array([_profile_row(i) for i in range(96)])

# Types both peers implement, both ways.
COMMON: list[Data] = [
    *_ints(),
    OctetString(b""),
    OctetString(bytes.fromhex("01 00 01 08 00 ff")),
    OctetString(bytes(127)),
    OctetString(bytes(128)),
    OctetString(bytes(range(256)) * 2),
    VisibleString(""),
    VisibleString("ISK5MT372-0001"),
    Array([]),
    Structure(()),
    Array([Unsigned(i) for i in range(200)]),
    Structure((Unsigned(1), Structure((Long(-5), OctetString(b"x"))), Array([Enum(3)]))),
    Array([Structure((VisibleString("a"), DoubleLong(-1)))] * 3),
    LOAD_PROFILE,
]

DATE_TIMES: list[CosemDateTime] = [
    CosemDateTime.from_datetime(dt.datetime(2026, 11, 24, 12, 0, tzinfo=CET)),
    CosemDateTime.from_datetime(dt.datetime(2026, 7, 1, 23, 59, 59, 990_000), 0x80),
    CosemDateTime.from_datetime(dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)),
    CosemDateTime(CosemDate(0xFFFF, 3, LAST_DAY, 7), CosemTime(2, 0, 0, 0), -60, 0),
    CosemDateTime(CosemDate(0xFFFF, 0xFF, 0xFF, 0xFF), CosemTime(0xFF, 0, 0, 0xFF)),
    CosemDateTime(CosemDate(2026, 5, 1, 0xFF), CosemTime(6, 30, 0xFF, 0xFF), 120, 0x02),
]

# Types only gurux implements (it has no compact-array, no dont-care).
GURUX_ONLY: list[Data] = [
    None,
    True,
    False,
    Float32(1.5),
    Float32(-0.0),
    Float32(3.4028234663852886e38),
    Float64(-2.0),
    Float64(1e-300),
    Bcd(0x12),
    Bcd(-1),
    Utf8String("žšč"),
    BitString.from_str("1011"),
    BitString.from_str(""),
    BitString.from_str("1" * 17),
    *DATE_TIMES,
    CosemDate(2026, 12, 24, 4),
    CosemDate(0xFFFF, 0xFF, 1, 0xFF),
    CosemTime(6, 30, 0, 0),
    CosemTime(23, 59, 59, 99),
    CosemTime(0xFF, 0, 0, 0xFF),
    Structure((None, True, Float64(0.5), BitString.from_str("10101010"))),
    Array([Structure((DATE_TIMES[0], Float32(2.5))), Structure((DATE_TIMES[2], Float32(0.25)))]),
]


def _ids(values: list[Data]) -> list[str]:
    return [f"{i}-{type(v).__name__}" for i, v in enumerate(values)]


# -- gurux-dlms ------------------------------------------------------------------------


@pytest.mark.parametrize("value", COMMON + GURUX_ONLY, ids=_ids(COMMON + GURUX_ONLY))
def test_gurux_encodes_we_decode_exactly(value: Data) -> None:
    theirs = gurux_encode(value)
    ours = decode(theirs)
    assert ours == value or plain(ours) == plain(value)  # -0.0 == 0.0: see the bytes
    assert encode(ours) == theirs
    assert encode(value) == theirs


@pytest.mark.parametrize("value", COMMON + GURUX_ONLY, ids=_ids(COMMON + GURUX_ONLY))
def test_we_encode_gurux_decodes(value: Data) -> None:
    expected = plain(value)
    if isinstance(value, Utf8String) and not value.isascii():
        # gurux-dlms shows a utf8-string that is not ASCII as the hex of its octets
        expected = value.encode().hex(" ").upper()
    if isinstance(value, Bcd):
        expected &= 0xFF  # gurux reads bcd as an unsigned octet, the Green Book as Integer8
    if isinstance(value, CosemDate):
        expected = expected[:4]  # gurux drops the weekday of a date
    assert gurux_decode(encode(value)) == expected


def test_gurux_date_time_dst_month_is_reversed_in_its_encoder() -> None:
    """gurux writes DST begin as 0xFD in a date-time (Blue Book: 0xFE); its decoder
    and its date encoder agree with the standard, and with us."""
    begin = CosemDateTime(CosemDate(0xFFFF, DST_BEGIN, 0xFF, 0xFF), CosemTime(2, 0, 0, 0), -60, 0)
    assert gurux_decode(encode(begin)) == plain(begin)
    assert gurux_encode(begin)[3] == DST_END  # their bug, kept visible here
    date = CosemDate(0xFFFF, DST_BEGIN, 0xFF, 0xFF)
    assert gurux_encode(date) == encode(date)


def test_gurux_reads_our_table_fast_path_output() -> None:
    data = encode(LOAD_PROFILE)
    fast = decode(data)
    assert isinstance(fast, Table)
    assert encode(fast) == data
    assert gurux_decode(encode(fast)) == plain(LOAD_PROFILE)


# -- dlms-cosem ------------------------------------------------------------------------


def _short_strings(value: Data) -> bool:
    if isinstance(value, (bytes, str)):
        return len(value) < 0x80
    return not isinstance(value, (list, tuple)) or all(_short_strings(v) for v in value)


COSEM_ENCODABLE = [v for v in COMMON if _short_strings(v)]


@pytest.mark.parametrize("value", COSEM_ENCODABLE, ids=_ids(COSEM_ENCODABLE))
def test_dlms_cosem_encodes_we_decode_exactly(value: Data) -> None:
    theirs = dlms_cosem_encode(value)
    ours = decode(theirs)
    assert ours == value
    assert encode(ours) == theirs


@pytest.mark.parametrize("value", COMMON, ids=_ids(COMMON))
def test_we_encode_dlms_cosem_decodes(value: Data) -> None:
    assert dlms_cosem_decode(encode(value)) == plain(value)


@pytest.mark.parametrize("value", [None, True, False], ids=str)
def test_dlms_cosem_decodes_null_and_boolean(value: Data) -> None:
    assert dlms_cosem_decode(encode(value)) == value


@pytest.mark.parametrize(
    "value", [v for v in DATE_TIMES if v.date.year != 0xFFFF and v.deviation != 0], ids=str
)
def test_dlms_cosem_reads_our_date_time(value: CosemDateTime) -> None:
    when, status = dlms_cosem_decode(encode(value))
    # both sides read wildcard seconds and hundredths as 0; dlms-cosem has no
    # representation for a wildcard year or a deviation of 0 (it returns naive)
    assert when.replace(tzinfo=None) == value.to_datetime().replace(tzinfo=None)
    assert when.utcoffset() == value.to_datetime().utcoffset()
    assert bool(status.daylight_saving_active) == bool(value.clock_status & 0x80)
    assert bool(status.doubtful) == bool(value.clock_status & 0x02)


def test_dlms_cosem_long_octet_string_length_is_refused() -> None:
    """dlms-cosem writes the length of a string of 128+ octets as one octet (0x80),
    which A-XDR reads as a length field of 0 octets: we refuse it, we do not guess."""
    theirs = dlms_cosem_encode(OctetString(bytes(128)))
    assert theirs[:2] == bytes.fromhex("09 80")
    with pytest.raises(DecodeError, match="length field"):
        decode(theirs)


# -- generated values ------------------------------------------------------------------

_GX_INTS = [
    st.integers(c.lo, c.hi).map(c)
    for c in (Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
              Long64Unsigned, Enum)
]  # fmt: skip


def _or_wild(wild: int, lo: int, hi: int) -> st.SearchStrategy[int]:
    return st.just(wild) | st.integers(lo, hi)


# date-times gurux can hold: real calendar fields or wildcards (gurux reads years
# before 1900 as a wildcard and has no day 29..31 check), no DST-month wildcards
# (its date-time encoder reverses them, see above)
_GX_DATE_TIMES = st.builds(
    lambda y, mo, d, wd, h, mi, sec, hs, dev, status: CosemDateTime(
        CosemDate(y, mo, d, wd), CosemTime(h, mi, sec, hs), dev, status
    ),
    _or_wild(0xFFFF, 1900, 2100),
    _or_wild(0xFF, 1, 12),
    st.sampled_from([0xFF, 0xFE, 0xFD]) | st.integers(1, 28),
    _or_wild(0xFF, 1, 7),
    _or_wild(0xFF, 0, 23),
    _or_wild(0xFF, 0, 59),
    _or_wild(0xFF, 0, 59),
    _or_wild(0xFF, 0, 99),
    _or_wild(-0x8000, -720, 720),
    st.integers(0, 255),
)
_GX_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    *_GX_INTS,
    st.floats(width=32, allow_nan=False).map(Float32),
    st.floats(allow_nan=False).map(Float64),
    st.binary(max_size=140).map(OctetString),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20).map(VisibleString),
    _GX_DATE_TIMES,
)


@st.composite
def _gx_tables(draw: st.DrawFn) -> Array:
    """Same-shaped flat rows (our Table fast path) of types gurux can nest."""
    columns = draw(
        st.lists(st.sampled_from([*_GX_INTS, st.binary(min_size=12, max_size=12)]), min_size=1,
                 max_size=5)
    )  # fmt: skip
    rows = st.tuples(*columns).map(
        lambda r: Structure(OctetString(v) if isinstance(v, bytes) else v for v in r)
    )
    return Array(draw(st.lists(rows, min_size=2, max_size=8)))


_GX_TREES = st.recursive(
    _GX_LEAVES | _gx_tables(),
    lambda inner: (
        st.lists(inner, max_size=4).map(Array)
        | st.lists(inner, max_size=4).map(lambda xs: Structure(xs))
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(_GX_TREES)
def test_gurux_agrees_on_generated_trees(value: Data) -> None:
    data = encode(value)
    assert gurux_decode(data) == plain(value)
    assert gurux_encode(decode(data)) == data
