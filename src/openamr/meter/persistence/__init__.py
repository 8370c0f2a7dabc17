"""The twin survives restarts (issue 4, "Persistence and control"; ARCHITECTURE.md
"Nothing lost"): the public face of the package.

``memory.py`` saves and restores the twin's non-volatile state in a
:class:`~openamr.meter.state.StateStore`; ``json_codec.py`` is the engine's state as
exact JSON. Import from here.
"""

from openamr.meter.persistence import json_codec
from openamr.meter.persistence.memory import (
    ENGINE,
    Persistence,
    Persistent,
    RecordingHandler,
    ResumedTime,
    Written,
    resume_time,
)

__all__ = [
    "ENGINE",
    "Persistence",
    "Persistent",
    "RecordingHandler",
    "ResumedTime",
    "Written",
    "json_codec",
    "resume_time",
]
