"""The MT372 twin's factory calendar, as the COSEM Data values a client would write.

Decision ([I]: the datasheet says "1 .. 4 rates, 4 seasons" and gives no
programme; this is the classic two-rate residential tariff of Iskraemeco's home
market, higher rate VT on working days by day, lower rate MT by night and at
weekends):

=======  =======================  ===========================================
season   starts (every year)      week
=======  =======================  ===========================================
winter   1 October 00:00          "workweek": Mon-Fri day 1, Sat-Sun day 2
summer   1 April 00:00            "workweek" (same programme: two seasons so
                                  that a utility can change one of them)
=======  =======================  ===========================================

* day 1: 00:00 T2, 06:00 T1, 22:00 T2 (T1 06:00-22:00)
* day 2: 00:00 T2 (all day)
* special days (day 2, every year): Slovenia's public holidays on fixed dates:
  1 and 2 January, 8 February, 27 April, 1 and 2 May, 25 June, 15 August,
  31 October, 1 November, 25 and 26 December.

The builders below (:func:`season`, :func:`week`, :func:`day`, :func:`special_day`)
make any calendar in the same encoding, for tests and for the twin's CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, LongUnsigned, OctetString, Structure, Unsigned
from openamr.meter.tariff.calendar import Calendar, parse_calendar
from openamr.meter.tariff.model import TARIFF_SCRIPT

EVERY_YEAR = 0xFFFF
ANY = 0xFF


def season(
    name: bytes, month: int, day: int, week_name: bytes, year: int = EVERY_YEAR
) -> Structure:
    """A season starting at 00:00 local time on ``day`` of ``month``."""
    start = CosemDateTime(CosemDate(year, month, day, ANY), CosemTime(0, 0, 0, 0), -0x8000, ANY)
    return Structure((OctetString(name), OctetString(start.to_bytes()), OctetString(week_name)))


def week(name: bytes, day_ids: Sequence[int]) -> Structure:
    """A week profile: day_id for Monday .. Sunday."""
    if len(day_ids) != 7:
        raise ValueError("a week has 7 days")
    return Structure((OctetString(name), *(Unsigned(d) for d in day_ids)))


def day(
    day_id: int, switches: Sequence[tuple[dt.time, int]], script: Obis = TARIFF_SCRIPT
) -> Structure:
    """A day profile: at each local time, ``script`` with that selector (rate)."""
    actions = Array(
        Structure(
            (
                OctetString(CosemTime.from_time(t).to_bytes()),
                OctetString(script.to_bytes()),
                LongUnsigned(selector),
            )
        )
        for t, selector in switches
    )
    return Structure((Unsigned(day_id), actions))


def special_day(
    index: int, month: int, day_of_month: int, day_id: int, year: int = EVERY_YEAR
) -> Structure:
    date = CosemDate(year, month, day_of_month, ANY)
    return Structure((LongUnsigned(index), OctetString(date.to_bytes()), Unsigned(day_id)))


@dataclass(frozen=True, slots=True)
class CalendarData:
    """The attribute values of the activity calendar (3/7, 4/8, 5/9) and the
    special days table (2)."""

    season_profile: Data
    week_profile_table: Data
    day_profile_table: Data
    special_days: Data

    def parse(self) -> Calendar:
        """The calendar (these values are known good; a refusal is a bug)."""
        found = parse_calendar(
            self.season_profile, self.week_profile_table, self.day_profile_table, self.special_days
        )
        if not isinstance(found, Calendar):
            raise ValueError(f"calendar refused: {found.reason}")
        return found


T1, T2 = 1, 2
HOLIDAYS = ((1, 1), (1, 2), (2, 8), (4, 27), (5, 1), (5, 2), (6, 25), (8, 15), (10, 31),
            (11, 1), (12, 25), (12, 26))  # fmt: skip


def mt372_calendar() -> CalendarData:
    """The factory calendar of the MT372 twin (see the module docstring)."""
    workday = [(dt.time(0), T2), (dt.time(6), T1), (dt.time(22), T2)]
    return CalendarData(
        season_profile=Array([season(b"winter", 10, 1, b"workweek"),
                              season(b"summer", 4, 1, b"workweek")]),
        week_profile_table=Array([week(b"workweek", [1, 1, 1, 1, 1, 2, 2])]),
        day_profile_table=Array([day(1, workday), day(2, [(dt.time(0), T2)])]),
        special_days=Array(special_day(i + 1, m, d, 2) for i, (m, d) in enumerate(HOLIDAYS)),
    )  # fmt: skip
