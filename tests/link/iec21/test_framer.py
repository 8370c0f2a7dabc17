"""The framer: partial input, garbage, bad BCC, parity bits; fuzzed with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.link.iec21 import (
    Ack,
    AckOptionSelect,
    BadBcc,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    Framer,
    Malformed,
    ModeControl,
    Nak,
    ProtocolControl,
    RequestMessage,
    iskraemeco_identification,
)
from openamr.link.iec21.framer import Item
from openamr.link.iec21.source import EXAMPLE_READOUT

READOUT = DataMessage.readout(EXAMPLE_READOUT)
R1 = CommandMessage(Command.READ, "1", DataSet("1.8.0", ""))
OPTION = AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.READOUT)


def drain(framer: Framer) -> list[Item]:
    items = []
    while (item := framer.next_item()) is not None:
        items.append(item)
    return items


def frame_all(*chunks: bytes, expect_option_select: bool = False) -> list[Item]:
    framer = Framer()
    framer.expect_option_select = expect_option_select
    items: list[Item] = []
    for chunk in chunks:
        framer.receive_data(chunk)
        items += drain(framer)
    return items


def test_byte_by_byte_equals_all_at_once() -> None:
    stream = RequestMessage().encode() + OPTION.encode() + R1.encode() + READOUT.encode()
    expected = [RequestMessage(), OPTION, R1, READOUT]
    assert frame_all(stream) == expected
    one_by_one = (bytes([b]) for b in stream)  # the server's framer after identification:
    assert frame_all(*one_by_one, expect_option_select=True) == expected


def test_garbage_between_messages_is_skipped() -> None:
    stream = b"\x00\x00\xffnoise" + RequestMessage().encode() + b"zz\r\n" + R1.encode()
    framer = Framer()
    framer.receive_data(stream)
    assert drain(framer) == [RequestMessage(), R1]
    assert framer.discarded == 12


def test_a_slash_in_noise_does_not_swallow_the_request() -> None:
    assert frame_all(b"/xx" + RequestMessage().encode()) == [RequestMessage()]


def test_truncated_block_then_a_good_one() -> None:
    truncated = READOUT.encode()[:20]
    assert frame_all(truncated + READOUT.encode()) == [READOUT]


def test_bad_bcc_is_an_item() -> None:
    raw = bytearray(R1.encode())
    raw[-1] ^= 0x01
    assert frame_all(bytes(raw)) == [BadBcc(bytes(raw))]


def test_good_bcc_bad_content_is_malformed() -> None:
    inner = b"Z9\x03"
    items = frame_all(b"\x01" + inner + bytes([0x5A ^ 0x39 ^ 0x03]))
    assert len(items) == 1 and isinstance(items[0], Malformed)


def test_parity_bit_in_bit_7_is_stripped() -> None:
    with_parity = bytes(b | 0x80 for b in RequestMessage().encode())
    assert frame_all(with_parity) == [RequestMessage()]


def test_lone_ack_waits_only_when_an_option_select_may_follow() -> None:
    assert frame_all(b"\x06") == [Ack()]
    assert frame_all(b"\x06", expect_option_select=True) == []
    assert frame_all(b"\x06", b"050\r\n", expect_option_select=True) == [OPTION]
    assert frame_all(b"\x06\x15") == [Ack(), Nak()]


def test_take_raw_returns_unconsumed_bytes_unmasked() -> None:
    framer = Framer()
    snrm = bytes.fromhex("7e a0 07 03 21 93 0f 01 7e")
    framer.receive_data(OPTION.encode() + snrm)
    assert framer.next_item() == OPTION
    assert framer.take_raw() == snrm
    assert framer.next_item() is None


def test_overlong_garbage_line_is_dropped() -> None:
    framer = Framer()
    framer.receive_data(b"/" + b"x" * 200)
    assert drain(framer) == []
    assert not framer.pending


messages = st.sampled_from(
    [RequestMessage(), OPTION, R1, READOUT, Ack(), Nak(), iskraemeco_identification()]
)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(1, 50))
def test_random_bytes_never_raise(data: bytes, chunk: int) -> None:
    framer = Framer()
    for i in range(0, len(data), chunk):
        framer.receive_data(data[i : i + chunk])
        items = drain(framer)
        assert all(item is not None for item in items)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(messages, st.binary(max_size=8)), max_size=6), st.integers(1, 16))
def test_messages_survive_garbage_without_start_characters(
    pairs: list[tuple[object, bytes]], chunk: int
) -> None:
    # junk holds no start character and no digit (ACK + digits could be an option select)
    banned = set(b"/\x01\x02\x06\x15") | set(b"0123456789")
    stream = b""
    for message, junk in pairs:
        clean = bytes(b for b in junk if b & 0x7F not in banned)
        stream += clean + message.encode()  # type: ignore[attr-defined]
    stream += Nak().encode()  # ends a trailing lone ACK
    chunks = (stream[i : i + chunk] for i in range(0, len(stream), chunk))
    items = frame_all(*chunks, expect_option_select=True)
    assert items == [*(m for m, _ in pairs), Nak()]
