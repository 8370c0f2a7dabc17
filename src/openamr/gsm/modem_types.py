"""The values a meter's modem works with (issue 16; docs/gsm-meter.md): its timing
constants, the settings read from the COSEM objects (Auto answer, class 28, and Auto
connect, class 29: Blue Book 4.7.4/4.7.5), and what it decides (a call's outcome, a
wake-up, its events). The rules are in :mod:`openamr.gsm.modem`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from openamr.cosem.classes.auto_answer import AutoAnswerMode, CallType
from openamr.cosem.classes.auto_connect import AutoConnectMode

#: ETSI ring cadence: one ring every 5 s (1 s on, 4 s off)
RING_S = 5.0
#: searching before the network registers a card (SIM inserted, coverage back)
REGISTRATION_S = 30.0
#: from a wake-up to the GPRS attach (PDP context up, address assigned)
ATTACH_S = 5.0
#: a GPRS session after a wake-up when the TCP-UDP inactivity timeout is 0
DEFAULT_SESSION_S = 300.0
#: the HDLC inactivity timeout of a CSD call by default (IEC 62056-46: 120 s)
CSD_INACTIVITY_S = 120.0
#: calls fail below this +CSQ (about -103 dBm); SMS are late below WEAK_CSQ
MIN_CALL_CSQ = 5
WEAK_CSQ = 10
#: the communication indicator stays lit this long after data
CURSOR_S = 10.0

#: now -> inside the window? (the meter side builds it from COSEM date-time windows)
WindowTest = Callable[[float], bool]


def always(now: float) -> bool:
    return True


def never(now: float) -> bool:
    return False


class GsmMode(enum.IntEnum):
    """The Mx372 GSM mode 0.0.128.20.10.255 (docs/mt372.md section 2)."""

    GSM = 0
    GSM_PPP = 1
    GPRS = 2


@dataclass(frozen=True, slots=True)
class AutoAnswerSettings:
    """Auto answer (class 28) as the modem uses it."""

    mode: int = AutoAnswerMode.LINE_DEDICATED
    rings_in_window: int = 2
    rings_out_of_window: int = 0
    allowed_callers: tuple[tuple[str, CallType], ...] = ()
    in_window: WindowTest = always  # an empty listening window: always inside


@dataclass(frozen=True, slots=True)
class AutoConnectSettings:
    """Auto connect (class 29) and the Mx372 call restriction."""

    mode: int = AutoConnectMode.CONNECTED_ON_CONNECT
    repetitions: int = 3
    repetition_delay_s: float = 60.0
    in_window: WindowTest = never  # an empty calling window: never inside
    destinations: tuple[str, ...] = ()
    csd_flags: int = 0  # bit i: destinations[i] may call in by CSD


class CallOutcome(enum.Enum):
    ANSWER = "answer"
    NO_ANSWER = "no answer"  # rings until the caller gives up
    REJECT = "reject"  # the caller sees BUSY
    UNREACHABLE = "unreachable"  # the caller sees NO CARRIER


@dataclass(frozen=True, slots=True)
class WakeUp:
    """A wake-up and the GPRS session it opens (``until``: the end if no data flows)."""

    at: float
    source: str  # "sms", "call", "gsm mode", "connect"
    caller: str
    attach_at: float
    until: float


@dataclass(frozen=True, slots=True)
class CallOffer:
    """What the modem does with an incoming call: answered at ``answer_at`` (None:
    never), rejected at ``reject_at``; ``reason`` in words for logs and the CLI."""

    outcome: CallOutcome
    reason: str
    rings: int = 0
    answer_at: float | None = None
    reject_at: float | None = None
    call_type: CallType | None = None
    wake_up: WakeUp | None = None


class ModemEventKind(enum.Enum):
    SIM_REMOVED = "SIM removed"
    SIM_INSERTED = "SIM inserted"
    REGISTERED = "registered"
    DEREGISTERED = "deregistered"
    WAKE_UP = "wake-up"
    GPRS_ATTACHED = "GPRS attached"
    GPRS_DETACHED = "GPRS detached"
    CALL_CONNECTED = "call connected"
    CALL_ENDED = "call ended"
    DIALLING = "connecting to the head-end"
    DIAL_FAILED = "connection to the head-end failed"


@dataclass(frozen=True, slots=True)
class ModemEvent:
    at: float
    kind: ModemEventKind
    detail: str = ""
