"""BER pieces for ACSE: lengths, INTEGER, BIT STRING, OBJECT IDENTIFIER, bounds."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import ber
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import BitString
from openamr.errors import DecodeError, EncodeError


def _length_bytes(n: int) -> bytes:
    w = Writer()
    ber.write_length(w, n)
    return w.getvalue()


@pytest.mark.parametrize(
    ("n", "wire"),
    [
        pytest.param(0, "00", id="zero"),
        pytest.param(0x7F, "7f", id="short-max"),
        pytest.param(0x80, "81 80", id="long-1"),
        pytest.param(0xFF, "81 ff", id="long-1-max"),
        pytest.param(0x100, "82 01 00", id="long-2"),
        pytest.param(0x12345, "83 01 23 45", id="long-3"),
    ],
)
def test_length_both_ways(n: int, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert _length_bytes(n) == data
    r = Reader(data + bytes(n))
    assert ber.read_length(r) == n
    assert r.pos == len(data)


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param("05 00 00", id="beyond-data"),
        pytest.param("80", id="indefinite"),
        pytest.param("85 00 00 00 00 01 00", id="five-octets"),
        pytest.param("82 01", id="truncated"),
        pytest.param("", id="empty"),
    ],
)
def test_bad_length(wire: str) -> None:
    with pytest.raises(DecodeError):
        ber.read_length(Reader(bytes.fromhex(wire)))


def test_length_too_large_to_encode() -> None:
    with pytest.raises(EncodeError):
        _length_bytes(1 << 32)
    with pytest.raises(EncodeError):
        _length_bytes(-1)


def test_window_keeps_offsets_and_bounds() -> None:
    r = Reader(bytes.fromhex("a1 02 06 00 ff"))
    inner = ber.read_element(r, 0xA1)
    assert (inner.pos, inner.end, r.pos) == (2, 4, 4)
    assert ber.read_element(inner, 0x06).remaining == 0
    with pytest.raises(DecodeError) as e:
        inner.u8()
    assert e.value.offset == 4


def test_wrong_tag_reports_its_offset() -> None:
    r = Reader(bytes.fromhex("00 a2 00"))
    r.u8()
    with pytest.raises(DecodeError) as e:
        ber.read_element(r, 0xA1)
    assert e.value.offset == 1


def test_tag_constructors() -> None:
    assert ber.context(1, constructed=True) == 0xA1
    assert ber.context(10) == 0x8A
    assert ber.context(30, True) == 0xBE
    assert ber.application(0) == 0x60


@pytest.mark.parametrize(
    ("value", "wire"),
    [(0, "00"), (1, "01"), (127, "7f"), (128, "00 80"), (256, "01 00"), (-1, "ff"), (-128, "80"),
     (-129, "ff 7f")],
)  # fmt: skip
def test_integer_both_ways(value: int, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert ber.encode_integer(value) == data
    assert ber.decode_integer(Reader(data)) == value


def test_empty_integer() -> None:
    with pytest.raises(DecodeError):
        ber.decode_integer(Reader(b""))


def test_bit_string_acse_requirements() -> None:
    bits = ber.decode_bit_string(Reader(bytes.fromhex("07 80")))
    assert bits == BitString.from_str("1")
    assert ber.encode_bit_string(bits) == bytes.fromhex("07 80")
    assert ber.named_bits_to_int(bits) == 1
    assert ber.int_to_named_bits(1) == bits
    assert ber.encode_bit_string(ber.int_to_named_bits(0)) == bytes.fromhex("00")
    assert ber.encode_bit_string(ber.int_to_named_bits(0b101)) == bytes.fromhex("05 a0")


@pytest.mark.parametrize("wire", ["08 00", "01", "", "03"])
def test_bad_bit_string(wire: str) -> None:
    with pytest.raises(DecodeError):
        ber.decode_bit_string(Reader(bytes.fromhex(wire)))


@pytest.mark.parametrize(
    ("dotted", "wire"),
    [
        pytest.param("2.16.756.5.8.1.1", "60 85 74 05 08 01 01", id="dlms-ln"),
        pytest.param("2.16.756.5.8.1.3", "60 85 74 05 08 01 03", id="dlms-ln-ciphered"),
        pytest.param("2.16.756.5.8.2.5", "60 85 74 05 08 02 05", id="hls-gmac"),
        pytest.param("1.2.840.113549", "2a 86 48 86 f7 0d", id="rsadsi"),
        pytest.param("2.999.3", "88 37 03", id="x690-example"),
        pytest.param("0.0", "00", id="zero"),
    ],
)
def test_oid_both_ways(dotted: str, wire: str) -> None:
    oid = ber.ObjectIdentifier.parse(dotted)
    data = bytes.fromhex(wire)
    assert ber.encode_oid(oid) == data
    assert ber.decode_oid(Reader(data)) == oid
    assert str(oid) == dotted


@pytest.mark.parametrize(
    "wire",
    [
        pytest.param("", id="empty"),
        pytest.param("60 85", id="unterminated-arc"),
        pytest.param("60 80 01", id="leading-80"),
    ],
)
def test_bad_oid(wire: str) -> None:
    with pytest.raises(DecodeError):
        ber.decode_oid(Reader(bytes.fromhex(wire)))


@pytest.mark.parametrize("arcs", [(3, 1), (1, 40), (1,), (1, -1)])
def test_invalid_oid_refused(arcs: tuple[int, ...]) -> None:
    with pytest.raises(EncodeError):
        ber.ObjectIdentifier(arcs)


@st.composite
def oids(draw: st.DrawFn) -> ber.ObjectIdentifier:
    first = draw(st.integers(0, 2))
    second = draw(st.integers(0, 39 if first < 2 else 10**6))
    rest = draw(st.lists(st.integers(0, 2**40), max_size=8))
    return ber.ObjectIdentifier((first, second, *rest))


@settings(max_examples=200)
@given(oids())
def test_oid_round_trip(oid: ber.ObjectIdentifier) -> None:
    assert ber.decode_oid(Reader(ber.encode_oid(oid))) == oid


@settings(max_examples=200)
@given(st.integers(-(2**70), 2**70))
def test_integer_round_trip(value: int) -> None:
    data = ber.encode_integer(value)
    assert ber.decode_integer(Reader(data)) == value
    # shortest form: the first 9 bits are never all equal
    if len(data) > 1:
        assert not (data[0] == 0 and data[1] < 0x80) and not (data[0] == 0xFF and data[1] >= 0x80)


@settings(max_examples=300)
@given(st.binary(max_size=40))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decode in (ber.decode_oid, ber.decode_bit_string, ber.decode_integer):
        with contextlib.suppress(DecodeError):
            decode(Reader(data))
    r = Reader(data)
    with contextlib.suppress(DecodeError):
        while not r.at_end():
            ber.read_tag(r)
            inner = ber.window(r, ber.read_length(r))
            assert inner.end <= r.end
