"""IEC 62056-47 wrapper: vectors, any cut of the stream, refusals, oracles."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import EncodeError, LocalProtocolError
from openamr.link.wrapper import (
    ApduReceived,
    ApduTooLong,
    WrapperConnection,
    WrapperFailed,
    encode_wrapper,
)
from tests.vector_files import Vector, Vectors

LINK = Vectors("link")


@pytest.mark.parametrize("vector", LINK.section_params("wrapper.hex"))
def test_vector_both_ways(vector: Vector) -> None:
    src, dst = vector.int("source"), vector.int("destination")
    payload = vector.data[8:]
    assert len(payload) == vector.int("length")
    assert encode_wrapper(src, dst, payload) == vector.data
    assert WrapperConnection().receive_data(vector.data) == [ApduReceived(src, dst, payload)]


def test_partial_reads_are_buffered() -> None:
    pdu = encode_wrapper(16, 1, bytes.fromhex("c0 01 c1 00 01 00 00 2a 00 00 ff 02 00"))
    conn = WrapperConnection()
    for i in range(len(pdu) - 1):
        assert conn.receive_data(pdu[i : i + 1]) == []
    assert conn.buffered == len(pdu) - 1
    assert conn.receive_data(pdu[-1:]) == [ApduReceived(16, 1, pdu[8:])]
    assert conn.buffered == 0


def test_coalesced_reads_are_split() -> None:
    pdus = [encode_wrapper(1, 16, bytes([n]) * n) for n in range(5)]
    events = WrapperConnection().receive_data(b"".join(pdus))
    assert events == [ApduReceived(1, 16, bytes([n]) * n) for n in range(5)]


def test_bad_version_fails_once_then_ignores_input() -> None:
    conn = WrapperConnection()
    good = encode_wrapper(16, 1, b"\x01\x02")
    events = conn.receive_data(good + bytes.fromhex("00 02 00 10 00 01 00 00") + good)
    assert events[0] == ApduReceived(16, 1, b"\x01\x02")
    assert isinstance(events[1], WrapperFailed)
    assert events[1].offset == len(good)
    assert "version" in events[1].reason
    assert len(events) == 2
    assert conn.failed
    assert conn.receive_data(good) == []


def test_oversize_is_reported_at_its_header_and_its_body_skipped() -> None:
    """Issue 11 item 12: an APDU over the size is an event to answer; the stream stays
    in step and the body is never buffered, in whatever cuts it comes."""
    conn = WrapperConnection(max_apdu_size=100)
    (event,) = conn.receive_data(bytes.fromhex("00 01 00 10 00 01 00 65") + b"x" * 40)
    assert event == ApduTooLong(16, 1, 101)
    assert conn.buffered == 0 and conn.skipping == 61
    assert conn.receive_data(b"x" * 60) == []
    good = encode_wrapper(16, 1, b"ok")
    assert conn.receive_data(b"x" + good) == [ApduReceived(16, 1, b"ok")]
    both = encode_wrapper(16, 1, b"y" * 101) + good
    assert conn.receive_data(both) == [ApduTooLong(16, 1, 101), ApduReceived(16, 1, b"ok")]
    assert not conn.failed


def test_send_checks_sizes() -> None:
    conn = WrapperConnection(max_apdu_size=4)
    assert conn.send(1, 16, b"abcd") == bytes.fromhex("00 01 00 01 00 10 00 04") + b"abcd"
    with pytest.raises(LocalProtocolError):
        conn.send(1, 16, b"abcde")
    with pytest.raises(EncodeError):
        encode_wrapper(0x10000, 1, b"")
    with pytest.raises(ValueError):
        WrapperConnection(max_apdu_size=0)
    assert conn.get_timer() is None
    assert conn.handle_timer(1.0) == []


@settings(max_examples=200, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=300), max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=10),
)
def test_any_cut_gives_the_same_apdus(payloads: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_wrapper(16, 1, p) for p in payloads)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    conn = WrapperConnection()
    events = []
    for a, b in itertools.pairwise(points):
        events += conn.receive_data(stream[a:b])
    assert events == [ApduReceived(16, 1, p) for p in payloads]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_give_only_events(data: bytes) -> None:
    events = WrapperConnection(max_apdu_size=64).receive_data(data)
    assert all(isinstance(e, ApduReceived | ApduTooLong | WrapperFailed) for e in events)


def test_gurux_frames_are_read() -> None:
    from gurux_dlms import GXDLMSClient
    from gurux_dlms.enums import InterfaceType

    client = GXDLMSClient(True, 16, 1, interfaceType=InterfaceType.WRAPPER)
    (frame,) = client.aarqRequest()
    (event,) = WrapperConnection().receive_data(bytes(frame))
    assert isinstance(event, ApduReceived)
    assert (event.source, event.destination) == (16, 1)
    assert event.payload[0] == 0x60  # AARQ tag
    assert len(event.payload) == len(frame) - 8


def test_dlms_cosem_reads_ours() -> None:
    from dlms_cosem.protocol.wrappers import WrapperProtocolDataUnit

    payload = bytes.fromhex("c0 01 c1 00 08 00 00 01 00 00 ff 02 00")
    pdu = WrapperProtocolDataUnit.from_bytes(encode_wrapper(1, 16, payload))
    assert pdu.data == payload
    assert pdu.wrapper_header.source_wport == 1
    assert pdu.wrapper_header.destination_wport == 16
    assert pdu.wrapper_header.length == len(payload)
