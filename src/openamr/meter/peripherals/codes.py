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

from openamr.meter.events import EventCode, describe

#: The peripherals' codes are members of the one log-book table.
PeripheralEvent = EventCode


def describe_peripheral(code: int) -> str | None:
    """Words for a peripheral code (0x8040..0x8046), None for any other code."""
    return describe(code) if 0x8040 <= code <= 0x8046 else None
