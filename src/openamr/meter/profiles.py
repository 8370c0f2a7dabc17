"""The MT372's load profiles (../shared/MT372.md section 4).

LP1 1.0.99.1.0.255: clock, status (1.0.96.240.0.255), A+ and A- totals, every
15 minutes by default, 19,680 entries (380 days at 30 min, two energy channels).
LP2 1.0.99.2.0.255: daily, clock, status, A+, A-, P1 and P2 impulse counters.
Entries are time-stamped at the end of their period.
"""

from __future__ import annotations

import datetime as dt

from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.table import Field
from openamr.codec.types import Tag
from openamr.cosem.classes.clock import Clock
from openamr.cosem.classes.profile_generic import ProfileGeneric

CLOCK = CaptureObjectDefinition(8, Obis(0, 0, 1, 0, 0, 255), 2, 0)
STATUS = CaptureObjectDefinition(1, Obis(1, 0, 96, 240, 0, 255), 2, 0)
A_PLUS = CaptureObjectDefinition(3, Obis(1, 0, 1, 8, 0, 255), 2, 0)
A_MINUS = CaptureObjectDefinition(3, Obis(1, 0, 2, 8, 0, 255), 2, 0)
P1 = CaptureObjectDefinition(3, Obis(8, 0, 1, 0, 0, 255), 2, 0)
P2 = CaptureObjectDefinition(3, Obis(7, 0, 3, 0, 0, 255), 2, 0)

STAMP = Field(Tag.OCTET_STRING, 12)
U8, U32 = Field(Tag.UNSIGNED), Field(Tag.DOUBLE_LONG_UNSIGNED)
LP1_ENTRIES = 19_680
LP2_ENTRIES = 400


def load_profile_1(period: int = 900) -> ProfileGeneric:
    columns = ((CLOCK, STAMP), (STATUS, U8), (A_PLUS, U32), (A_MINUS, U32))
    return ProfileGeneric("1.0.99.1.0.255", columns, period, LP1_ENTRIES)


def load_profile_2() -> ProfileGeneric:
    columns = ((CLOCK, STAMP), (STATUS, U8), (A_PLUS, U32), (A_MINUS, U32), (P1, U32), (P2, U32))
    return ProfileGeneric("1.0.99.2.0.255", columns, 86_400, LP2_ENTRIES)


def stamp(clock: Clock, instant: dt.datetime) -> bytes:
    """The 12-byte local time stamp the meter writes for ``instant``."""
    local = instant.astimezone(clock.zone(instant))
    return CosemDateTime.from_datetime(local, clock.clock_status(instant)).to_bytes()
