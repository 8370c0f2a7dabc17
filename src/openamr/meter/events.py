"""The MT372 log-book's event codes and LP status bits (../shared/MT372.md section 3).

Codes without bit 15 are bit flags (they may be combined); codes with bit 15 are
single events. Events the MT372's published list lacks but the datasheet asks for
get codes in the manufacturer range from 0x8020 (a project decision, recorded here
and nowhere else):

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
==========  ==========================================
"""

from __future__ import annotations

import enum


class EventCode(enum.IntEnum):
    FATAL_ERROR = 0x0001
    CLOCK_RESERVE = 0x0002
    VALUE_CORRUPT = 0x0004
    DST_CHANGE = 0x0008
    BILLING_RESET = 0x0010
    DEVICE_CLOCK_CHANGED = 0x0020
    CLOCK_CHANGED = 0x0020  # alias
    POWER_RETURNED = 0x0040
    POWER_FAILURE = 0x0080
    VARIABLE_SET = 0x0100
    EVENT_LOG_CLEARED = 0x2000
    LOAD_PROFILE_CLEARED = 0x4000
    POWER_FAILURE_L1 = 0x8001
    POWER_FAILURE_L2 = 0x8002
    POWER_FAILURE_L3 = 0x8003
    POWER_RETURNED_L1 = 0x8004
    POWER_RETURNED_L2 = 0x8005
    POWER_RETURNED_L3 = 0x8006
    METER_COVER_OPENED = 0x8010
    TERMINAL_COVER_OPENED = 0x8011
    UNDER_VOLTAGE_BEGIN = 0x8020
    UNDER_VOLTAGE_END = 0x8023
    OVER_VOLTAGE_BEGIN = 0x8026
    OVER_VOLTAGE_END = 0x8029
    CURRENT_REVERSAL_BEGIN = 0x802C
    CURRENT_REVERSAL_END = 0x802F
    PHASE_SEQUENCE_ERROR = 0x8032
    PHASE_SEQUENCE_RESTORED = 0x8033
    ALARM_INPUT = 0x8034
    FIRMWARE_ACTIVATED = 0x8035
    ASSOCIATION_FAILED = 0x8036
    CONTACTOR_DISCONNECTED = 0x8040
    CONTACTOR_CONNECTED = 0x8041
    CONTACTOR_READY_FOR_RECONNECTION = 0x8042
    LIMITER_OVER_THRESHOLD = 0x8043
    LIMITER_UNDER_THRESHOLD = 0x8044
    EMERGENCY_BEGINS = 0x8045
    EMERGENCY_ENDS = 0x8046


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


def phase_code(code: EventCode, phase: int) -> int:
    """The code of a per-phase event on phase 0..2."""
    if code not in PER_PHASE or not 0 <= phase <= 2:
        raise ValueError(f"{code.name} is not a per-phase event, or phase {phase} is not 0..2")
    return code + phase


def describe(code: int) -> str:
    """Words for a logged code (per-phase codes name their phase)."""
    for base in PER_PHASE:
        if base <= code <= base + 2:
            return f"{base.name.lower().replace('_l1', '').replace('_', ' ')} L{code - base + 1}"
    try:
        return EventCode(code).name.lower().replace("_", " ")
    except ValueError:
        flags = [c.name.lower().replace("_", " ") for c in EventCode if c < 0x8000 and code & c]
        return " + ".join(flags) if flags else f"event {code:#06x}"


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
