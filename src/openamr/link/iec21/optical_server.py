"""The meter side of the optical port: IEC 62056-21 protocol modes C and E, sans-IO.

States and transitions (clause 6.4.3 mode C, annex E mode E)::

    IDLE --/?!--> IDENTIFIED --ACK 0 Z 0--> READOUT_SENT --(ACK | window over)--> IDLE
                      |     \\--ACK 0 Z 1--> AWAIT_PASSWORD --P1 ok--> PROGRAMMING
                      |      \\-ACK 2 Z 2--> MODE_E (the HDLC server owns the line)
                      \\--(no option select in the window)--> readout at 300 Bd --> IDLE
    AWAIT_PASSWORD/PROGRAMMING --B0 | tt time-out | wrong password--> IDLE

In PROGRAMMING, R1 reads and W1 writes go to the caller's :class:`ReadoutSource`;
a refusal is the error message ``STX (ERROR) ETX BCC``. A block with a bad BCC is
answered NAK (6.3.6) and a NAK from the HHU repeats our last message, at most
``timing.max_repeats`` times. Decisions where the standard leaves room are marked so.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from enum import StrEnum

from openamr.errors import LocalProtocolError
from openamr.link.iec21.events import (
    DEFAULT_TIMING,
    BaudRateChange,
    EndReason,
    ModeEHandover,
    RegisterWritten,
    ServerEvent,
    SessionEnded,
    Timing,
    Transmit,
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
from openamr.link.iec21.source import ReadoutSource, Refusal, iskraemeco_identification


class State(StrEnum):
    IDLE = "idle"
    IDENTIFIED = "identification sent"
    READOUT_SENT = "readout sent"
    AWAIT_PASSWORD = "programming, awaiting password"
    PROGRAMMING = "programming"
    MODE_E = "handed over to HDLC"


class WrongPassword(StrEnum):
    """What a wrong P1 gets. Decision: BREAK (B0, back to idle), as Iskraemeco meters
    end the session; NAK lets the HHU repeat, until its repeats run out."""

    BREAK = "break"
    NAK = "nak"


def transmission_time(data: bytes, baud: int) -> float:
    """Seconds to send ``data`` at ``baud`` with 7E1 framing (10 bits a character)."""
    return len(data) * 10 / baud


Events = list[ServerEvent]


class OpticalServer:
    """One optical port of one meter. Feed bytes and the time; act on the events."""

    def __init__(
        self,
        source: ReadoutSource,
        *,
        identification: IdentificationMessage | None = None,
        device_address: str = "",
        password: str | None = "00000000",
        password_operand: str = "",
        wrong_password: WrongPassword = WrongPassword.BREAK,
        timing: Timing = DEFAULT_TIMING,
    ) -> None:
        self.source = source
        self.identification = identification or iskraemeco_identification()
        self.device_address = device_address
        self.password = password
        self.password_operand = password_operand
        self.wrong_password = wrong_password
        self.timing = timing
        self.state = State.IDLE
        self.baud = INITIAL_BAUD
        self._framer = Framer()
        self._deadline: float | None = None
        self._last_reply = b""
        self._repeats = 0

    # -- the sans-IO interface ---------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> Events:
        """Bytes from the line at time ``now``; the events to act on, in order."""
        if self.state is State.MODE_E:
            raise LocalProtocolError("the line was handed over to the HDLC server")
        self._framer.receive_data(data)
        events: Events = []
        while not self._handed_over():
            self._framer.expect_option_select = self.state is State.IDENTIFIED
            item = self._framer.next_item()
            if item is None:
                break
            events += self._handle(item, now)
        return events

    def _handed_over(self) -> bool:
        return self.state is State.MODE_E

    def get_timer(self) -> float | None:
        """When :meth:`handle_timer` must be called next (None: no timer)."""
        return self._deadline

    def handle_timer(self, now: float) -> Events:
        if self._deadline is None or now < self._deadline:
            return []
        self._deadline = None
        expiry = _TIMERS.get(self.state)
        return expiry(self, now) if expiry else []

    # -- dispatch ----------------------------------------------------------------

    def _handle(self, item: Item, now: float) -> Events:
        if isinstance(item, RequestMessage):
            return self._sign_on(item, now)
        handler = _HANDLERS.get((self.state, type(item)))
        if handler is None:
            return []
        if self.state in (State.AWAIT_PASSWORD, State.PROGRAMMING):
            self._deadline = now + self.timing.inactivity
        return handler(self, item, now)

    def _reply(self, data: bytes, now: float, window: float | None = None) -> Events:
        self._last_reply, self._repeats = data, 0
        if window is not None:
            self._deadline = now + transmission_time(data, self.baud) + window
        return [Transmit(data)]

    def _end(self, reason: EndReason) -> Events:
        self.state, self._deadline, self._last_reply = State.IDLE, None, b""
        events: Events = [] if self.baud == INITIAL_BAUD else [BaudRateChange(INITIAL_BAUD)]
        self.baud = INITIAL_BAUD
        return [*events, SessionEnded(reason)]

    def _switch(self, baud: int) -> Events:
        if baud == self.baud:
            return []
        self.baud = baud
        return [BaudRateChange(baud)]

    # -- IDLE and IDENTIFIED ------------------------------------------------------

    def _addressed(self, request: RequestMessage) -> bool:
        """``/?!`` always; ``/?addr!`` when it is ours (leading zeros ignored)."""
        mine, asked = self.device_address.lstrip("0"), request.address.lstrip("0")
        return not request.address or not self.device_address or mine == asked

    def _sign_on(self, request: RequestMessage, now: float) -> Events:
        if not self._addressed(request):
            return []
        events = self._switch(INITIAL_BAUD)
        self.state = State.IDENTIFIED
        return events + self._reply(self.identification.encode(), now, self.timing.response)

    def _option_select(self, item: Item, now: float) -> Events:
        assert isinstance(item, AckOptionSelect)
        baud = BAUD_MODE_C.get(item.baud_char)
        top = BAUD_MODE_C.get(self.identification.baud_char, INITIAL_BAUD)
        choice = _OPTIONS.get((item.protocol, item.mode))
        if baud is None or baud > top or choice is None:
            return self._end(EndReason.UNSUPPORTED_OPTION)
        return choice(self, baud, now)

    def _readout(self, baud: int, now: float) -> Events:
        events = self._switch(baud)
        self.state = State.READOUT_SENT
        block = DataMessage.readout(self.source.readout()).encode()
        return events + self._reply(block, now, self.timing.response)

    def _programming(self, baud: int, now: float) -> Events:
        events = self._switch(baud)
        self.state = State.AWAIT_PASSWORD
        p0 = CommandMessage(Command.PASSWORD, "0", DataSet("", self.password_operand))
        return events + self._reply(p0.encode(), now, self.timing.inactivity)

    def _mode_e(self, baud: int, now: float) -> Events:
        if not self.identification.mode_e:
            return self._end(EndReason.UNSUPPORTED_OPTION)
        events = self._switch(baud)
        self.state, self._deadline = State.MODE_E, None
        return [*events, ModeEHandover(baud, self._framer.take_raw())]

    def _no_option_select(self, now: float) -> Events:
        """Decision: mode C with no (valid) option select -> the readout at 300 Bd, as
        Iskraemeco meters do for HHUs that never send the option select."""
        block = DataMessage.readout(self.source.readout()).encode()
        return [Transmit(block), *self._end(EndReason.NO_OPTION_SELECT)]

    # -- READOUT_SENT ---------------------------------------------------------------

    def _repeat(self, item: Item, now: float) -> Events:
        if not self._last_reply or self._repeats >= self.timing.max_repeats:
            return []
        self._repeats += 1
        return [Transmit(self._last_reply)]

    def _readout_acknowledged(self, item: Item, now: float) -> Events:
        return self._end(EndReason.READOUT_DONE)

    def _readout_window_over(self, now: float) -> Events:
        return self._end(EndReason.READOUT_DONE)

    # -- programming mode -----------------------------------------------------------

    def _nak_bad_block(self, item: Item, now: float) -> Events:
        return [Transmit(Nak().encode())]

    def _malformed(self, item: Item, now: float) -> Events:
        return self._reply(DataMessage.error().encode(), now)

    def _command(self, item: Item, now: float) -> Events:
        assert isinstance(item, CommandMessage)
        handler = _COMMANDS.get((self.state, item.code))
        if handler is None:
            return self._reply(DataMessage.error().encode(), now)
        return handler(self, item, now)

    def _password(self, item: CommandMessage, now: float) -> Events:
        given = (item.data.value if item.data else "").encode("latin-1")
        if self.password is None or hmac.compare_digest(given, self.password.encode("latin-1")):
            self.state = State.PROGRAMMING
            return self._reply(Ack().encode(), now)
        if self.wrong_password is WrongPassword.NAK:
            return [Transmit(Nak().encode())]
        return [Transmit(BREAK.encode()), *self._end(EndReason.WRONG_PASSWORD)]

    def _break(self, item: CommandMessage, now: float) -> Events:
        return self._end(EndReason.BREAK)

    def _read(self, item: CommandMessage, now: float) -> Events:
        result = self.source.read(item.data.address if item.data else "")
        message = (
            DataMessage.error(result.text)
            if isinstance(result, Refusal)
            else DataMessage.of(result)
        )
        return self._reply(message.encode(), now)

    def _write(self, item: CommandMessage, now: float) -> Events:
        if item.data is None:
            return self._reply(DataMessage.error().encode(), now)
        address, value = item.data.address, item.data.value
        refusal = self.source.write(address, value)
        if refusal is not None:
            return self._reply(DataMessage.error(refusal.text).encode(), now)
        return [*self._reply(Ack().encode(), now), RegisterWritten(address, value)]

    def _inactive(self, now: float) -> Events:
        return self._end(EndReason.INACTIVITY)


_Handler = Callable[[OpticalServer, Item, float], Events]
_CommandHandler = Callable[[OpticalServer, CommandMessage, float], Events]
_P, _L = State.PROGRAMMING, State.AWAIT_PASSWORD

_HANDLERS: dict[tuple[State, type], _Handler] = {
    (State.IDENTIFIED, AckOptionSelect): OpticalServer._option_select,
    (State.READOUT_SENT, Nak): OpticalServer._repeat,
    (State.READOUT_SENT, Ack): OpticalServer._readout_acknowledged,
    **{(s, CommandMessage): OpticalServer._command for s in (_L, _P)},
    **{(s, BadBcc): OpticalServer._nak_bad_block for s in (_L, _P)},
    **{(s, Malformed): OpticalServer._malformed for s in (_L, _P)},
    **{(s, Nak): OpticalServer._repeat for s in (_L, _P)},
}

_COMMANDS: dict[tuple[State, str], _CommandHandler] = {
    (_L, "P1"): OpticalServer._password,
    (_P, "P1"): OpticalServer._password,
    **{(s, b): OpticalServer._break for s in (_L, _P) for b in ("B0", "B1")},
    (_P, "R1"): OpticalServer._read,
    (_P, "W1"): OpticalServer._write,
}

_OPTIONS: dict[
    tuple[ProtocolControl, ModeControl], Callable[[OpticalServer, int, float], Events]
] = {
    (ProtocolControl.NORMAL, ModeControl.READOUT): OpticalServer._readout,
    (ProtocolControl.NORMAL, ModeControl.PROGRAMMING): OpticalServer._programming,
    (ProtocolControl.HDLC, ModeControl.BINARY): OpticalServer._mode_e,
}

_TIMERS: dict[State, Callable[[OpticalServer, float], Events]] = {
    State.IDENTIFIED: OpticalServer._no_option_select,
    State.READOUT_SENT: OpticalServer._readout_window_over,
    State.AWAIT_PASSWORD: OpticalServer._inactive,
    State.PROGRAMMING: OpticalServer._inactive,
}
