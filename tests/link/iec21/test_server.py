"""The meter's state machine, alone and joined in memory to the HHU's."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import LocalProtocolError
from openamr.link.iec21 import (
    EXAMPLE_READOUT,
    AckOptionSelect,
    BaudRateChange,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    EndReason,
    Failed,
    FailureKind,
    Identified,
    ModeControl,
    ModeEHandover,
    OpticalClient,
    OpticalServer,
    PasswordAccepted,
    PasswordRequested,
    ProtocolControl,
    ReadoutReceived,
    RegisterWritten,
    RequestMessage,
    SessionEnded,
    State,
    StaticSource,
    Transmit,
    ValueRead,
    WriteAccepted,
    WrongPassword,
)
from openamr.link.iec21.messages import BREAK
from tests.link.iec21.conftest import PASSWORD, Line

SIGN_ON = RequestMessage().encode()


def transmitted(events: list[object]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, Transmit))


def sign_on(line: Line) -> None:
    assert line.to_server(line.client.sign_on(line.now)) == [Identified(line.server.identification)]


def programming(line: Line, password: str = PASSWORD) -> list[object]:
    sign_on(line)
    data, change = line.client.select(ModeControl.PROGRAMMING, line.now)
    assert change == BaudRateChange(9600)
    assert line.to_server(data) == [PasswordRequested("")]
    return list(line.to_server(line.client.password(password, line.now)))


def test_readout(line: Line) -> None:
    sign_on(line)
    data, _ = line.client.select(ModeControl.READOUT, line.now)
    [received] = line.to_server(data)
    assert isinstance(received, ReadoutReceived)
    assert received.data_sets == EXAMPLE_READOUT
    assert line.server_events[-2] == BaudRateChange(9600)  # before the data message
    assert line.server.state is State.READOUT_SENT
    server, _ = line.advance(3.0)
    assert server == [BaudRateChange(300), SessionEnded(EndReason.READOUT_DONE)]
    assert line.server.state is State.IDLE


def test_readout_repeated_on_nak_then_acknowledged(line: Line) -> None:
    sign_on(line)
    data, _ = line.client.select(ModeControl.READOUT, line.now)
    readout = transmitted(line.server.receive_data(data, 0.0))
    assert transmitted(line.server.receive_data(b"\x15", 0.1)) == readout
    assert line.server.receive_data(b"\x06", 0.2)[-1] == SessionEnded(EndReason.READOUT_DONE)


def test_repeats_are_bounded(source: StaticSource) -> None:
    server = OpticalServer(source)
    server.receive_data(SIGN_ON, 0.0)
    server.receive_data(
        AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.READOUT).encode(), 0
    )
    repeats = [transmitted(server.receive_data(b"\x15", 0.1)) for _ in range(5)]
    assert [bool(r) for r in repeats] == [True, True, True, False, False]


def test_no_option_select_gives_the_readout_at_300_baud(source: StaticSource) -> None:
    server = OpticalServer(source)
    server.receive_data(SIGN_ON, 0.0)
    deadline = server.get_timer()
    assert deadline is not None and 1.5 < deadline < 3.0
    assert server.handle_timer(deadline - 0.01) == []
    events = server.handle_timer(deadline)
    assert DataMessage.decode(transmitted(events)).data_sets() == EXAMPLE_READOUT
    assert not any(isinstance(e, BaudRateChange) for e in events)
    assert events[-1] == SessionEnded(EndReason.NO_OPTION_SELECT)


def test_programming_read_write_break(line: Line, source: StaticSource) -> None:
    assert programming(line) == [PasswordAccepted()]
    assert line.to_server(line.client.read("1.8.0", line.now)) == [
        ValueRead(DataSet("1.8.0", "001234.567", "kWh"))
    ]
    assert line.to_server(line.client.write("1.8.0", "000000.001", line.now)) == [
        WriteAccepted("1.8.0")
    ]
    assert RegisterWritten("1.8.0", "000000.001") in line.server_events
    assert source.registers["1.8.0"].value == "000000.001"
    line.to_server(line.client.sign_off())
    assert line.server_events[-1] == SessionEnded(EndReason.BREAK)
    assert line.server.state is State.IDLE and line.server.baud == 300


def test_unknown_address_and_read_only_register_are_refused(line: Line) -> None:
    programming(line)
    assert line.to_server(line.client.read("9.9.9", line.now)) == [
        Failed(FailureKind.REFUSED, "ERROR")
    ]
    assert line.to_server(line.client.write("F.F", "1", line.now)) == [
        Failed(FailureKind.REFUSED, "ERROR")
    ]
    assert line.server.state is State.PROGRAMMING


def test_wrong_password_breaks(line: Line) -> None:
    assert programming(line, "wrong") == [Failed(FailureKind.WRONG_PASSWORD, "B0 from the meter")]
    assert line.server_events[-3:] == [
        Transmit(BREAK.encode()),
        BaudRateChange(300),
        SessionEnded(EndReason.WRONG_PASSWORD),
    ]


def test_wrong_password_nak_policy(source: StaticSource) -> None:
    server = OpticalServer(source, password=PASSWORD, wrong_password=WrongPassword.NAK)
    line = Line(server, OpticalClient())
    [failed] = programming(line, "wrong")
    assert failed == Failed(FailureKind.WRONG_PASSWORD, "NAK after every repeat")
    p1 = [e for e in line.client_events if isinstance(e, Transmit)]
    assert len(p1) == 3  # the client repeated the P1 three times
    assert server.state is State.AWAIT_PASSWORD


def test_commands_before_the_password_are_refused(line: Line) -> None:
    sign_on(line)
    data, _ = line.client.select(ModeControl.PROGRAMMING, line.now)
    line.to_server(data)
    read = CommandMessage(Command.READ, "1", DataSet("1.8.0", "")).encode()
    assert transmitted(line.server.receive_data(read, 0.0)) == DataMessage.error().encode()


def test_bad_bcc_gets_nak_and_the_repeat_is_served(line: Line) -> None:
    programming(line)
    read = bytearray(CommandMessage(Command.READ, "1", DataSet("1.8.0", "")).encode())
    read[-1] ^= 0x7F
    assert transmitted(line.server.receive_data(bytes(read), 0.0)) == b"\x15"
    read[-1] ^= 0x7F
    answer = transmitted(line.server.receive_data(bytes(read), 0.0))
    assert DataMessage.decode(answer).data_sets()[0].address == "1.8.0"


def test_inactivity_ends_programming(line: Line) -> None:
    programming(line)
    timer = line.server.get_timer()
    assert timer is not None and 60.0 <= timer - line.now <= 120.0
    server, _ = line.advance(timer - line.now)
    assert server == [BaudRateChange(300), SessionEnded(EndReason.INACTIVITY)]


def test_activity_restarts_the_inactivity_timer(line: Line) -> None:
    programming(line)
    line.now = 80.0
    line.to_server(line.client.read("1.8.0", line.now))
    timer = line.server.get_timer()
    assert timer is not None and timer >= 80.0 + 60.0


def test_mode_e_hands_the_line_over(source: StaticSource) -> None:
    server = OpticalServer(source)
    server.receive_data(SIGN_ON, 0.0)
    snrm = bytes.fromhex("7e a0 07 03 21 93 0f 01 7e")
    select = AckOptionSelect(ProtocolControl.HDLC, "5", ModeControl.BINARY).encode()
    events = server.receive_data(select + snrm, 0.1)
    assert events == [BaudRateChange(9600), ModeEHandover(9600, snrm)]
    assert server.state is State.MODE_E and server.get_timer() is None
    with pytest.raises(LocalProtocolError):
        server.receive_data(b"\x7e", 0.2)


def test_mode_e_refused_without_backslash_2(source: StaticSource) -> None:
    from openamr.link.iec21 import IdentificationMessage

    server = OpticalServer(source, identification=IdentificationMessage("ISK", "5", "MT372"))
    server.receive_data(SIGN_ON, 0.0)
    select = AckOptionSelect(ProtocolControl.HDLC, "5", ModeControl.BINARY).encode()
    assert server.receive_data(select, 0.1) == [SessionEnded(EndReason.UNSUPPORTED_OPTION)]


def test_baud_above_the_identification_is_refused(source: StaticSource) -> None:
    server = OpticalServer(source)
    server.receive_data(SIGN_ON, 0.0)
    select = AckOptionSelect(ProtocolControl.NORMAL, "6", ModeControl.READOUT).encode()
    assert server.receive_data(select, 0.1) == [SessionEnded(EndReason.UNSUPPORTED_OPTION)]


@pytest.mark.parametrize(
    ("mine", "asked", "answers"),
    [
        ("", "", True),
        ("", "123", True),
        ("123", "", True),
        ("123", "00123", True),
        ("1", "2", False),
    ],
)
def test_device_address(source: StaticSource, mine: str, asked: str, answers: bool) -> None:
    server = OpticalServer(source, device_address=mine)
    events = server.receive_data(RequestMessage(asked).encode(), 0.0)
    assert bool(transmitted(events)) is answers


def test_sign_on_again_restarts_from_programming(line: Line) -> None:
    programming(line)
    events = line.server.receive_data(SIGN_ON, 0.0)
    assert events[0] == BaudRateChange(300)
    assert line.server.state is State.IDENTIFIED


STATES_INPUT = [
    b"",
    SIGN_ON,
    SIGN_ON + AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.READOUT).encode(),
    SIGN_ON + AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.PROGRAMMING).encode(),
    SIGN_ON
    + AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.PROGRAMMING).encode()
    + CommandMessage(Command.PASSWORD, "1", DataSet("", "00000000")).encode(),
]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(STATES_INPUT), st.binary(max_size=300), st.floats(0, 200))
def test_random_input_in_every_state_never_raises(prefix: bytes, data: bytes, later: float) -> None:
    server = OpticalServer(StaticSource.of(EXAMPLE_READOUT, writable={"1.8.0"}))
    server.receive_data(prefix, 0.0)
    if server.state is State.MODE_E:
        return
    events = server.receive_data(data, 0.1)
    events += server.handle_timer(0.1 + later)
    assert all(
        isinstance(e, (Transmit, BaudRateChange, SessionEnded, RegisterWritten, ModeEHandover))
        for e in events
    )
    if server.state is not State.MODE_E:
        timer = server.get_timer()
        assert timer is None or timer > 0.1
