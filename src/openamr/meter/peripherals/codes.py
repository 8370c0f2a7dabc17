"""Log-book codes of the peripherals (a project decision, [I]).

The MT372's published list (../shared/MT372.md section 3, :mod:`openamr.meter.events`)
names the cover openings (0x8010, 0x8011) and, in the project's range from 0x8020,
the alarm input P3 (0x8034). The contactor and the limiter have no published code;
they take the next free block of the manufacturer range:

==========  ======================================================
0x8040      contactor disconnected (remote, or the Mx372 view)
0x8041      contactor connected
0x8042      contactor ready for reconnection (limiter, button)
0x8043      limiter: over the threshold for the minimum duration
0x8044      limiter: back under it for the minimum duration
0x8045      emergency ("code red") threshold in force
0x8046      emergency threshold over
==========  ======================================================
"""

from __future__ import annotations

import enum


class PeripheralEvent(enum.IntEnum):
    CONTACTOR_DISCONNECTED = 0x8040
    CONTACTOR_CONNECTED = 0x8041
    CONTACTOR_READY_FOR_RECONNECTION = 0x8042
    LIMITER_OVER_THRESHOLD = 0x8043
    LIMITER_UNDER_THRESHOLD = 0x8044
    EMERGENCY_BEGINS = 0x8045
    EMERGENCY_ENDS = 0x8046


def describe_peripheral(code: int) -> str | None:
    """Words for a peripheral code, None for any other code."""
    try:
        return PeripheralEvent(code).name.lower().replace("_", " ")
    except ValueError:
        return None
