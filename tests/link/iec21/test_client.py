"""The HHU's state machine against scripted meter answers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import LocalProtocolError
from openamr.link.iec21 import (
    EXAMPLE_READOUT,
    DataMessage,
    DataSet,
    Failed,
    FailureKind,
    Identified,
    ModeControl,
    Nak,
    OpticalClient,
    ReadoutReceived,
    Transmit,
    Waiting,
    iskraemeco_identification,
)
from openamr.link.iec21.messages import BREAK

IDENT = iskraemeco_identification().encode()
READOUT = DataMessage.readout(EXAMPLE_READOUT).encode()


def identified(client: OpticalClient) -> None:
    client.sign_on(0.0)
    assert client.receive_data(IDENT, 0.1) == [Identified(iskraemeco_identification())]


def test_identification_then_readout_in_pieces() -> None:
    client = OpticalClient()
    identified(client)
    data, change = client.select(ModeControl.READOUT, 0.2)
    assert data == bytes.fromhex("06 30 35 30 0d 0a") and change is not None
    assert client.receive_data(READOUT[:10], 0.5) == []
    [event] = client.receive_data(READOUT[10:], 0.6)
    assert isinstance(event, ReadoutReceived) and event.data_sets == EXAMPLE_READOUT


def test_lower_baud_than_offered() -> None:
    client = OpticalClient()
    identified(client)
    data, change = client.select(ModeControl.READOUT, 0.2, baud=2400)
    assert data[2:3] == b"3" and change is not None and change.baud == 2400


def test_select_before_identification_is_a_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        OpticalClient().select(ModeControl.READOUT, 0.0)


def test_no_answer_times_out() -> None:
    client = OpticalClient()
    client.sign_on(0.0)
    timer = client.get_timer()
    assert timer == pytest.approx(2.2)
    assert client.handle_timer(2.0) == []
    [failed] = client.handle_timer(2.2)
    assert isinstance(failed, Failed) and failed.kind is FailureKind.NO_ANSWER
    assert client.get_timer() is None


def test_slow_characters_extend_the_window() -> None:
    client = OpticalClient()
    client.sign_on(0.0)
    client.receive_data(IDENT[:5], 2.0)
    timer = client.get_timer()
    assert timer is not None and timer == pytest.approx(3.5)  # 2.0 + ta 1.5 s


def test_bad_bcc_is_answered_nak_three_times_then_fails() -> None:
    client = OpticalClient()
    identified(client)
    client.select(ModeControl.READOUT, 0.2)
    corrupt = READOUT[:-1] + bytes([READOUT[-1] ^ 1])
    for _ in range(3):
        assert client.receive_data(corrupt, 0.5) == [Transmit(Nak().encode())]
    [failed] = client.receive_data(corrupt, 0.5)
    assert isinstance(failed, Failed) and failed.kind is FailureKind.BAD_BCC


def test_bad_bcc_then_good_repeat() -> None:
    client = OpticalClient()
    identified(client)
    client.select(ModeControl.READOUT, 0.2)
    corrupt = READOUT[:-1] + bytes([READOUT[-1] ^ 1])
    assert client.receive_data(corrupt, 0.5) == [Transmit(b"\x15")]
    [event] = client.receive_data(READOUT, 0.7)
    assert isinstance(event, ReadoutReceived)


def test_echo_of_our_own_messages_is_ignored() -> None:
    client = OpticalClient()
    request = client.sign_on(0.0)
    assert client.receive_data(request + IDENT, 0.1) == [Identified(iskraemeco_identification())]


def test_malformed_readout_fails() -> None:
    client = OpticalClient()
    identified(client)
    client.select(ModeControl.READOUT, 0.2)
    [failed] = client.receive_data(DataMessage("1.8.0(12\r\n!\r\n").encode(), 0.3)
    assert isinstance(failed, Failed) and failed.kind is FailureKind.MALFORMED


def test_break_from_the_meter_while_reading() -> None:
    client = OpticalClient()
    client.read("1.8.0", 0.0)
    [failed] = client.receive_data(BREAK.encode(), 0.1)
    assert failed == Failed(FailureKind.SESSION_ENDED, "B0 from the meter")
    assert client.waiting is Waiting.CLOSED


def test_read_answer_without_address_takes_the_asked_one() -> None:
    client = OpticalClient()
    client.read("1.8.0", 0.0)
    [event] = client.receive_data(DataMessage.of(DataSet("", "5", "kWh")).encode(), 0.1)
    assert event.data_set == DataSet("1.8.0", "5", "kWh")  # type: ignore[union-attr]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["ident", "readout", "password", "read", "write"]),
    st.binary(max_size=300),
)
def test_random_answers_never_raise(waiting: str, data: bytes) -> None:
    client = OpticalClient()
    if waiting == "ident":
        client.sign_on(0.0)
    elif waiting == "readout":
        identified(client)
        client.select(ModeControl.READOUT, 0.2)
    elif waiting == "password":
        client.password("x", 0.0)
    elif waiting == "read":
        client.read("1.8.0", 0.0)
    else:
        client.write("1.8.0", "1", 0.0)
    events = client.receive_data(data, 0.5) + client.handle_timer(100.0)
    assert len([e for e in events if isinstance(e, Failed)]) <= 1
