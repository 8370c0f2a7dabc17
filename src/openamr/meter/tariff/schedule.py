"""Execution times of a Single action schedule (class 22, Blue Book 4.5.7), as
instants: when the end of billing (or any scheduled script) runs.

``execution_time`` (attribute 4)::

    array of structure { time octet-string(4), date octet-string(5) }

    time   hour minute second hundredths   hour/minute 0xFF: every hour/minute;
                                           second/hundredths 0xFF read as 0
    date   year(2) month day weekday       0xFFFF/0xFF any; day 0xFE/0xFD the
                                           last/second-last day of the month

Times are the meter's local time. Each named local time runs once: one the
spring jump skips runs at the jump, one the autumn fall-back repeats runs at its
first occurrence only (:func:`~openamr.meter.tariff.localtime.local_occurrences`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from openamr.codec.datetime import NOT_SPECIFIED, CosemDate, CosemTime
from openamr.codec.table import Table
from openamr.codec.types import Array, Data, OctetString, Structure
from openamr.meter.tariff.localtime import DAY, LocalTime, local_occurrences
from openamr.meter.tariff.model import Refusal, date_matches, date_pattern_error

_ANY = NOT_SPECIFIED


@dataclass(frozen=True, slots=True)
class ExecutionTime:
    time: CosemTime
    date: CosemDate

    def times_of_day(self) -> list[dt.time]:
        t = self.time
        hours = range(24) if t.hour == _ANY else (t.hour,)
        minutes = range(60) if t.minute == _ANY else (t.minute,)
        second = 0 if t.second == _ANY else t.second
        return [dt.time(h, m, second) for h in hours for m in minutes]

    def to_data(self) -> Structure:
        return Structure((OctetString(self.time.to_bytes()), OctetString(self.date.to_bytes())))


@dataclass(frozen=True, slots=True)
class Schedule:
    """The execution times of a single action schedule."""

    times: tuple[ExecutionTime, ...]

    def local_times(self, lo: dt.datetime, hi: dt.datetime) -> list[dt.datetime]:
        """The naive local times in ``[lo, hi)`` this schedule names, sorted."""
        found: set[dt.datetime] = set()
        day = lo.date()
        while day <= hi.date():
            for e in self.times:
                if date_matches(e.date, day):
                    found.update(dt.datetime.combine(day, t) for t in e.times_of_day())
            day += DAY
        return sorted(t for t in found if lo <= t < hi)

    def occurrences(self, t0: dt.datetime, t1: dt.datetime, rules: LocalTime) -> list[dt.datetime]:
        """The instants (UTC) in ``(t0, t1]`` at which the schedule runs."""
        return [at for at, _ in local_occurrences(rules, t0, t1, self.local_times)]

    def to_data(self) -> Array:
        return Array(e.to_data() for e in self.times)


def _time_error(t: CosemTime) -> str | None:
    fields = ((t.hour, 24), (t.minute, 60), (t.second, 60), (t.hundredths, 100))
    if any(not (v < most or v == _ANY) for v, most in fields):
        return f"{t} is not a time pattern"
    return None


def parse_schedule(value: Data) -> Schedule | Refusal:
    """The execution_time attribute value, or why it is refused."""
    if not isinstance(value, (list, Table)):
        return Refusal("execution_time must be an array")
    times = []
    for i, entry in enumerate(value):
        if not (isinstance(entry, tuple) and len(entry) == 2):
            return Refusal(f"execution_time[{i}] must be a structure {{time, date}}")
        t, d = entry
        if not (isinstance(t, bytes) and len(t) == 4 and isinstance(d, bytes) and len(d) == 5):
            return Refusal(f"execution_time[{i}]: time needs 4 octets, date 5")
        e = ExecutionTime(CosemTime.from_bytes(t), CosemDate.from_bytes(d))
        error = _time_error(e.time) or date_pattern_error(e.date)
        if error is not None:
            return Refusal(f"execution_time[{i}]: {error}")
        times.append(e)
    return Schedule(tuple(times))


def monthly(day: int = 1, at: dt.time = dt.time(0)) -> Schedule:
    """Every month on ``day`` (0xFE: the last day) at local time ``at``."""
    return Schedule((ExecutionTime(CosemTime.from_time(at), CosemDate(0xFFFF, _ANY, day, _ANY)),))


def daily(at: dt.time = dt.time(0)) -> Schedule:
    """Every day at local time ``at``."""
    return Schedule((ExecutionTime(CosemTime.from_time(at), CosemDate(0xFFFF, _ANY, _ANY, _ANY)),))


FIRST_OF_MONTH = monthly()
MIDNIGHT = daily()
