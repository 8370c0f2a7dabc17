"""Clock, class_id 8, version 0 (Blue Book 4.5.1).

=====  ==========================  ======================  ======
index  attribute                   type                    static
=====  ==========================  ======================  ======
2      time                        octet-string(12)
3      time_zone                   long (minutes)
4      status                      unsigned (clock status)
5      daylight_savings_begin      octet-string(12)
6      daylight_savings_end        octet-string(12)
7      daylight_savings_deviation  integer (minutes)
8      daylight_savings_enabled    boolean
9      clock_base                  enum                    yes
=====  ==========================  ======================  ======

Methods: 1 adjust_to_quarter, 2 adjust_to_measuring_period, 3 adjust_to_minute,
4 adjust_to_preset_time (each ``integer 0``), 5 preset_adjusting_time
(``structure {preset_time, validity_interval_start, validity_interval_end}``),
6 shift_time (``long`` seconds, -900..900).

The clock reads no wall clock: ``now()`` returns the current instant (aware) and
``set_now(instant)`` moves it, both injected (the twin's one simulated clock).

Signs follow the date-time deviation of the codec (Blue Book 4.1.6.1): time_zone
is ``UTC - local standard time`` in minutes (CET: -60); in summer the deviation
of ``time`` is ``time_zone - daylight_savings_deviation`` (CEST: -120) and the
status carries DAYLIGHT_SAVING_ACTIVE. daylight_savings_begin is read in local
standard time, daylight_savings_end in local summer time; both may use the
wildcards of 4.1.6.1 (year 0xFFFF every year; day 0xFE the last day of the
month; a weekday with a day: that weekday on or after the day, or on or before
the last/second-last day).

Refusals: a time that is not one instant is OTHER_REASON; so is a shift out of
-900..900 s and adjust_to_preset_time outside the validity interval (or with
no preset).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from typing import Any

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.datetime import (
    DEVIATION_NOT_SPECIFIED,
    LAST_DAY,
    NOT_SPECIFIED,
    SECOND_LAST_DAY,
    ClockStatus,
    CosemDateTime,
)
from openamr.codec.obis import Obis
from openamr.codec.types import Data, Enum, Integer, Long, OctetString, Tag, Unsigned
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.errors import DecodeError

#: The current instant (timezone-aware) of the simulated clock.
TimeSource = Callable[[], dt.datetime]
#: Moves the simulated clock to an instant.
TimeSetter = Callable[[dt.datetime], None]

REFUSED: MethodResult = (ActionResult.OTHER_REASON, None)
_DST = int(ClockStatus.DAYLIGHT_SAVING_ACTIVE)


class ClockBase(enum.IntEnum):
    NOT_DEFINED = 0
    INTERNAL_CRYSTAL = 1
    MAINS_50_HZ = 2
    MAINS_60_HZ = 3
    GPS = 4
    RADIO_CONTROLLED = 5


def check_date_time(value: Data) -> DataAccessResult | None:
    """An octet-string date-time attribute holds exactly 12 octets."""
    if not isinstance(value, bytes) or len(value) != CosemDateTime.SIZE:
        return DataAccessResult.TYPE_UNMATCHED
    return None


def check_dst_deviation(value: Data) -> DataAccessResult | None:
    """daylight_savings_deviation: -120..120 minutes."""
    return (
        None if isinstance(value, int) and -120 <= value <= 120 else DataAccessResult.OTHER_REASON
    )


def _int(value: Data) -> int:
    assert isinstance(value, int)
    return int(value)


def _octets(value: Data) -> bytes:
    assert isinstance(value, bytes)
    return bytes(value)


def resolve(spec: CosemDateTime, year: int) -> dt.datetime | None:
    """The naive local datetime a (possibly wildcarded) date-time names in
    ``year``; None when it names no single day (month or day unspecified)."""
    d, t = spec.date, spec.time
    year = year if d.year == 0xFFFF else d.year
    if not 1 <= d.month <= 12 or d.day == NOT_SPECIFIED or not 1 <= year <= 9999:
        return None
    month_end = (dt.date(year + d.month // 12, d.month % 12 + 1, 1) - dt.timedelta(days=1)).day
    day = {LAST_DAY: month_end, SECOND_LAST_DAY: month_end - 1}.get(d.day, d.day)
    if not 1 <= day <= month_end:
        return None
    date = dt.date(year, d.month, day)
    if 1 <= d.weekday <= 7:
        shift = d.weekday - date.isoweekday()
        if d.day in (LAST_DAY, SECOND_LAST_DAY):
            date += dt.timedelta(days=shift - 7 if shift > 0 else shift)
        else:
            date += dt.timedelta(days=shift % 7)
    fields = (t.hour, t.minute, t.second)
    h, m, s = (0 if f == NOT_SPECIFIED else f for f in fields)
    return dt.datetime.combine(date, dt.time(h, m, s))


class Clock(CosemObject, class_id=8, version=0):
    """The meter's clock over an injected time source."""

    ATTRIBUTES = (
        Attribute(2, "time", Tag.OCTET_STRING, check=check_date_time),
        Attribute(3, "time_zone", Tag.LONG),
        Attribute(4, "status", Tag.UNSIGNED),
        Attribute(5, "daylight_savings_begin", Tag.OCTET_STRING, check=check_date_time),
        Attribute(6, "daylight_savings_end", Tag.OCTET_STRING, check=check_date_time),
        Attribute(7, "daylight_savings_deviation", Tag.INTEGER, check=check_dst_deviation),
        Attribute(8, "daylight_savings_enabled", Tag.BOOLEAN),
        Attribute(9, "clock_base", Tag.ENUM, static=True),
    )
    METHODS = (
        Method(1, "adjust_to_quarter", Tag.INTEGER),
        Method(2, "adjust_to_measuring_period", Tag.INTEGER),
        Method(3, "adjust_to_minute", Tag.INTEGER),
        Method(4, "adjust_to_preset_time", Tag.INTEGER),
        Method(5, "preset_adjusting_time", Tag.STRUCTURE),
        Method(6, "shift_time", Tag.LONG),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        now: TimeSource,
        set_now: TimeSetter,
        time_zone: int = -60,
        dst_begin: bytes = bytes.fromhex("ffff 03 fe 07 02 00 00 00 8000 ff"),
        dst_end: bytes = bytes.fromhex("ffff 0a fe 07 03 00 00 00 8000 ff"),
        dst_deviation: int = 60,
        dst_enabled: bool = True,
        clock_base: ClockBase = ClockBase.INTERNAL_CRYSTAL,
        measuring_period: int = 900,
    ) -> None:
        """Defaults: Central European time, summer time from the last Sunday of
        March 02:00 to the last Sunday of October 03:00."""
        super().__init__(logical_name)
        self.now, self.set_now = now, set_now
        self.time_zone: Data = Long(time_zone)
        self.daylight_savings_begin: Data = OctetString(dst_begin)
        self.daylight_savings_end: Data = OctetString(dst_end)
        self.daylight_savings_deviation: Data = Integer(dst_deviation)
        self.daylight_savings_enabled: Data = dst_enabled
        self.clock_base: Data = Enum(clock_base)
        #: seconds; the period adjust_to_measuring_period rounds to
        self.measuring_period = measuring_period
        #: status flags other than DST (invalid, doubtful, different base, ...)
        self.flags = 0
        self.preset: tuple[dt.datetime, dt.datetime, dt.datetime] | None = None
        self._dst_cache: dict[tuple[object, ...], tuple[dt.datetime, dt.datetime] | None] = {}
        #: the last year dst_active answered for: the attributes it was computed from,
        #: the year's span and its window, as UTC instants
        self._dst_year: tuple[Any, ...] | None = None

    # -- local time -------------------------------------------------------------------------

    def rules_version(self) -> tuple[object, ...]:
        """The attributes the local time rules are made of (3, 5 to 8): equal as long
        as the rules are the same (a cache of them checks it)."""
        return (self.time_zone, self.daylight_savings_begin, self.daylight_savings_end,
                self.daylight_savings_deviation, self.daylight_savings_enabled)  # fmt: skip

    def standard_offset(self) -> dt.timedelta:
        """Local standard time minus UTC."""
        return dt.timedelta(minutes=-_int(self.time_zone))

    def dst_active(self, instant: dt.datetime) -> bool:
        """Whether summer time is in force at ``instant`` (aware)."""
        if not self.daylight_savings_enabled:
            return False
        year = self._dst_year
        if (
            year is not None
            and year[0] is self.time_zone
            and year[1] is self.daylight_savings_begin
            and year[2] is self.daylight_savings_end
            and year[3] is self.daylight_savings_deviation
            and year[4] <= instant < year[5]
        ):  # the year asked last, as instants: no conversion
            start: dt.datetime | None = year[6]
            stop: dt.datetime | None = year[7]
        else:
            try:
                start, stop = self._dst_instants(instant)
            except OverflowError:  # a window at the ends of the calendar
                return self._dst_active_standard(instant)
        if start is None or stop is None:
            return False
        if start <= stop:
            return start <= instant < stop
        return instant >= start or instant < stop  # southern hemisphere

    def _dst_active_standard(self, instant: dt.datetime) -> bool:
        """:meth:`dst_active`, compared in local standard time."""
        standard = (instant.astimezone(dt.UTC) + self.standard_offset()).replace(tzinfo=None)
        window = self._dst_window(standard.year)
        if window is None:
            return False
        start, stop = window
        if start <= stop:
            return start <= standard < stop
        return standard >= start or standard < stop  # southern hemisphere

    def _dst_instants(
        self, instant: dt.datetime
    ) -> tuple[dt.datetime, dt.datetime] | tuple[None, None]:
        """The summer time window of the standard-time year holding ``instant``, as
        UTC instants (each local standard time less the standard offset), and that
        year's span, remembered for the next question; (None, None): no window."""
        offset = self.standard_offset()
        standard = (instant.astimezone(dt.UTC) + offset).replace(tzinfo=None)
        window = self._dst_window(standard.year)
        span = [
            (dt.datetime(y, 1, 1) - offset).replace(tzinfo=dt.UTC) if y <= dt.MAXYEAR else None
            for y in (standard.year, standard.year + 1)
        ]  # an OverflowError at year 1 or 9999: the caller compares in standard time
        if window is None:
            start = stop = None
        else:
            start, stop = ((w - offset).replace(tzinfo=dt.UTC) for w in window)
        lo, hi = span
        if lo is not None and hi is not None:
            self._dst_year = (
                self.time_zone, self.daylight_savings_begin, self.daylight_savings_end,
                self.daylight_savings_deviation, lo, hi, start, stop,
            )  # fmt: skip
        if start is None or stop is None:
            return None, None
        return start, stop

    def _dst_window(self, year: int) -> tuple[dt.datetime, dt.datetime] | None:
        """Summer time of ``year`` in local standard time, [start, stop). Cached by
        the attribute values themselves, so any write of them invalidates it."""
        key = (year, self.daylight_savings_begin, self.daylight_savings_end,
               self.daylight_savings_deviation)  # fmt: skip
        if key not in self._dst_cache:
            if len(self._dst_cache) > 64:
                self._dst_cache.clear()
            self._dst_cache[key] = self._resolve_window(year)
        return self._dst_cache[key]

    def _resolve_window(self, year: int) -> tuple[dt.datetime, dt.datetime] | None:
        try:
            begin = CosemDateTime.from_bytes(_octets(self.daylight_savings_begin))
            end = CosemDateTime.from_bytes(_octets(self.daylight_savings_end))
        except DecodeError:
            return None
        start, stop = resolve(begin, year), resolve(end, year)
        if start is None or stop is None:
            return None
        return start, stop - dt.timedelta(minutes=_int(self.daylight_savings_deviation))

    def zone(self, instant: dt.datetime, dst: bool | None = None) -> dt.timezone:
        """The meter's local zone at ``instant`` (standard or summer time); ``dst``:
        :meth:`dst_active` at ``instant`` when the caller knows it already."""
        offset = self.standard_offset()
        if self.dst_active(instant) if dst is None else dst:
            offset += dt.timedelta(minutes=_int(self.daylight_savings_deviation))
        return dt.timezone(offset)

    def local_now(self) -> dt.datetime:
        """The current time in the meter's local time (aware)."""
        now = self.now()
        return now.astimezone(self.zone(now))

    def stamp(self) -> bytes:
        """The current local time as the 12 octets of a date-time, with status
        (what capture_time attributes and profile time stamps hold)."""
        local = self.local_now()
        return CosemDateTime.from_datetime(local, self.clock_status(local)).to_bytes()

    # -- attributes -----------------------------------------------------------------------

    def get_time(self) -> Data:
        return OctetString(self.stamp())

    def set_time(self, value: Data) -> DataAccessResult | None:
        instant = self.instant_of(value)
        if instant is None:
            return DataAccessResult.OTHER_REASON
        self.set_now(instant)
        self.flags &= ~int(ClockStatus.INVALID_VALUE | ClockStatus.DOUBTFUL_VALUE)
        return None

    def instant_of(self, value: Data) -> dt.datetime | None:
        """The instant an octet-string date-time names; without a deviation it is
        the meter's local time."""
        try:
            stamp = CosemDateTime.from_bytes(_octets(value))
            if stamp.deviation != DEVIATION_NOT_SPECIFIED:
                return stamp.to_datetime()
            naive = CosemDateTime(stamp.date, stamp.time).to_datetime()
        except (DecodeError, ValueError):
            return None
        return self.local_instant(naive)

    def local_instant(self, local: dt.datetime) -> dt.datetime:
        """The instant at which this clock shows the naive wall-clock time ``local``,
        with the zone in force then (summer time in July even when set in January; a
        time the spring jump skips or the autumn fall-back repeats takes the offset
        in force just before the change)."""
        guess = local.replace(tzinfo=self.zone(self.now()))
        for _ in range(2):  # the offset at the instant, from the offset at a guess
            guess = local.replace(tzinfo=self.zone(guess))
        return guess

    def clock_status(self, instant: dt.datetime) -> int:
        return self.flags | (_DST if self.dst_active(instant) else 0)

    def get_status(self) -> Data:
        return Unsigned(self.clock_status(self.now()))

    def set_status(self, value: Data) -> None:
        assert isinstance(value, int)
        self.flags = int(value) & ~_DST  # the DST bit follows the calendar

    # -- methods --------------------------------------------------------------------------------

    def _round_to(self, period: int) -> MethodResult:
        """Set the time to the nearest multiple of ``period`` s of local time
        (half-way rounds up, as adjust_to_minute's "30 s or more")."""
        if period <= 0:
            return REFUSED
        local = self.local_now()
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local - midnight).total_seconds()
        steps = int(elapsed // period + (1 if elapsed % period >= period / 2 else 0))
        self.set_now(midnight + dt.timedelta(seconds=steps * period))
        return SUCCESS

    def adjust_to_quarter(self, parameters: Data) -> MethodResult:
        return self._round_to(900)

    def adjust_to_measuring_period(self, parameters: Data) -> MethodResult:
        return self._round_to(self.measuring_period)

    def adjust_to_minute(self, parameters: Data) -> MethodResult:
        return self._round_to(60)

    def preset_adjusting_time(self, parameters: Data) -> MethodResult:
        """Store {preset_time, validity_interval_start, validity_interval_end}."""
        if not isinstance(parameters, tuple) or len(parameters) != 3:
            return ActionResult.TYPE_UNMATCHED, None
        if any(check_date_time(p) is not None for p in parameters):
            return ActionResult.TYPE_UNMATCHED, None
        preset, start, end = (self.instant_of(p) for p in parameters)
        if preset is None or start is None or end is None or start > end:
            return REFUSED
        self.preset = (preset, start, end)
        return SUCCESS

    def adjust_to_preset_time(self, parameters: Data) -> MethodResult:
        """Set the time to the preset time when now lies in its validity interval."""
        if self.preset is None:
            return REFUSED
        preset, start, end = self.preset
        if not start <= self.now() <= end:
            return REFUSED
        self.set_now(preset)
        self.preset = None
        return SUCCESS

    def shift_time(self, parameters: Data) -> MethodResult:
        """Shift the time by -900..900 seconds."""
        assert isinstance(parameters, int)
        if not -900 <= parameters <= 900:
            return REFUSED
        self.set_now(self.now() + dt.timedelta(seconds=int(parameters)))
        return SUCCESS
