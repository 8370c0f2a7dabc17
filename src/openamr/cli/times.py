"""One rule for every time the command line takes and shows (issue 10).

**Taken** (``--from``, ``--to``, ``clock --set``, ``meter serve --start``, ``fleet serve
--start``): ISO 8601, as ``datetime.fromisoformat`` reads it (``2026-06-01``,
``2026-06-01T12:00``, ``2026-06-01T12:00:30+02:00``, ``...Z``). With an offset it is
that instant. Without one it is **the meter's local time**, the wall-clock time its
Clock (0.0.1.0.0.255, class 8) shows: it goes to the meter as a date-time whose
deviation is "not specified" (Blue Book 4.1.6.1), and the meter places it with its own
time zone and daylight-saving rules (attributes 3 to 8), as it does for its own
schedules. A twin that is not running yet (``--start``) is asked nothing: its local
time is the MT372's default zone, Central European time with EU summer time (what its
Clock object starts with, docs/mt372.md).

**Shown**: every time is ISO 8601 with the offset the meter gave with it (its
deviation: ``2026-12-03T18:38:39+01:00``), so that a table, a CSV and JSON show the
meter's own wall-clock time and the instant both. A time the meter sent without a
deviation is its local time and is shown without an offset. ``clock`` shows this
computer's time in the meter's offset beside it, so that the two read alike.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from openamr.codec.obis import Obis
from openamr.cosem.classes.clock import Clock


def parse_time(text: str | None, flag: str) -> dt.datetime | None:
    """``text`` (ISO 8601) as a datetime: aware with an offset, naive (the meter's
    local time) without; a usage error that names ``flag`` otherwise."""
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not ISO 8601, e.g. 2026-01-01T00:00 (the meter's local time) "
            "or 2026-01-01T00:00+01:00",
            param_hint=flag,
        ) from None


if TYPE_CHECKING:  # click >= 8.3 types ParamType's value; older ones are not generic
    _ParamType = click.ParamType[dt.datetime, Any]
else:
    _ParamType = click.ParamType


class IsoTime(_ParamType):
    """A click parameter read by :func:`parse_time` (the same forms as ``--from``)."""

    name = "ISO"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        flag = f"--{param.name}" if param is not None and param.name else "time"
        return parse_time(str(value), flag)


def twin_local(when: dt.datetime) -> dt.datetime:
    """A time for a twin not running yet: aware as given; naive, the MT372 Clock's
    default local time (CET/CEST), placed as its Clock object places it."""
    if when.tzinfo is not None:
        return when
    at = when.replace(tzinfo=dt.UTC)
    clock = Clock(Obis(0, 0, 1, 0, 0, 255), now=lambda: at, set_now=lambda _: None)
    return clock.local_instant(when)


def in_offset_of(when: dt.datetime, meter_time: dt.datetime) -> dt.datetime:
    """``when`` (aware) shown in the offset of ``meter_time`` (when it has one)."""
    if meter_time.tzinfo is None or when.tzinfo is None:
        return when
    return when.astimezone(meter_time.tzinfo)
