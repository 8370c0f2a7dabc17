"""Fast forms of the twin's time questions (issue 9): a load profile row's time
stamp (the Clock's local date-time, Blue Book 4.5.1 class 8; date-time 4.1.6.1) and
the whole second an instant falls in.

:func:`lp_stamp` equals :func:`openamr.meter.profiles.stamp` for an instant whose
``dst_active`` the caller knows already (the LP1 row needs it for its status too),
so a row costs one DST look-up instead of three.
"""

from __future__ import annotations

import datetime as dt
import struct

from openamr.codec.datetime import ClockStatus
from openamr.cosem.classes.clock import Clock

_CLOCK_DST = int(ClockStatus.DAYLIGHT_SAVING_ACTIVE)
_DATE_TIME = struct.Struct(">HBBBBBBBhB")  # date-time, Blue Book 4.1.6.1
_EPOCH, _SECOND = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.timedelta(seconds=1)
#: Clock.zone by what it depends on: time_zone, the DST deviation, summer time or not
_ZONES: dict[tuple[int, int, bool], tuple[dt.timezone, int]] = {}


def whole_second(at: dt.datetime) -> int:
    """The whole second (since the Unix epoch) holding the aware instant ``at``."""
    return (at - _EPOCH) // _SECOND


def lp_stamp(clock: Clock, at: dt.datetime, dst: bool, flags: int) -> bytes:
    """The 12 octets the meter writes for ``at``, given ``clock.dst_active(at)`` and
    the clock's status flags (``clock.flags``)."""
    key = (int(clock.time_zone), int(clock.daylight_savings_deviation), dst)  # type: ignore[arg-type]
    found = _ZONES.get(key)
    if found is None:
        zone = clock.zone(at, dst)
        offset = zone.utcoffset(None)
        assert offset is not None
        found = _ZONES[key] = (zone, -int(offset.total_seconds() // 60))
    zone, deviation = found
    local = at.astimezone(zone)
    return _DATE_TIME.pack(
        local.year, local.month, local.day, local.isoweekday(), local.hour, local.minute,
        local.second, local.microsecond // 10_000, deviation,
        flags | (_CLOCK_DST if dst else 0),
    )  # fmt: skip
