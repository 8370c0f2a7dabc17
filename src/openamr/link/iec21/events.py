"""Events of the IEC 62056-21 state machines, and their timing.

Both machines return lists of events, in order. The adapter acts on them one by one:
``Transmit`` -> write the bytes; ``BaudRateChange`` -> wait until everything before it
has left the UART, then switch (serial lines only; TCP ignores it); ``ModeEHandover`` ->
give the line to the HDLC server.

Timing (IEC 62056-21 clause 5.4 / 6.3.14, modes C and E)::

    tr  reaction time, receipt of a message -> answer   200 ms .. 1500 ms (20 ms if the
        identification's third letter is lower case)
    ta  time between two characters of a message        < 1500 ms
    tt  inactivity time-out in programming mode         60 s .. 120 s
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from openamr.link.iec21.messages import DataSet, IdentificationMessage

REACTION_TIME_MIN = 0.2
REACTION_TIME_MIN_FAST = 0.02
REACTION_TIME_MAX = 1.5
INTER_CHARACTER_MAX = 1.5
INACTIVITY_MIN, INACTIVITY_MAX = 60.0, 120.0


@dataclass(frozen=True, slots=True)
class Timing:
    """Windows used by the machines; defaults stay inside the standard's bounds.

    ``response``: how long a party waits for an answer to begin: tr max (1.5 s) plus
    the time to send a short message at 300 Bd and scheduling slack (decision: 2.2 s).
    ``inactivity``: tt of programming mode (decision: 90 s, the middle of 60..120 s).
    ``baud_switch``: delay between the option select and the new baud rate on a serial
    line (decision: 250 ms, inside tr and after the ACK has left at 300 Bd).
    """

    response: float = 2.2
    inter_character: float = INTER_CHARACTER_MAX
    inactivity: float = 90.0
    baud_switch: float = 0.25
    max_repeats: int = 3


DEFAULT_TIMING = Timing()


# -- events of both sides ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transmit:
    """Bytes to write to the line."""

    data: bytes


@dataclass(frozen=True, slots=True)
class BaudRateChange:
    """Switch the line to ``baud`` once the bytes transmitted before have been sent."""

    baud: int


# -- server (meter) events -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModeEHandover:
    """Option select with V=2: the line now carries HDLC at ``baud``.

    ``trailing`` holds the bytes that arrived after the option select (already HDLC).
    """

    baud: int
    trailing: bytes


class EndReason(StrEnum):
    READOUT_DONE = "readout done"
    BREAK = "break (B0) received"
    WRONG_PASSWORD = "wrong password"
    INACTIVITY = "inactivity time-out"
    NO_OPTION_SELECT = "no option select, readout at the initial baud rate"
    UNSUPPORTED_OPTION = "option select not supported"


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """The meter is back in its initial state (300 Bd, waiting for a request)."""

    reason: EndReason


@dataclass(frozen=True, slots=True)
class RegisterWritten:
    """A W1 the source accepted (the twin logs a parameter change)."""

    address: str
    value: str


ServerEvent = Transmit | BaudRateChange | ModeEHandover | SessionEnded | RegisterWritten


# -- client (HHU) events ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identified:
    message: IdentificationMessage


@dataclass(frozen=True, slots=True)
class ReadoutReceived:
    data_sets: tuple[DataSet, ...]
    raw: bytes


@dataclass(frozen=True, slots=True)
class PasswordRequested:
    """The meter's P0: ``operand`` feeds a secure algorithm; P1 just sends the password."""

    operand: str


@dataclass(frozen=True, slots=True)
class PasswordAccepted:
    pass


@dataclass(frozen=True, slots=True)
class ValueRead:
    data_set: DataSet


@dataclass(frozen=True, slots=True)
class WriteAccepted:
    address: str


class FailureKind(StrEnum):
    NO_ANSWER = "no answer"
    BAD_BCC = "bad BCC, repeats exhausted"
    WRONG_PASSWORD = "password refused"
    REFUSED = "refused by the meter"
    MALFORMED = "malformed answer"
    UNEXPECTED = "unexpected message"
    SESSION_ENDED = "the meter ended the session"


@dataclass(frozen=True, slots=True)
class Failed:
    """The request could not be completed; ``detail`` says what the meter answered."""

    kind: FailureKind
    detail: str = ""


ClientEvent = (
    Transmit
    | BaudRateChange
    | Identified
    | ReadoutReceived
    | PasswordRequested
    | PasswordAccepted
    | ValueRead
    | WriteAccepted
    | Failed
)
