"""Properties of the A-XDR codec over generated Data trees and hostile bytes.

* ``decode(encode(v)) == v`` and ``encode(decode(encode(v))) == encode(v)``;
* same-shaped flat rows decode as a Table, near misses as a plain Array, and both
  encode to the bytes of the equivalent generic Array;
* random bytes and mutated valid encodings make ``decode`` raise only DecodeError;
  whatever does decode re-encodes, and that encoding is a fixed point.

Inputs that once broke these properties are kept in tests/vectors/codec/crash-*.hex.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from openamr.codec import Array, Data, DecodeError, Table, Tag, decode, encode
from openamr.codec.axdr import _READERS
from tests.codec.strategies import data_values, near_miss_tables, tables
from tests.vector_files import Vectors

CODEC = Vectors("codec")


MODEST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MODEST
@given(data_values())
def test_round_trip(value: Data) -> None:
    data = encode(value)
    back = decode(data)
    assert back == value
    assert encode(back) == data


@MODEST
@given(data_values(allow_nan=True))
def test_encoding_is_a_fixed_point_even_with_nan(value: Data) -> None:
    data = encode(value)
    assert encode(decode(data)) == data


@MODEST
@given(tables())
def test_same_shaped_rows_take_the_fast_path(value: Array) -> None:
    data = encode(value)
    back = decode(data)
    assert isinstance(back, Table)
    assert back == value and list(back) == list(value)
    assert encode(back) == data
    assert encode(Table(back.layout, back.rows)) == data


@MODEST
@given(near_miss_tables())
def test_near_misses_fall_back_to_the_generic_path(value: Array) -> None:
    data = encode(value)
    back = decode(data)
    assert type(back) is Array
    assert back == value
    assert encode(back) == data


def _decodes_or_refuses(data: bytes) -> None:
    try:
        value = decode(data)
    except DecodeError as e:
        assert 0 <= e.offset <= len(data)
        return
    again = encode(value)
    assert encode(decode(again)) == again


_TAGS = sorted(set(_READERS) | {t.value for t in Tag})


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
@example(bytes.fromhex("13 00 01 00"))  # see crash-compact-array-null-data.hex
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    _decodes_or_refuses(data)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(_TAGS), st.binary(max_size=64))
def test_random_content_after_a_known_tag(tag: int, rest: bytes) -> None:
    _decodes_or_refuses(bytes((tag,)) + rest)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A valid encoding with a few bytes flipped, inserted, deleted or cut off."""
    data = bytearray(encode(draw(data_values())))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        if how == "flip" and data:
            data[i] = draw(st.integers(0, 255))
        elif how == "insert":
            data.insert(i, draw(st.integers(0, 255)))
        elif how == "delete" and data:
            del data[i]
        else:
            del data[i:]
    return bytes(data)


@MODEST
@given(mutated())
def test_mutated_encodings_raise_only_decode_error(data: bytes) -> None:
    _decodes_or_refuses(data)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", CODEC.params("crash-*.hex"))
def test_former_crashers_are_refused(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(data)
