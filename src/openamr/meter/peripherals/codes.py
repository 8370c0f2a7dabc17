"""Log-book codes of the peripherals (a project decision, [I]).

The MT372's published list (docs/mt372.md) names the cover openings
(0x8010, 0x8011); the alarm input P3 (0x8034), the contactor and the limiter
(0x8040..0x8046) take codes of the project's manufacturer range. All of them, with
their names, are declared once in :mod:`openamr.devices.mt372.events`.
"""

from __future__ import annotations

from openamr.meter.events import EventCode, describe

#: The peripherals' codes are members of the one log-book table.
PeripheralEvent = EventCode


def describe_peripheral(code: int) -> str | None:
    """Words for a peripheral code (0x8040..0x8046), None for any other code."""
    return describe(code) if 0x8040 <= code <= 0x8046 else None
