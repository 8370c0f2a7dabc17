"""Programming commands with confirmation: the tariff calendar and the push setup,
each written, read back and compared (the A-XDR encoding of what was written
against what the meter answers), with the command's states queued -> sent ->
confirmed or failed in ``commands``/``command_history``.

``tariff_calendar``: the *passive* calendar of Activity calendar 0.0.13.0.0.255
(class 20, Blue Book 4.5.5: attributes 6 to 9) and, when given, its activation
time (attribute 10; the meter copies passive to active then)::

    {"name": "T2027",
     "seasons": [{"name": "S1", "start": "01-01", "week": "W1"}],       MM-DD, any year
     "weeks":   [{"name": "W1", "days": [1, 1, 1, 1, 1, 2, 2]}],        Monday..Sunday
     "days":    [{"id": 1, "schedule": [{"start": "07:00", "rate": 1},
                                        {"start": "21:00", "rate": 2}]},
                 {"id": 2, "schedule": [{"start": "00:00", "rate": 2}]}],
     "activate_at": 1798761600}                                        UTC seconds

A day action runs the tariff script 0.0.10.0.100.255 with script_selector = the
rate (docs/mt372.md, "Tariffs").

``push_setup``: Push setup 0.0.25.9.0.255 (class 40, Blue Book 4.4.8.2)
send_destination_and_method (attribute 3), ``{"destination": "HOST:PORT"}``
(transport TCP, A-XDR messages), the address of the head-end's alarm listener.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from openamr.codec import encode
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, Enum, LongUnsigned, OctetString, Structure, Unsigned
from openamr.devices.mt372.objects import CALENDAR, PUSH_SETUP

PROGRAMMING = ("tariff_calendar", "push_setup")
#: the tariff script of the MT372 (docs/mt372.md): selector n switches to rate n
TARIFF_SCRIPT = Obis(0, 0, 10, 0, 100, 255)
RATES = range(1, 5)
TCP, A_XDR = 0, 0


class ProgrammingError(ValueError):
    """A field of a programming command that cannot be sent; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _name(value: Any, field: str) -> OctetString:
    if not isinstance(value, str) or not 0 < len(value.encode()) <= 16:
        raise ProgrammingError(field, "a name of 1 to 16 characters")
    return OctetString(value.encode())


def _list(params: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = params.get(field)
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        raise ProgrammingError(field, "a non-empty list of objects (see docs/headend-api.md)")
    return value


def _season_start(value: Any, field: str) -> OctetString:
    found = re.fullmatch(r"(\d\d)-(\d\d)", str(value))
    if not found or not 1 <= int(found[1]) <= 12 or not 1 <= int(found[2]) <= 31:
        raise ProgrammingError(field, 'a month and day "MM-DD", e.g. "04-01"')
    start = CosemDateTime(
        CosemDate(0xFFFF, int(found[1]), int(found[2]), 0xFF), CosemTime(0, 0, 0, 0)
    )
    return OctetString(start.to_bytes())


def _start_time(value: Any, field: str) -> OctetString:
    found = re.fullmatch(r"(\d\d):(\d\d)", str(value))
    if not found or int(found[1]) > 23 or int(found[2]) > 59:
        raise ProgrammingError(field, 'a time "HH:MM", e.g. "07:00"')
    return OctetString(bytes([int(found[1]), int(found[2]), 0, 0]))


def calendar_values(params: dict[str, Any]) -> list[tuple[int, Data]]:
    """The passive calendar's attributes to write, in order (attribute, value)."""
    seasons = [
        Structure(
            (
                _name(s.get("name"), f"seasons[{i}].name"),
                _season_start(s.get("start"), f"seasons[{i}].start"),
                _name(s.get("week"), f"seasons[{i}].week"),
            )
        )
        for i, s in enumerate(_list(params, "seasons"))
    ]
    weeks = []
    for i, w in enumerate(_list(params, "weeks")):
        days = w.get("days")
        if (
            not isinstance(days, list)
            or len(days) != 7
            or not all(isinstance(d, int) and 0 <= d <= 255 for d in days)
        ):
            raise ProgrammingError(f"weeks[{i}].days", "seven day ids, Monday to Sunday")
        weeks.append(
            Structure((_name(w.get("name"), f"weeks[{i}].name"), *(Unsigned(d) for d in days)))
        )
    day_profiles = []
    for i, d in enumerate(_list(params, "days")):
        if not isinstance(d.get("id"), int) or not 0 <= d["id"] <= 255:
            raise ProgrammingError(f"days[{i}].id", "a day id 0..255")
        actions = []
        for j, a in enumerate(_list(d, "schedule")):
            if a.get("rate") not in RATES:
                raise ProgrammingError(f"days[{i}].schedule[{j}].rate", "a rate 1 to 4")
            actions.append(
                Structure(
                    (
                        _start_time(a.get("start"), f"days[{i}].schedule[{j}].start"),
                        OctetString(TARIFF_SCRIPT.to_bytes()),
                        LongUnsigned(a["rate"]),
                    )
                )
            )
        day_profiles.append(Structure((Unsigned(d["id"]), Array(actions))))
    values: list[tuple[int, Data]] = [
        (6, _name(params.get("name"), "name")),
        (7, Array(seasons)),
        (8, Array(weeks)),
        (9, Array(day_profiles)),
    ]
    at = params.get("activate_at")
    if at is not None:
        if not isinstance(at, int) or at < 0:
            raise ProgrammingError("activate_at", "UTC seconds")
        when = dt.datetime.fromtimestamp(at, dt.UTC)
        values.append((10, OctetString(CosemDateTime.from_datetime(when).to_bytes())))
    return values


def push_values(params: dict[str, Any]) -> list[tuple[int, Data]]:
    destination = params.get("destination")
    found = re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:(\d{1,5})", str(destination or ""))
    if not found or not 0 < int(found[1]) < 65536:
        raise ProgrammingError(
            "destination", 'the alarm listener "HOST:PORT", e.g. "10.0.0.1:4061"'
        )
    return [(3, Structure((Enum(TCP), OctetString(str(destination).encode()), Enum(A_XDR))))]


#: kind -> (object, class id, the values to write)
TARGETS = {
    "tariff_calendar": (CALENDAR.obis, CALENDAR.class_id, calendar_values),
    "push_setup": (PUSH_SETUP.obis, PUSH_SETUP.class_id, push_values),
}


def same(written: Data, read_back: object) -> bool:
    """Equal as the meter encodes them (a decoded array of structures is a Table)."""
    try:
        return encode(written) == encode(read_back)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
