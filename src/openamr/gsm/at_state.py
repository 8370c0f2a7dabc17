"""The head-end's AT modem's state and settings (:mod:`openamr.gsm.at`): the S
registers and settings of ITU-T V.250 §6.2, the states of §5.1 and the events the
adapter acts on (a data call up, a data call over).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from openamr.gsm.call import Call, CallState
from openamr.gsm.line import CsdLine
from openamr.gsm.v250 import Result

#: Default S registers (V.250 §6.2/§6.3): S0 rings to answer (0: never), S1 the rings
#: of the call ringing now (counted by the modem), S2 escape
#: character, S3/S4/S5 CR/LF/BS, S7 seconds to wait for the connection, S12 the escape
#: guard time in 1/50 s.
S_DEFAULTS = {0: 0, 1: 0, 2: 43, 3: 13, 4: 10, 5: 8, 7: 60, 12: 50}
MAX_LINE = 256  # characters of a command line (V.250 §5.2.1: at least 40)
#: octets from the line handed on together (a UART's receive FIFO trigger level)
FIFO = 8


def fifo_due(line: CsdLine) -> float | None:
    """When the next :data:`FIFO` octets (or all that is on the line, if fewer) have
    arrived on ``line``."""
    first = line.next_arrival()
    if first is None:
        return None
    return first + (min(line.pending(), FIFO) - 1) * line.octet_s


#: the result code of a call that ended before or during the connection
ENDED = {
    CallState.BUSY: Result.BUSY,
    CallState.NO_ANSWER: Result.NO_ANSWER,
    CallState.NO_CARRIER: Result.NO_CARRIER,
    CallState.ENDED: Result.NO_CARRIER,
}


class State(enum.Enum):
    COMMAND = "command"
    DIALING = "dialing"
    ONLINE = "online data"
    ONLINE_COMMAND = "online command"
    SMS_TEXT = "sms text"
    SMS_PDU = "sms pdu"


@dataclass(frozen=True, slots=True)
class Online:
    """The data call is up: start carrying bytes to and from the meter."""

    call: Call
    number: str


@dataclass(frozen=True, slots=True)
class Offline:
    """The data call is over (``reason``: hung up, NO CARRIER)."""

    reason: str


ModemEvent = Online | Offline


@dataclass(frozen=True, slots=True)
class ModemIdentity:
    """Who the modem is: its SIM's number and IMSI, its IMEI, and its radio."""

    msisdn: str
    imsi: str = "293400000000001"
    imei: str = "356938035643809"
    manufacturer: str = "openamr"
    model: str = "virtual GSM modem"
    revision: str = "1.0"
    rssi: int = 20  # +CSQ: 0..31 (-113 + 2 rssi dBm), 99 unknown
    registered: int = 1  # +CREG stat: 0 not, 1 home, 2 searching, 3 denied, 5 roaming


@dataclass
class Settings:
    """What ATZ / AT&F bring back (V.250 §6.1.1, §6.1.2)."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    s: dict[int, int] = field(default_factory=lambda: dict(S_DEFAULTS))
    creg: int = 0
    cmee: int = 0
    cmgf: int = 0  # TS 27.005 §3.2.3: 0 PDU mode (the default), 1 text mode
    cbst: tuple[int, int, int] = (7, 0, 1)
    clip: int = 0  # +CLIP (TS 27.007 §7.6): 1 the caller's number after each RING
    dtr: int = 2  # &D (V.250 §6.2.9): 0 ignored, 1 online command state, 2 hang up
    dcd: int = 1  # &C (§6.2.8): 0 always on, 1 follows the carrier (not a wire here)
