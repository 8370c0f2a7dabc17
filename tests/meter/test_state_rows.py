"""The state store's row codec: every row shape round-trips with its types, the
BLOB layout is the one drawn in the module docstring, and corrupt BLOBs raise
only DecodeError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import DecodeError
from openamr.meter.state import decode_row, decode_rows, encode_row

CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False),
    st.binary(max_size=300),
)
ROWS = st.lists(CELLS, max_size=20).map(tuple)


def typed(row: tuple[object, ...]) -> list[tuple[type, object]]:
    """Equality that tells True from 1 and 1.0 from 1."""
    return [(type(v), v) for v in row]


@settings(max_examples=400)
@given(ROWS)
def test_every_row_shape_round_trips_with_its_types(row: tuple[object, ...]) -> None:
    assert typed(decode_row(encode_row(row))) == typed(row)


SHAPE_LIKE = st.text(alphabet="NBHIQbhiqd?sZ0123456789x", max_size=12).map(str.encode)
BLOBS = st.one_of(
    st.binary(max_size=64),
    st.builds(lambda shape, body: shape + b":" + body, SHAPE_LIKE, st.binary(max_size=64)),
)


@settings(max_examples=400)
@given(BLOBS)
def test_random_bytes_raise_only_decode_error(blob: bytes) -> None:
    try:
        decoded = decode_row(blob)
    except DecodeError:
        return
    assert all(v is None or isinstance(v, (int, float, bytes)) for v in decoded)


@settings(max_examples=300)
@given(ROWS, st.data())
def test_a_damaged_row_is_refused_or_decodes_to_a_row(
    row: tuple[object, ...], data: st.DataObject
) -> None:
    blob = bytearray(encode_row(row))
    i = data.draw(st.integers(0, len(blob) - 1))
    blob[i] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_row(bytes(blob))
    except DecodeError:
        return
    assert isinstance(decoded, tuple)


def test_a_load_profile_row_is_compact_and_laid_out_as_drawn() -> None:
    clock = bytes.fromhex("07 ea 01 01 04 00 0f 00 00 80 00 00")
    blob = encode_row((clock, 8, 1_234_567, 70_000))
    assert blob == b"12sBII:" + clock + bytes.fromhex("08 87 d6 12 00 70 11 01 00")
    assert len(blob) == 7 + 21


@pytest.mark.parametrize(
    ("value", "shape"),
    [
        pytest.param(0, b"B", id="u8"),
        pytest.param(255, b"B", id="u8-max"),
        pytest.param(256, b"H", id="u16"),
        pytest.param(2**32 - 1, b"I", id="u32-max"),
        pytest.param(2**64 - 1, b"Q", id="u64-max"),
        pytest.param(2**64, b"9Z", id="big"),
        pytest.param(-128, b"b", id="i8-min"),
        pytest.param(-129, b"h", id="i16"),
        pytest.param(-(2**63), b"q", id="i64-min"),
        pytest.param(-(2**63) - 1, b"9Z", id="big-negative"),
        pytest.param(None, b"N", id="null"),
        pytest.param(True, b"?", id="bool"),
        pytest.param(0.5, b"d", id="float"),
        pytest.param(b"", b"0s", id="empty-octets"),
    ],
)
def test_each_cell_takes_the_smallest_code(value: object, shape: bytes) -> None:
    blob = encode_row((value,))
    assert blob.split(b":")[0] == shape
    assert typed(decode_row(blob)) == typed((value,))


@pytest.mark.parametrize("cell", ["text", 1j, [1], object()], ids=repr)
def test_other_cell_types_are_refused(cell: object) -> None:
    with pytest.raises(TypeError):
        encode_row((1, cell))


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"BB", id="no-separator"),
        pytest.param(b"BX:\x01\x02", id="unknown-code"),
        pytest.param(b"B:", id="short-body"),
        pytest.param(b"B:\x01\x02", id="long-body"),
        pytest.param(b"3B:\x01\x02\x03", id="count-on-a-number"),
        pytest.param(b"99999999999999999999s:", id="absurd-length"),
    ],
)
def test_corrupt_blobs_raise_decode_error(blob: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_row(blob)


def test_nulls_and_big_ints_mixed_keep_their_places() -> None:
    row = (None, 2**80, None, None, -(2**70), b"ab", None)
    assert decode_rows([encode_row(row)] * 3) == [row] * 3
