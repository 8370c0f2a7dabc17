"""The MT372 log-book's event codes and LP status bits, as the meter side uses them.

They are declared once, with their names, in :mod:`openamr.devices.mt372.events`
(docs/mt372.md); this module only gives them to the engine.
"""

from __future__ import annotations

from openamr.devices.mt372.events import PER_PHASE, EventCode, LpStatus, event_name, phase_code

#: Words for a logged code (the same as the client prints).
describe = event_name

__all__ = ["PER_PHASE", "EventCode", "LpStatus", "describe", "phase_code"]
