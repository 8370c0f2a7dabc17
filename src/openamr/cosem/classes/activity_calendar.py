"""Activity calendar, class_id 20, version 0 (Blue Book 4.5.5): seasons, week
profiles and day profiles (the tariff programme), active and passive.

=====  ===============================  ==================================================
index  attribute                        type
=====  ===============================  ==================================================
2/6    calendar_name_active/_passive    octet-string
3/7    season_profile_active/_passive   array of {season_profile_name octet-string,
                                        season_start octet-string(12), week_name octet-string}
4/8    week_profile_table_active/_p.    array of {week_profile_name octet-string,
                                        monday .. sunday unsigned (day_id)}
5/9    day_profile_table_active/_p.     array of {day_id unsigned, day_schedule array of
                                        {start_time octet-string(4), script_logical_name
                                        octet-string, script_selector long-unsigned}}
10     activate_passive_calendar_time   octet-string(12)
=====  ===============================  ==================================================

Method 1 ``activate_passive_calendar(integer 0)`` copies the passive calendar
into the active one. The active attributes are the meter's: a client writes the
passive ones. :meth:`ActivityCalendar.tick` activates the passive calendar when
activate_passive_calendar_time (a single instant) has come; a time with
wildcards switches the automatism off.
"""

from __future__ import annotations

import datetime as dt

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, OctetString, Tag
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.clock import check_date_time
from openamr.cosem.classes.extended_register import NOT_SPECIFIED
from openamr.cosem.classes.register_monitor import Shape, ShapeCheck
from openamr.errors import DecodeError

SEASON: Shape = (Tag.OCTET_STRING, Tag.OCTET_STRING, Tag.OCTET_STRING)
WEEK: Shape = (Tag.OCTET_STRING, *(Tag.UNSIGNED,) * 7)
DAY: Shape = (Tag.UNSIGNED, [(Tag.OCTET_STRING, Tag.OCTET_STRING, Tag.LONG_UNSIGNED)])
PARTS = ("calendar_name", "season_profile", "week_profile_table", "day_profile_table")


class ActivityCalendar(CosemObject, class_id=20, version=0):
    """The active and passive tariff calendars."""

    ATTRIBUTES = (
        Attribute(2, "calendar_name_active", Tag.OCTET_STRING),
        Attribute(3, "season_profile_active", Tag.ARRAY, check=ShapeCheck([SEASON])),
        Attribute(4, "week_profile_table_active", Tag.ARRAY, check=ShapeCheck([WEEK])),
        Attribute(5, "day_profile_table_active", Tag.ARRAY, check=ShapeCheck([DAY])),
        Attribute(6, "calendar_name_passive", Tag.OCTET_STRING),
        Attribute(7, "season_profile_passive", Tag.ARRAY, check=ShapeCheck([SEASON])),
        Attribute(8, "week_profile_table_passive", Tag.ARRAY, check=ShapeCheck([WEEK])),
        Attribute(9, "day_profile_table_passive", Tag.ARRAY, check=ShapeCheck([DAY])),
        Attribute(10, "activate_passive_calendar_time", Tag.OCTET_STRING, check=check_date_time),
    )
    METHODS = (Method(1, "activate_passive_calendar", Tag.INTEGER),)

    def __init__(self, logical_name: Obis | str) -> None:
        super().__init__(logical_name)
        for state in ("active", "passive"):
            setattr(self, f"calendar_name_{state}", OctetString(b""))
            for part in PARTS[1:]:
                setattr(self, f"{part}_{state}", Array())
        self.activate_passive_calendar_time: Data = OctetString(NOT_SPECIFIED)

    def activate_passive_calendar(self, parameters: Data) -> MethodResult:
        for part in PARTS:
            setattr(self, f"{part}_active", getattr(self, f"{part}_passive"))
        return SUCCESS

    def activation_time(self) -> dt.datetime | None:
        """The instant the passive calendar is due, None when switched off."""
        value = self.activate_passive_calendar_time
        try:
            assert isinstance(value, bytes)
            return CosemDateTime.from_bytes(value).to_datetime()
        except (DecodeError, ValueError):
            return None

    def tick(self, now: dt.datetime) -> bool:
        """Activate the passive calendar if its time has come (once: the time is
        then switched off). ``now`` is aware; a time without deviation is read
        in ``now``'s zone."""
        due = self.activation_time()
        if due is None:
            return False
        if due.tzinfo is None:
            due = due.replace(tzinfo=now.tzinfo)
        if now < due:
            return False
        self.activate_passive_calendar(None)
        self.activate_passive_calendar_time = OctetString(NOT_SPECIFIED)
        return True
