"""A-XDR Data: each type both ways, bounds on hostile input."""

from __future__ import annotations

import pytest

from openamr.codec import (
    DONT_CARE,
    Array,
    BitString,
    CosemDateTime,
    DecodeError,
    DoubleLong,
    DoubleLongUnsigned,
    EncodeError,
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
from openamr.codec.axdr import MAX_DEPTH
from openamr.codec.types import Bcd, CompactArray, Tag, TypeDescription

CASES = [
    pytest.param(None, "00", id="null-data"),
    pytest.param(True, "03 01", id="boolean-true"),
    pytest.param(False, "03 00", id="boolean-false"),
    pytest.param(BitString.from_str("1011"), "04 04 b0", id="bit-string"),
    pytest.param(BitString.from_str(""), "04 00", id="bit-string-empty"),
    pytest.param(DoubleLong(-2), "05 ff ff ff fe", id="double-long"),
    pytest.param(DoubleLongUnsigned(0x12345678), "06 12 34 56 78", id="double-long-unsigned"),
    pytest.param(OctetString(b"\x01\x02"), "09 02 01 02", id="octet-string"),
    pytest.param(VisibleString("MT372"), "0a 05 4d 54 33 37 32", id="visible-string"),
    pytest.param(Utf8String("ž"), "0c 02 c5 be", id="utf8-string"),
    pytest.param(Bcd(0x12), "0d 12", id="bcd"),
    pytest.param(Integer(-1), "0f ff", id="integer"),
    pytest.param(Long(-300), "10 fe d4", id="long"),
    pytest.param(Unsigned(255), "11 ff", id="unsigned"),
    pytest.param(LongUnsigned(4059), "12 0f db", id="long-unsigned"),
    pytest.param(Long64(-1), "14" + " ff" * 8, id="long64"),
    pytest.param(Long64Unsigned(2**64 - 1), "15" + " ff" * 8, id="long64-unsigned"),
    pytest.param(Enum(30), "16 1e", id="enum"),
    pytest.param(Float32(1.5), "17 3f c0 00 00", id="float32"),
    pytest.param(Float64(-2.0), "18 c0 00 00 00 00 00 00 00", id="float64"),
    pytest.param(
        CosemDateTime.from_bytes(bytes.fromhex("07ea0b1802 0c000000 ffc4 00")),
        "19 07 ea 0b 18 02 0c 00 00 00 ff c4 00",
        id="date-time",
    ),
    pytest.param(DONT_CARE, "ff", id="dont-care"),
    pytest.param(Array([Unsigned(1), Unsigned(2)]), "01 02 11 01 11 02", id="array"),
    pytest.param(Structure((Unsigned(1), None)), "02 02 11 01 00", id="structure"),
    pytest.param(
        CompactArray(TypeDescription(Tag.LONG_UNSIGNED), (LongUnsigned(1), LongUnsigned(2))),
        "13 12 04 00 01 00 02",
        id="compact-array-scalar",
    ),
    pytest.param(
        CompactArray(
            TypeDescription(
                Tag.STRUCTURE, (TypeDescription(Tag.UNSIGNED), TypeDescription(Tag.OCTET_STRING))
            ),
            (Structure((Unsigned(1), OctetString(b"a"))),),
        ),
        "13 02 02 11 09 03 01 01 61",
        id="compact-array-structure",
    ),
    pytest.param(OctetString(bytes(200)), "09 81 c8" + " 00" * 200, id="long-length"),
]


@pytest.mark.parametrize(("value", "hexdata"), CASES)
def test_both_ways(value: object, hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    assert encode(value) == data  # type: ignore[arg-type]
    back = decode(data)
    assert back == value
    assert type(back) is type(value)
    assert encode(back) == data


def test_table_of_profile_rows_is_exact() -> None:
    row = bytes.fromhex("02 04 09 0c 07ea0b1802000000ff800000 06 00000001 06 00000002 11 05")
    data = bytes.fromhex("01 81 c8") + row * 200
    value = decode(data)
    assert isinstance(value, Table)
    assert value.rows[0] == (bytes.fromhex("07ea0b1802000000ff800000"), 1, 2, 5)
    assert value[0] == Structure(
        (OctetString(bytes.fromhex("07ea0b1802000000ff800000")), DoubleLongUnsigned(1),
         DoubleLongUnsigned(2), Unsigned(5))
    )  # fmt: skip
    assert encode(value) == data
    assert value == Array(list(value))
    assert encode(Array(list(value))) == data


def test_mixed_rows_fall_back_to_generic() -> None:
    a = bytes.fromhex("02 02 09 01 aa 11 01")
    b = bytes.fromhex("02 02 09 02 aa bb 11 02")  # a different octet-string length
    value = decode(bytes.fromhex("01 02") + a + b)
    assert isinstance(value, Array)
    assert encode(value) == bytes.fromhex("01 02") + a + b


@pytest.mark.parametrize(
    ("hexdata", "offset"),
    [
        pytest.param("", 0, id="empty"),
        pytest.param("11", 1, id="truncated-unsigned"),
        pytest.param("09 05 01", 2, id="short-octet-string"),
        pytest.param("01 85 ff ff ff ff ff", 1, id="huge-length-field"),
        pytest.param("01 83 ff ff ff 11 00", 1, id="count-exceeds-bytes"),
        pytest.param("07", 0, id="unknown-tag"),
        pytest.param("11 01 00", 2, id="trailing"),
        pytest.param("0a 01 ff", 1, id="visible-string-not-ascii"),
    ],
)
def test_bad_input_raises_decode_error_with_offset(hexdata: str, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode(bytes.fromhex(hexdata))
    assert info.value.offset == offset


def test_nesting_is_bounded() -> None:
    deep = bytes.fromhex("02 01") * (MAX_DEPTH + 5) + bytes.fromhex("00")
    with pytest.raises(DecodeError, match="nesting"):
        decode(deep)
    ok = bytes.fromhex("02 01") * (MAX_DEPTH - 1) + bytes.fromhex("00")
    assert encode(decode(ok)) == ok


@pytest.mark.parametrize(
    "make",
    [
        lambda: Unsigned(256),
        lambda: Integer(-129),
        lambda: LongUnsigned(-1),
        lambda: Long64Unsigned(2**64),
    ],
)
def test_out_of_range_is_refused(make: object) -> None:
    with pytest.raises(EncodeError):
        make()  # type: ignore[operator]


def test_plain_int_needs_a_type() -> None:
    with pytest.raises(EncodeError, match="wrap it"):
        encode(5)


@pytest.mark.parametrize(
    "desc",
    [
        pytest.param(TypeDescription(Tag.NULL_DATA), id="null-data"),
        pytest.param(TypeDescription(Tag.STRUCTURE), id="empty-structure"),
        pytest.param(
            TypeDescription(Tag.ARRAY, (TypeDescription(Tag.UNSIGNED),), 0), id="zero-count"
        ),
        pytest.param(
            TypeDescription(
                Tag.STRUCTURE, (TypeDescription(Tag.DONT_CARE), TypeDescription(Tag.UNSIGNED))
            ),
            id="dont-care-field",
        ),
    ],
)
def test_compact_array_nodes_without_content_are_refused(desc: TypeDescription) -> None:
    # such elements would let a few bytes decode into unbounded values
    with pytest.raises(EncodeError, match="no content octets"):
        encode(CompactArray(desc, ()))


def test_empty_table_encodes_as_empty_array() -> None:
    from openamr.codec.table import Field, RowLayout

    assert encode(Table(RowLayout((Field(Tag.UNSIGNED),)), [])) == bytes.fromhex("01 00")
