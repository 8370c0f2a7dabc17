"""The HHU side of the optical port: IEC 62056-21 mode C, sans-IO.

The caller drives the session with methods that return the bytes to send; answers come
back as events from :meth:`OpticalClient.receive_data`::

    sign_on()           -> /?!CRLF              ... Identified(identification)
    select(READOUT)     -> ACK 0 Z 0 CRLF       ... ReadoutReceived(data sets)
    select(PROGRAMMING) -> ACK 0 Z 1 CRLF       ... PasswordRequested(operand)
    password("...")     -> SOH P1 STX (pw) ETX  ... PasswordAccepted | Failed
    read("1.8.0")       -> SOH R1 STX 1.8.0() ETX ... ValueRead | Failed(REFUSED)
    write("a", "v")     -> SOH W1 STX a(v) ETX  ... WriteAccepted | Failed(REFUSED)
    sign_off()          -> SOH B0 ETX BCC

A bad BCC is answered NAK automatically (a ``Transmit`` event), a NAK from the meter
repeats our last message; after ``timing.max_repeats`` the request fails. The timer
covers the response window and the inter-character time.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from openamr.errors import DecodeError, LocalProtocolError
from openamr.link.iec21.events import (
    DEFAULT_TIMING,
    BaudRateChange,
    ClientEvent,
    Failed,
    FailureKind,
    Identified,
    PasswordAccepted,
    PasswordRequested,
    ReadoutReceived,
    Timing,
    Transmit,
    ValueRead,
    WriteAccepted,
)
from openamr.link.iec21.framer import BadBcc, Framer, Item, Malformed
from openamr.link.iec21.messages import (
    BAUD_MODE_C,
    BREAK,
    INITIAL_BAUD,
    Ack,
    AckOptionSelect,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    IdentificationMessage,
    ModeControl,
    Nak,
    ProtocolControl,
    RequestMessage,
)


class Waiting(StrEnum):
    """What the client waits for."""

    NOTHING = "nothing"
    IDENTIFICATION = "identification"
    READOUT = "readout"
    PASSWORD_REQUEST = "password request (P0)"
    PASSWORD_ANSWER = "password answer"
    READ_ANSWER = "R1 answer"
    WRITE_ANSWER = "W1 answer"
    CLOSED = "closed"


Events = list[ClientEvent]


class OpticalClient:
    """One HHU session with one meter."""

    def __init__(self, timing: Timing = DEFAULT_TIMING) -> None:
        self.timing = timing
        self.waiting = Waiting.NOTHING
        self.identification: IdentificationMessage | None = None
        self.baud = INITIAL_BAUD
        self._framer = Framer()
        self._deadline: float | None = None
        self._last_sent = b""
        self._repeats = 0
        self._address = ""

    # -- requests --------------------------------------------------------------------

    def sign_on(self, now: float, device_address: str = "") -> bytes:
        return self._send(RequestMessage(device_address).encode(), Waiting.IDENTIFICATION, now)

    def select(
        self, mode: ModeControl, now: float, baud: int | None = None
    ) -> tuple[bytes, BaudRateChange | None]:
        """The option select; then switch the line to the returned baud rate (if any)."""
        if self.identification is None:
            raise LocalProtocolError("select() needs the identification first")
        top = self.identification.baud or INITIAL_BAUD
        chosen = min(baud or top, top)
        char = next(c for c, b in BAUD_MODE_C.items() if b == chosen)
        protocol = ProtocolControl.HDLC if mode is ModeControl.BINARY else ProtocolControl.NORMAL
        data = AckOptionSelect(protocol, char, mode).encode()
        waiting = _AFTER_SELECT.get(mode, Waiting.NOTHING)
        sent = self._send(data, waiting, now)
        change = BaudRateChange(chosen) if chosen != self.baud else None
        self.baud = chosen
        return sent, change

    def password(self, password: str, now: float) -> bytes:
        message = CommandMessage(Command.PASSWORD, "1", DataSet("", password))
        return self._send(message.encode(), Waiting.PASSWORD_ANSWER, now)

    def read(self, address: str, now: float, argument: str = "") -> bytes:
        self._address = address
        message = CommandMessage(Command.READ, "1", DataSet(address, argument))
        return self._send(message.encode(), Waiting.READ_ANSWER, now)

    def write(self, address: str, value: str, now: float) -> bytes:
        self._address = address
        message = CommandMessage(Command.WRITE, "1", DataSet(address, value))
        return self._send(message.encode(), Waiting.WRITE_ANSWER, now)

    def sign_off(self) -> bytes:
        self.waiting, self._deadline = Waiting.CLOSED, None
        return BREAK.encode()

    def _send(self, data: bytes, waiting: Waiting, now: float) -> bytes:
        self.waiting, self._last_sent, self._repeats = waiting, data, 0
        self._deadline = now + self.timing.response if waiting is not Waiting.NOTHING else None
        return data

    # -- answers -----------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> Events:
        self._framer.receive_data(data)
        events: Events = []
        while (item := self._framer.next_item()) is not None:
            events += self._handle(item, now)
        if self._framer.pending and self._deadline is not None:
            self._deadline = max(self._deadline, now + self.timing.inter_character)
        return events

    def get_timer(self) -> float | None:
        return self._deadline

    def handle_timer(self, now: float) -> Events:
        if self._deadline is None or now < self._deadline:
            return []
        waited = self.waiting
        self.waiting, self._deadline = Waiting.NOTHING, None
        return [Failed(FailureKind.NO_ANSWER, f"no {waited} within the response time")]

    def _handle(self, item: Item, now: float) -> Events:
        if self.waiting in (Waiting.NOTHING, Waiting.CLOSED) or _is_echo(item, self._last_sent):
            return []
        if isinstance(item, Malformed):
            return self._fail(FailureKind.MALFORMED, item.reason)
        if isinstance(item, BadBcc):
            return self._repeat_request(FailureKind.BAD_BCC, Nak().encode(), now)
        if isinstance(item, Nak):
            return self._repeat_request(FailureKind.BAD_BCC, self._last_sent, now)
        handler = _HANDLERS.get((self.waiting, type(item)))
        if handler is None:
            return self._fail(FailureKind.UNEXPECTED, _describe(item))
        return handler(self, item, now)

    def _repeat_request(self, kind: FailureKind, data: bytes, now: float) -> Events:
        if self._repeats >= self.timing.max_repeats:
            if self.waiting is Waiting.PASSWORD_ANSWER:
                return self._fail(FailureKind.WRONG_PASSWORD, "NAK after every repeat")
            return self._fail(kind, f"{self._repeats} repeats")
        self._repeats += 1
        self._deadline = now + self.timing.response
        return [Transmit(data)]

    def _done(self, event: ClientEvent, waiting: Waiting = Waiting.NOTHING) -> Events:
        self.waiting = waiting
        self._deadline = None
        return [event]

    def _fail(self, kind: FailureKind, detail: str = "") -> Events:
        return self._done(Failed(kind, detail))

    def _identified(self, item: Item, now: float) -> Events:
        assert isinstance(item, IdentificationMessage)
        self.identification = item
        return self._done(Identified(item))

    def _readout(self, item: Item, now: float) -> Events:
        assert isinstance(item, DataMessage)
        try:
            sets = item.data_sets()
        except DecodeError as e:
            return self._fail(FailureKind.MALFORMED, str(e))
        return self._done(ReadoutReceived(sets, item.encode()))

    def _password_request(self, item: Item, now: float) -> Events:
        assert isinstance(item, CommandMessage)
        if item.code != "P0":
            return self._fail(FailureKind.UNEXPECTED, f"{item.code} instead of P0")
        operand = item.data.value if item.data else ""
        return self._done(PasswordRequested(operand))

    def _password_answer(self, item: Item, now: float) -> Events:
        if isinstance(item, Ack):
            return self._done(PasswordAccepted())
        detail = _describe(item)
        return self._done(Failed(FailureKind.WRONG_PASSWORD, detail), Waiting.CLOSED)

    def _read_answer(self, item: Item, now: float) -> Events:
        assert isinstance(item, DataMessage)
        if item.error_text is not None:
            return self._fail(FailureKind.REFUSED, item.error_text)
        try:
            sets = item.data_sets()
        except DecodeError as e:
            return self._fail(FailureKind.MALFORMED, str(e))
        if len(sets) != 1:
            return self._fail(FailureKind.MALFORMED, f"{len(sets)} data sets for one read")
        found = sets[0]
        return self._done(
            ValueRead(DataSet(found.address or self._address, found.value, found.unit))
        )

    def _write_answer(self, item: Item, now: float) -> Events:
        if isinstance(item, Ack):
            return self._done(WriteAccepted(self._address))
        assert isinstance(item, DataMessage)
        return self._fail(FailureKind.REFUSED, item.error_text or item.block)

    def _ended(self, item: Item, now: float) -> Events:
        assert isinstance(item, CommandMessage)
        detail = f"{item.code} from the meter"
        kind = FailureKind.SESSION_ENDED
        if self.waiting is Waiting.PASSWORD_ANSWER:
            kind = FailureKind.WRONG_PASSWORD
        return self._done(Failed(kind, detail), Waiting.CLOSED)

    def _command_answer(self, item: Item, now: float) -> Events:
        assert isinstance(item, CommandMessage)
        if item.command is Command.BREAK:
            return self._ended(item, now)
        return self._fail(FailureKind.UNEXPECTED, _describe(item))


def _is_echo(item: Item, sent: bytes) -> bool:
    """Our own message read back (half-duplex optical heads echo what they send)."""
    if isinstance(item, (RequestMessage, AckOptionSelect)):
        return True
    return isinstance(item, CommandMessage) and item.encode() == sent


def _describe(item: Item) -> str:
    if isinstance(item, Malformed):
        return f"malformed: {item.reason}"
    if isinstance(item, DataMessage):
        return item.error_text or f"data {item.block[:40]!r}"
    if isinstance(item, CommandMessage):
        return f"command {item.code}"
    return type(item).__name__


_Handler = Callable[[OpticalClient, Item, float], Events]
_W = Waiting

_AFTER_SELECT = {
    ModeControl.READOUT: Waiting.READOUT,
    ModeControl.PROGRAMMING: Waiting.PASSWORD_REQUEST,
}

_HANDLERS: dict[tuple[Waiting, type], _Handler] = {
    (_W.IDENTIFICATION, IdentificationMessage): OpticalClient._identified,
    (_W.READOUT, DataMessage): OpticalClient._readout,
    (_W.PASSWORD_REQUEST, CommandMessage): OpticalClient._password_request,
    (_W.PASSWORD_ANSWER, Ack): OpticalClient._password_answer,
    (_W.PASSWORD_ANSWER, DataMessage): OpticalClient._password_answer,
    (_W.PASSWORD_ANSWER, CommandMessage): OpticalClient._command_answer,
    (_W.READ_ANSWER, DataMessage): OpticalClient._read_answer,
    (_W.READ_ANSWER, CommandMessage): OpticalClient._command_answer,
    (_W.WRITE_ANSWER, Ack): OpticalClient._write_answer,
    (_W.WRITE_ANSWER, DataMessage): OpticalClient._write_answer,
    (_W.WRITE_ANSWER, CommandMessage): OpticalClient._command_answer,
}
