"""Fast forms of the twin's time questions (issue 9): a load profile row's time
stamp (the Clock's local date-time, Blue Book 4.5.1 class 8; date-time 4.1.6.1) and
the whole second an instant falls in.

:func:`lp_stamp` equals :func:`openamr.meter.profiles.stamp` for an instant whose
``dst_active`` the caller knows already (the LP1 row needs it for its status too),
so a row costs one DST look-up instead of three; :class:`LpStamps` gives the same
octets for a run of rows, the date's and the time's octets each packed once.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence

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


def _zone(clock: Clock, at: dt.datetime, dst: bool) -> tuple[dt.timezone, int]:
    """The clock's zone at ``at`` and its deviation (minutes, local to UTC)."""
    key = (int(clock.time_zone), int(clock.daylight_savings_deviation), dst)  # type: ignore[arg-type]
    found = _ZONES.get(key)
    if found is None:
        zone = clock.zone(at, dst)
        offset = zone.utcoffset(None)
        assert offset is not None
        found = _ZONES[key] = (zone, -int(offset.total_seconds() // 60))
    return found


def lp_stamp(clock: Clock, at: dt.datetime, dst: bool, flags: int) -> bytes:
    """The 12 octets the meter writes for ``at``, given ``clock.dst_active(at)`` and
    the clock's status flags (``clock.flags``)."""
    zone, deviation = _zone(clock, at, dst)
    local = at.astimezone(zone)
    return _DATE_TIME.pack(
        local.year, local.month, local.day, local.isoweekday(), local.hour, local.minute,
        local.second, local.microsecond // 10_000, deviation,
        flags | (_CLOCK_DST if dst else 0),
    )  # fmt: skip


_DATE, _TIME, _TAIL = struct.Struct(">HBBB"), struct.Struct(">BBB"), struct.Struct(">BhB")
#: the time of day's octets (hour, minute, second) by the second of the day
_TIMES: dict[int, bytes] = {}
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()


class LpStamps:
    """:func:`lp_stamp` for a run of rows of one clock whose zone settings do not
    change meanwhile (one advance's stretch between two boundaries): the date's,
    the time's and the status's octets are packed once each and joined."""

    __slots__ = ("_clock", "_dates", "_tails")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._dates: dict[int, bytes] = {}  # by local day since the epoch
        self._tails: dict[tuple[bool, int], tuple[int, bytes]] = {}  # offset s, tail

    def __call__(self, at: dt.datetime, dst: bool, flags: int) -> bytes:
        """``lp_stamp(clock, at, dst, flags)``."""
        if at.microsecond:
            return lp_stamp(self._clock, at, dst, flags)
        offset, tail = self._tail(at, dst, flags)
        return self._stamp((at - _EPOCH) // _SECOND + offset, tail)

    def run(self, first: dt.datetime, step: int, dsts: Sequence[bool], flags: int) -> list[bytes]:
        """``self(first + k * step seconds, dsts[k], flags)`` for each k: the stamps of
        a run of LP1 rows, counted in whole seconds."""
        if first.microsecond:
            span = dt.timedelta(seconds=step)
            return [self(first + k * span, dst, flags) for k, dst in enumerate(dsts)]
        s, out, dates, times = (first - _EPOCH) // _SECOND, [], self._dates, _TIMES
        tails: dict[bool, tuple[int, bytes]] = {}
        for dst in dsts:  # _stamp, written out
            found = tails.get(dst)
            if found is None:
                found = tails[dst] = self._tail(first, dst, flags)
            day, second = divmod(s + found[0], 86_400)
            date, time = dates.get(day), times.get(second)
            if date is None or time is None:
                out.append(self._stamp(s + found[0], found[1]))
            else:
                out.append(date + time + found[1])
            s += step
        return out

    def _tail(self, at: dt.datetime, dst: bool, flags: int) -> tuple[int, bytes]:
        """The local time's offset (s) and the stamp's last octets (hundredths,
        deviation, status) of a stamp with ``dst`` and ``flags``."""
        found = self._tails.get((dst, flags))
        if found is None:
            _, deviation = _zone(self._clock, at, dst)
            tail = _TAIL.pack(0, deviation, flags | (_CLOCK_DST if dst else 0))
            found = self._tails[dst, flags] = (-60 * deviation, tail)
        return found

    def _stamp(self, local: int, tail: bytes) -> bytes:
        """The stamp of local second ``local`` (since the epoch) with ``tail``."""
        day, second = divmod(local, 86_400)
        date = self._dates.get(day)
        if date is None:
            d = dt.date.fromordinal(_UNIX_ORDINAL + day)
            date = self._dates[day] = _DATE.pack(d.year, d.month, d.day, d.isoweekday())
        time = _TIMES.get(second)
        if time is None:
            time = _TIMES[second] = _TIME.pack(second // 3600, second // 60 % 60, second % 60)
        return date + time + tail
