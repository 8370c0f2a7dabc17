"""The MT372 log-book's event codes and their names, one table (docs/mt372.md
section 3), and the load profile's status bits (section 4).

Codes without bit 15 are bit flags (they may be combined: 0x0090 is "billing reset,
power failure"); codes with bit 15 are single events. Events the MT372's published
list lacks but the datasheet asks for get codes in the manufacturer range from
0x8020 (a project decision, recorded here and nowhere else):

==========  ==========================================
0x8020+p    under voltage begins on phase p (0..2)
0x8023+p    under voltage ends on phase p
0x8026+p    over voltage begins on phase p
0x8029+p    over voltage ends on phase p
0x802C+p    current reversal begins on phase p
0x802F+p    current reversal ends on phase p
0x8032      phase sequence error
0x8033      phase sequence restored
0x8034      alarm input P3 active
0x8035      firmware activated
0x8036      association failed (authentication)
0x8040      contactor disconnected (remote, or the Mx372 view)
0x8041      contactor connected
0x8042      contactor ready for reconnection (limiter, button)
0x8043      limiter: over the threshold for the minimum duration
0x8044      limiter: back under it for the minimum duration
0x8045      emergency ("code red") threshold in force
0x8046      emergency threshold over
0x8050      SIM card removed (a hot swap begins)
0x8051      SIM card inserted (the modem registers with its identity)
==========  ==========================================

Entry of the log-book 1.0.99.98.0.255: {time stamp octet-string(12) (or integer 0:
the same time as the previous entry), event code long-unsigned}; 128 entries, FIFO.
"""

from __future__ import annotations

import enum


class EventCode(enum.IntEnum):
    """Every code the MT372 logs, with its words (``EventCode.DST_CHANGE.words``)."""

    words: str

    def __new__(cls, value: int, words: str = "") -> EventCode:
        member = int.__new__(cls, value)
        member._value_ = value
        member.words = words
        return member

    # bit flags (MT372.md section 3)
    FATAL_ERROR = 0x0001, "fatal error"
    CLOCK_RESERVE = 0x0002, "clock reserve"
    VALUE_CORRUPT = 0x0004, "value corrupt"
    DST_CHANGE = 0x0008, "DST change"
    BILLING_RESET = 0x0010, "billing reset"
    DEVICE_CLOCK_CHANGED = 0x0020, "device clock changed"
    CLOCK_CHANGED = 0x0020, "device clock changed"  # alias
    POWER_RETURNED = 0x0040, "power returned"
    POWER_FAILURE = 0x0080, "power failure"
    VARIABLE_SET = 0x0100, "variable set (parameter change)"
    EVENT_LOG_CLEARED = 0x2000, "event log cleared"
    LOAD_PROFILE_CLEARED = 0x4000, "load profile cleared"
    # single events (MT372.md section 3)
    POWER_FAILURE_L1 = 0x8001, "power failure L1"
    POWER_FAILURE_L2 = 0x8002, "power failure L2"
    POWER_FAILURE_L3 = 0x8003, "power failure L3"
    POWER_RETURNED_L1 = 0x8004, "power returned L1"
    POWER_RETURNED_L2 = 0x8005, "power returned L2"
    POWER_RETURNED_L3 = 0x8006, "power returned L3"
    METER_COVER_OPENED = 0x8010, "meter cover opened"
    TERMINAL_COVER_OPENED = 0x8011, "terminal cover opened"
    # the project's manufacturer range (a decision, see the module docstring)
    UNDER_VOLTAGE_BEGIN = 0x8020, "under voltage begin L1"
    UNDER_VOLTAGE_BEGIN_L2 = 0x8021, "under voltage begin L2"
    UNDER_VOLTAGE_BEGIN_L3 = 0x8022, "under voltage begin L3"
    UNDER_VOLTAGE_END = 0x8023, "under voltage end L1"
    UNDER_VOLTAGE_END_L2 = 0x8024, "under voltage end L2"
    UNDER_VOLTAGE_END_L3 = 0x8025, "under voltage end L3"
    OVER_VOLTAGE_BEGIN = 0x8026, "over voltage begin L1"
    OVER_VOLTAGE_BEGIN_L2 = 0x8027, "over voltage begin L2"
    OVER_VOLTAGE_BEGIN_L3 = 0x8028, "over voltage begin L3"
    OVER_VOLTAGE_END = 0x8029, "over voltage end L1"
    OVER_VOLTAGE_END_L2 = 0x802A, "over voltage end L2"
    OVER_VOLTAGE_END_L3 = 0x802B, "over voltage end L3"
    CURRENT_REVERSAL_BEGIN = 0x802C, "current reversal begin L1"
    CURRENT_REVERSAL_BEGIN_L2 = 0x802D, "current reversal begin L2"
    CURRENT_REVERSAL_BEGIN_L3 = 0x802E, "current reversal begin L3"
    CURRENT_REVERSAL_END = 0x802F, "current reversal end L1"
    CURRENT_REVERSAL_END_L2 = 0x8030, "current reversal end L2"
    CURRENT_REVERSAL_END_L3 = 0x8031, "current reversal end L3"
    PHASE_SEQUENCE_ERROR = 0x8032, "phase sequence error"
    PHASE_SEQUENCE_RESTORED = 0x8033, "phase sequence restored"
    ALARM_INPUT = 0x8034, "alarm input"
    FIRMWARE_ACTIVATED = 0x8035, "firmware activated"
    ASSOCIATION_FAILED = 0x8036, "association failed"
    CONTACTOR_DISCONNECTED = 0x8040, "contactor disconnected"
    CONTACTOR_CONNECTED = 0x8041, "contactor connected"
    CONTACTOR_READY_FOR_RECONNECTION = 0x8042, "contactor ready for reconnection"
    LIMITER_OVER_THRESHOLD = 0x8043, "limiter over threshold"
    LIMITER_UNDER_THRESHOLD = 0x8044, "limiter under threshold"
    EMERGENCY_BEGINS = 0x8045, "emergency begins"
    EMERGENCY_ENDS = 0x8046, "emergency ends"
    SIM_REMOVED = 0x8050, "SIM card removed"
    SIM_INSERTED = 0x8051, "SIM card inserted"


SINGLE = 0x8000  # bit 15: a single event, not a set of flags
_FLAGS = tuple(c for c in EventCode if c < SINGLE)
_ALL_FLAGS = sum(_FLAGS)

#: Codes of per-phase events: the L1 code; L2 and L3 follow it.
PER_PHASE = frozenset(
    {
        EventCode.POWER_FAILURE_L1,
        EventCode.POWER_RETURNED_L1,
        EventCode.UNDER_VOLTAGE_BEGIN,
        EventCode.UNDER_VOLTAGE_END,
        EventCode.OVER_VOLTAGE_BEGIN,
        EventCode.OVER_VOLTAGE_END,
        EventCode.CURRENT_REVERSAL_BEGIN,
        EventCode.CURRENT_REVERSAL_END,
    }
)


def phase_code(code: EventCode, phase: int) -> EventCode:
    """The code of a per-phase event on phase 0..2."""
    if code not in PER_PHASE or not 0 <= phase <= 2:
        raise ValueError(f"{code.name} is not a per-phase event, or phase {phase} is not 0..2")
    return EventCode(code + phase)


def event_name(code: int) -> str:
    """``0x0090`` -> "billing reset, power failure"; unknown codes by number."""
    if code & SINGLE:
        try:
            return EventCode(code).words
        except ValueError:
            return f"event 0x{code:04x}"
    names = [flag.words for flag in _FLAGS if code & flag]
    rest = code & ~_ALL_FLAGS
    if rest or not names:
        names.append(f"event 0x{rest or code:04x}")
    return ", ".join(names)


class LpStatus(enum.IntFlag):
    """The status byte captured in the load profile (1.0.96.240.0.255)."""

    CRITICAL_ERROR = 0x01
    CLOCK_INVALID = 0x02
    DATA_NOT_VALID = 0x04
    DST_ACTIVE = 0x08
    BILLING_RESET = 0x10
    CLOCK_ADJUSTED = 0x20
    POWER_UP = 0x40
    POWER_DOWN = 0x80
