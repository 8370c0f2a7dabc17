"""HDLC check sequences, addresses, frames and the frame splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import DecodeError, EncodeError
from openamr.link.hdlc.address import MT372_SERVER, Address, mt372_server
from openamr.link.hdlc.fcs import check_sequence, crc16
from openamr.link.hdlc.frame import (
    Control,
    Frame,
    FrameSplitter,
    InvalidFrame,
    Kind,
)
from tests.vector_files import Vector, Vectors

LINK = Vectors("link")


def _crc_bitwise(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == 0x906E  # CRC-16/X.25 catalogue check value
    assert check_sequence(bytes.fromhex("03 3f")) == bytes.fromhex("5b ec")  # dlms-cosem test


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_crc_matches_bitwise_definition(data: bytes) -> None:
    assert crc16(data) == _crc_bitwise(data)


def _address(text: str) -> Address:
    upper, _, lower = text.partition("/")
    return Address.server(int(upper), int(lower) if lower else None)


@pytest.mark.parametrize("vector", LINK.section_params("hdlc_frames.hex"))
def test_vector_both_ways(vector: Vector) -> None:
    frame = Frame.decode(vector.data)
    assert frame.kind is Kind[vector.meta["kind"]]
    assert frame.destination.same_station(_address(vector.meta["dest"]))
    assert frame.source.same_station(_address(vector.meta["src"]))
    assert frame.control.pf == bool(vector.int("pf"))
    assert len(frame.information) == vector.int("info")
    if frame.kind is Kind.I:
        assert (frame.control.ns, frame.control.nr) == (vector.int("ns"), vector.int("nr"))
        assert frame.segmented == bool(vector.int("seg"))
    assert frame.encode() == vector.data


def test_all_vectors_in_one_stream() -> None:
    vectors = LINK.sections("hdlc_frames.hex")
    stream = b"\x7e\x7e".join(v.data for v in vectors)  # idle flags between frames
    items = FrameSplitter().feed(stream)
    assert [i.encode() for i in items if isinstance(i, Frame)] == [v.data for v in vectors]
    shared = b"".join(v.data[:-1] for v in vectors) + b"\x7e"  # closing flag opens the next
    assert len(FrameSplitter().feed(shared)) == len(vectors)


@pytest.mark.parametrize(
    ("address", "wire"),
    [
        pytest.param(Address.client(16), "21", id="public-client"),
        pytest.param(Address.client(1), "03", id="management-client"),
        pytest.param(Address.server(1), "03", id="server-1-byte"),
        pytest.param(MT372_SERVER, "02 23", id="mt372"),
        pytest.param(mt372_server(physical=0x7F), "02 ff", id="mt372-all-stations"),
        pytest.param(Address.server(1, 0x1234, size=4), "00 02 48 69", id="server-4-bytes"),
        pytest.param(Address.server(0x3FFF, 0x3FFF, size=4), "fe fe fe ff", id="4-byte-max"),
    ],
)
def test_addresses_both_ways(address: Address, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert address.encode() == data
    assert Address.decode(data, 0) == (address, len(data))


def test_address_refusals() -> None:
    with pytest.raises(DecodeError):
        Address.decode(bytes.fromhex("02 04 07"), 0)  # 3 bytes
    with pytest.raises(DecodeError):
        Address.decode(bytes.fromhex("02 04"), 0)  # no end bit
    with pytest.raises(EncodeError):
        Address.server(1, 0x80)
    with pytest.raises(EncodeError):
        Address(1, 2, 1)
    assert MT372_SERVER.in_form(4).encode() == bytes.fromhex("00 02 00 23")
    assert Address.server(0x7F).is_broadcast and not MT372_SERVER.is_broadcast


@pytest.mark.parametrize(
    ("control", "byte"),
    [
        pytest.param(Control(Kind.SNRM, True), 0x93, id="snrm"),
        pytest.param(Control(Kind.DISC, True), 0x53, id="disc"),
        pytest.param(Control(Kind.UA, True), 0x73, id="ua"),
        pytest.param(Control(Kind.DM, True), 0x1F, id="dm"),
        pytest.param(Control(Kind.FRMR, True), 0x97, id="frmr"),
        pytest.param(Control(Kind.UI, False), 0x03, id="ui"),
        pytest.param(Control(Kind.RR, True, nr=3), 0x71, id="rr"),
        pytest.param(Control(Kind.RNR, False, nr=7), 0xE5, id="rnr"),
        pytest.param(Control(Kind.I, True, ns=2, nr=5), 0xB4, id="i"),
    ],
)
def test_control_both_ways(control: Control, byte: int) -> None:
    assert control.encode() == byte
    decoded = Control.decode(byte)
    assert (decoded.kind, decoded.pf, decoded.ns, decoded.nr) == (
        control.kind,
        control.pf,
        control.ns,
        control.nr,
    )


@pytest.mark.parametrize("byte", [0x09, 0x0D, 0x2F, 0x8F, 0xE3])  # REJ, SREJ, SABM, SABME?, XID
def test_unknown_controls(byte: int) -> None:
    control = Control.decode(byte)
    assert control.kind is Kind.UNKNOWN
    assert control.encode() == byte


SNRM = LINK.sections("hdlc_frames.hex")[2].data
I_AARQ = LINK.sections("hdlc_frames.hex")[4].data


def _corrupt(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(_corrupt(I_AARQ, 30), "FCS error", id="fcs"),
        pytest.param(_corrupt(I_AARQ, len(I_AARQ) - 2), "FCS error", id="fcs-byte"),
        pytest.param(
            Frame(MT372_SERVER, Address.client(16), Control(Kind.I), b"x").encode()[:8]
            + b"\x00\x00"
            + Frame(MT372_SERVER, Address.client(16), Control(Kind.I), b"x").encode()[10:],
            "FCS error",
            id="hcs-zeroed-breaks-fcs-first",
        ),
        pytest.param(_corrupt(SNRM, 2)[:-1] + b"\x00\x00\x7e", "no closing flag", id="length"),
        pytest.param(bytes.fromhex("7e b0 07 03 41 93 5a 64 7e"), "bad frame format", id="type"),
        pytest.param(bytes.fromhex("7e a0 03 03 41 7e"), "bad frame format", id="too-short"),
        pytest.param(bytes.fromhex("01 02 03"), "outside any frame", id="garbage"),
    ],
)
def test_invalid_frames_are_classified(data: bytes, reason: str) -> None:
    items = FrameSplitter().feed(data)
    assert items and all(isinstance(i, InvalidFrame) for i in items)
    assert reason in items[0].reason  # type: ignore[union-attr]


def test_hcs_error_with_good_fcs() -> None:
    frame = Frame(MT372_SERVER, Address.client(16), Control(Kind.I, True), b"abc")
    raw = bytearray(frame.encode())
    raw[7] ^= 0xFF  # HCS (after 7e a0 xx 02 23 21 10)
    raw[-3:-1] = check_sequence(raw[1:-3])
    (item,) = FrameSplitter().feed(bytes(raw))
    assert isinstance(item, InvalidFrame) and item.reason == "HCS error"


def test_partial_frame_waits_and_times_out() -> None:
    splitter = FrameSplitter()
    assert splitter.feed(I_AARQ[:20]) == []
    assert splitter.pending == 20
    invalid = splitter.discard_partial()
    assert isinstance(invalid, InvalidFrame) and "timeout" in invalid.reason
    assert splitter.pending == 0 and splitter.discard_partial() is None
    assert splitter.feed(SNRM) == [Frame.decode(SNRM)]


def test_resynchronises_after_garbage_and_a_bad_length() -> None:
    stream = bytes.fromhex("55 7e a7 ff 12") + SNRM + bytes.fromhex("7e a0 01") + I_AARQ
    frames = [i for i in FrameSplitter(max_length=300).feed(stream) if isinstance(i, Frame)]
    assert [f.kind for f in frames] == [Kind.SNRM, Kind.I]


def test_max_length_bounds_the_wait() -> None:
    splitter = FrameSplitter(max_length=64)
    (item,) = splitter.feed(bytes.fromhex("7e a0 ff 00 00"))
    assert isinstance(item, InvalidFrame)
    assert splitter.pending == 0


def test_frame_too_long_to_encode() -> None:
    with pytest.raises(EncodeError):
        Frame(MT372_SERVER, Address.client(16), Control(Kind.I), bytes(2040)).encode()


frames = st.builds(
    Frame,
    destination=st.sampled_from([MT372_SERVER, Address.client(16), Address.server(3, 999, 4)]),
    source=st.sampled_from([Address.client(1), MT372_SERVER]),
    control=st.sampled_from([Control(Kind.I, True, 3, 5), Control(Kind.RR, False, nr=2)]),
    information=st.binary(max_size=200),
    segmented=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, max_size=5), st.integers(min_value=1, max_value=50))
def test_round_trip_any_chunking(items: list[Frame], chunk: int) -> None:
    stream = b"".join(f.encode() for f in items)
    splitter = FrameSplitter()
    got: list[Frame | InvalidFrame] = []
    for i in range(0, len(stream), chunk):
        got += splitter.feed(stream[i : i + chunk])
    assert got == items


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    items = FrameSplitter().feed(data)
    assert all(isinstance(i, Frame | InvalidFrame) for i in items)
    with pytest.raises(DecodeError):
        Frame.decode(data + b"\x00")  # never a frame: does not end with a flag


def test_dlms_cosem_parses_ours() -> None:
    from dlms_cosem.hdlc import frames as dc

    info = bytes.fromhex("e6 e7 00 c4 01 c1 00 09 06 4d 54 33 37 32 00")
    ours = Frame(Address.client(16), MT372_SERVER, Control(Kind.I, True, 2, 5), info)
    theirs = dc.InformationFrame.from_bytes(ours.encode())
    assert theirs.payload == info
    assert (theirs.send_sequence_number, theirs.receive_sequence_number) == (2, 5)
    assert theirs.to_bytes() == ours.encode()
    rr = Frame(Address.client(16), MT372_SERVER, Control(Kind.RR, True, nr=6))
    assert dc.ReceiveReadyFrame.from_bytes(rr.encode()).receive_sequence_number == 6
