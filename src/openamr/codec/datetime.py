"""COSEM date, time and date-time (Blue Book 4.1.6.1, "Date and time formats").

Fields are kept exactly as on the wire, wildcards included, so every 12/5/4-byte
value re-encodes byte for byte::

    date-time  year(2) month day weekday hour minute second hundredths deviation(2) status
    date       year(2) month day weekday
    time       hour minute second hundredths

Wildcards: 0xFF (0xFFFF for year) "not specified"; month 0xFE/0xFD DST begin/end;
day 0xFE/0xFD last/second-last day of the month; deviation 0x8000 not specified.

Deviation sign: the Blue Book defines the deviation as minutes *of local time to
UTC*, i.e. ``UTC - local``: Central European winter time (UTC+1) is ``-60``,
summer time ``-120`` with the DST status bit (as a Kaifa meter sends it:
``07e8 06 0f 06 14 17 2d 00 ff88 80``). gurux-dlms (by default) and dlms-cosem
read and write the same sign.
"""

from __future__ import annotations

import datetime as dt
import enum
import struct
from typing import ClassVar

from openamr.codec.record import record
from openamr.errors import DecodeError

NOT_SPECIFIED = 0xFF
YEAR_NOT_SPECIFIED = 0xFFFF
DEVIATION_NOT_SPECIFIED = -0x8000
DST_BEGIN = 0xFE
DST_END = 0xFD
LAST_DAY = 0xFE
SECOND_LAST_DAY = 0xFD


class ClockStatus(enum.IntFlag):
    """Clock status bits (Blue Book 4.1.6.1)."""

    INVALID_VALUE = 0x01
    DOUBTFUL_VALUE = 0x02
    DIFFERENT_CLOCK_BASE = 0x04
    INVALID_CLOCK_STATUS = 0x08
    DAYLIGHT_SAVING_ACTIVE = 0x80


_DATE = struct.Struct(">HBBB")
_TIME = struct.Struct(">BBBB")
_DATE_TIME = struct.Struct(">HBBBBBBBhB")


@record
class CosemDate:
    """date [26]: 5 bytes."""

    year: int = YEAR_NOT_SPECIFIED
    month: int = NOT_SPECIFIED
    day: int = NOT_SPECIFIED
    weekday: int = NOT_SPECIFIED
    SIZE: ClassVar[int] = 5

    @classmethod
    def from_bytes(cls, b: bytes) -> CosemDate:
        if len(b) != cls.SIZE:
            raise DecodeError(0, f"date needs {cls.SIZE} bytes, got {len(b)}")
        return cls(*_DATE.unpack(b))

    def to_bytes(self) -> bytes:
        return _DATE.pack(self.year, self.month, self.day, self.weekday)

    @classmethod
    def from_date(cls, d: dt.date) -> CosemDate:
        return cls(d.year, d.month, d.day, d.isoweekday())

    def to_date(self) -> dt.date:
        """The calendar date; raises ValueError when a field is a wildcard."""
        if self.year == YEAR_NOT_SPECIFIED or self.month > 12 or self.day > 31:
            raise ValueError(f"{self} has wildcards and is not one date")
        return dt.date(self.year, self.month, self.day)

    def __str__(self) -> str:
        y = "*" if self.year == YEAR_NOT_SPECIFIED else f"{self.year:04d}"
        m = {NOT_SPECIFIED: "*", DST_BEGIN: "DSTb", DST_END: "DSTe"}.get(
            self.month, f"{self.month:02d}"
        )
        d = {NOT_SPECIFIED: "*", LAST_DAY: "last", SECOND_LAST_DAY: "last-1"}.get(
            self.day, f"{self.day:02d}"
        )
        return f"{y}-{m}-{d}"


@record
class CosemTime:
    """time [27]: 4 bytes."""

    hour: int = NOT_SPECIFIED
    minute: int = NOT_SPECIFIED
    second: int = NOT_SPECIFIED
    hundredths: int = NOT_SPECIFIED
    SIZE: ClassVar[int] = 4

    @classmethod
    def from_bytes(cls, b: bytes) -> CosemTime:
        if len(b) != cls.SIZE:
            raise DecodeError(0, f"time needs {cls.SIZE} bytes, got {len(b)}")
        return cls(*_TIME.unpack(b))

    def to_bytes(self) -> bytes:
        return _TIME.pack(self.hour, self.minute, self.second, self.hundredths)

    @classmethod
    def from_time(cls, t: dt.time) -> CosemTime:
        return cls(t.hour, t.minute, t.second, t.microsecond // 10_000)

    def to_time(self) -> dt.time:
        """Wildcard seconds/hundredths read as 0; a wildcard hour or minute raises."""
        if self.hour == NOT_SPECIFIED or self.minute == NOT_SPECIFIED:
            raise ValueError(f"{self} has wildcards and is not one time")
        s = 0 if self.second == NOT_SPECIFIED else self.second
        h = 0 if self.hundredths == NOT_SPECIFIED else self.hundredths
        return dt.time(self.hour, self.minute, s, h * 10_000)

    def __str__(self) -> str:
        parts = (self.hour, self.minute, self.second)
        return ":".join("*" if p == NOT_SPECIFIED else f"{p:02d}" for p in parts)


@record
class CosemDateTime:
    """date-time [25]: 12 bytes; also carried as octet-string(12) by most objects."""

    date: CosemDate
    time: CosemTime
    deviation: int = DEVIATION_NOT_SPECIFIED
    clock_status: int = NOT_SPECIFIED
    SIZE: ClassVar[int] = 12

    @classmethod
    def from_bytes(cls, b: bytes) -> CosemDateTime:
        if len(b) != cls.SIZE:
            raise DecodeError(0, f"date-time needs {cls.SIZE} bytes, got {len(b)}")
        y, mo, d, wd, h, mi, s, hs, dev, st = _DATE_TIME.unpack(b)
        return cls(CosemDate(y, mo, d, wd), CosemTime(h, mi, s, hs), dev, st)

    def to_bytes(self) -> bytes:
        d, t = self.date, self.time
        return _DATE_TIME.pack(
            d.year, d.month, d.day, d.weekday,
            t.hour, t.minute, t.second, t.hundredths,
            self.deviation, self.clock_status,
        )  # fmt: skip

    @classmethod
    def from_datetime(cls, value: dt.datetime, clock_status: int | None = None) -> CosemDateTime:
        """A timezone-aware datetime gives its deviation; a naive one leaves it
        unspecified. Without ``clock_status`` the status is "valid", with
        ``DAYLIGHT_SAVING_ACTIVE`` set when the datetime's zone says DST is in force
        (``value.dst()``); an explicit ``clock_status`` is used as given."""
        if clock_status is None:
            dst = value.dst()
            clock_status = int(ClockStatus.DAYLIGHT_SAVING_ACTIVE) if dst else 0
        offset = value.utcoffset()
        deviation = (
            DEVIATION_NOT_SPECIFIED if offset is None else -int(offset.total_seconds() // 60)
        )
        return cls(
            CosemDate.from_date(value.date()),
            CosemTime.from_time(value.time()),
            deviation,
            clock_status,
        )

    def to_datetime(self) -> dt.datetime:
        """Aware when the deviation is given, naive otherwise."""
        tz = (
            None
            if self.deviation == DEVIATION_NOT_SPECIFIED
            else dt.timezone(dt.timedelta(minutes=-self.deviation))
        )
        return dt.datetime.combine(self.date.to_date(), self.time.to_time(), tz)

    @property
    def status(self) -> ClockStatus | None:
        return None if self.clock_status == NOT_SPECIFIED else ClockStatus(self.clock_status)

    def __str__(self) -> str:
        dev = "" if self.deviation == DEVIATION_NOT_SPECIFIED else f" dev={self.deviation}"
        return f"{self.date} {self.time}{dev}"


__all__ = [
    "DST_BEGIN",
    "DST_END",
    "LAST_DAY",
    "NOT_SPECIFIED",
    "SECOND_LAST_DAY",
    "ClockStatus",
    "CosemDate",
    "CosemDateTime",
    "CosemTime",
]
