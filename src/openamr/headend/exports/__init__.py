"""Exports of stored readings with their quality: CSV (:mod:`.csv`), IEC 61968-9
MeterReadings XML (:mod:`.cim`) and EDIFACT MSCONS (:mod:`.mscons`), each a sans-IO
writer fed rows in batches (``begin()``, ``rows(batch)``, ``end()``, each returning
text), and :mod:`.source`, which streams the rows out of the store meter by meter.

A row is a reading as stored, merged with what VEE found at it (``reading_vee``):
its value is VEE's estimate or edit where there is one (the raw value then kept in
``original``), and intervals VEE estimated where the meter gave nothing are rows
too. docs/exports.md shows a sample of each format.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from openamr.headend.model import Quality
from openamr.headend.vee import flag_names

FORMATS = ("csv", "cim", "mscons")
MEDIA_TYPES = {"csv": "text/csv", "cim": "application/xml", "mscons": "application/edifact"}


class ExportRow(NamedTuple):
    serial: str
    channel: str  # "OBIS:attr" (register) or "PROFILE/OBIS:attr" (profile column)
    ts: int  # UTC seconds; a profile entry: the end of its interval
    value: float
    unit: str
    status: int | None  # the profile's status byte
    quality: int  # Quality flags (ESTIMATED / EDITED set where VEE changed the value)
    vee: int  # VEE's Flag bits
    method: str  # how VEE made the value ("" : as read)
    original: float | None  # the raw value VEE replaced (None: none, or not replaced)

    @property
    def profile(self) -> bool:
        return "/" in self.channel

    def quality_names(self) -> tuple[str, ...]:
        return quality_names(self.quality, self.vee)


class Writer(Protocol):
    def begin(self) -> str: ...

    def rows(self, rows: Sequence[ExportRow]) -> str: ...

    def end(self) -> str: ...


@functools.lru_cache(maxsize=256)
def quality_names(quality: int, vee: int) -> tuple[str, ...]:
    """The head-end's flags then VEE's, by name (a few combinations recur: cached)."""
    names = [str(q.name).lower() for q in Quality if q and quality & q]
    return (*names, *flag_names(vee))


@functools.lru_cache(maxsize=64)
def _day(day: int) -> str:
    return dt.date.fromordinal(EPOCH_ORDINAL + day).isoformat()


EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def iso(ts: int) -> str:
    """ISO 8601 UTC, to the second (the date of each day formatted once)."""
    day, second = divmod(ts, 86400)
    hours, rest = divmod(second, 3600)
    return f"{_day(day)}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


def number(value: float) -> str:
    """A value as short as it is exact: 1234.0 -> '1234', 0.1 -> '0.1'."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
