"""What the typed calls return: plain frozen dataclasses built from decoded Data.

``object_list`` (Association LN, Blue Book 4.4.3)::

    object_list_element ::= structure {
        class_id long-unsigned, version unsigned, logical_name octet-string(6),
        access_rights structure {
            attribute_access array of structure {attribute_id integer,
                access_mode enum, access_selectors null-data | array of integer},
            method_access array of structure {method_id integer, access_mode enum}}}

Log-book entries (docs/mt372.md): ``{time stamp octet-string(12) (or
integer 0: the same time as the previous entry), event code long-unsigned}``; the
events' names come from the device profile (:mod:`openamr.devices.mt372.events`).
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING, Any

from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.table import Table, is_array
from openamr.codec.types import Data
from openamr.codec.units import ScalerUnit, Unit
from openamr.errors import DecodeError

if TYPE_CHECKING:
    # the COSEM object model and the MT372's event table load when first used:
    # reading a profile or a register needs neither (openamr profile starts faster)
    from openamr.cosem.access import AttributeAccess, MethodAccess


def scaler_of(result: Data | DataAccessResult | None) -> ScalerUnit | None:
    """The scaler_unit in a GET's result (Blue Book 4.3.2); None for a refusal, no
    result or a value that is not one."""
    if result is None or isinstance(result, DataAccessResult):
        return None
    try:
        return ScalerUnit.from_data(result)
    except (DecodeError, ValueError):
        return None


def event_name(code: int) -> str:
    """The MT372's name of a log-book event code (:mod:`openamr.devices.mt372.events`)."""
    from openamr.devices.mt372.events import event_name as name

    return name(code)


@record
class AttributeRight:
    index: int
    access: AttributeAccess
    selectors: tuple[int, ...] = ()


@record
class MethodRight:
    index: int
    access: MethodAccess


@record
class ObjectInfo:
    """One object of the association's object_list, with its access rights."""

    class_id: int
    version: int
    logical_name: Obis
    attributes: tuple[AttributeRight, ...]
    methods: tuple[MethodRight, ...]

    @property
    def name(self) -> str:
        """The MT372's name for this object ("A+ total"; "" for one it does not
        declare), from its device profile (loaded on first use)."""
        from openamr.devices.mt372.objects import MT372

        return MT372.name_of(self.logical_name) or ""

    def attribute_access(self, index: int) -> AttributeAccess:
        from openamr.cosem.access import AttributeAccess

        for right in self.attributes:
            if right.index == index:
                return right.access
        return AttributeAccess.NO_ACCESS

    def method_access(self, index: int) -> MethodAccess:
        from openamr.cosem.access import MethodAccess

        for right in self.methods:
            if right.index == index:
                return right.access
        return MethodAccess.NO_ACCESS


def _seq(value: Data, n: int | None, what: str) -> tuple[Data, ...]:
    if not isinstance(value, (tuple, list, Table)) or (n is not None and len(value) != n):
        raise DecodeError(0, f"{what}: unexpected shape {value!r}"[:200])
    return tuple(value)


def _int(value: Data, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DecodeError(0, f"{what}: an integer expected, got {value!r}"[:200])
    return int(value)


def parse_object_list(value: Data) -> list[ObjectInfo]:
    """Association LN attribute 2 as :class:`ObjectInfo` records."""
    out = []
    for element in _seq(value, None, "object_list"):
        class_id, version, name, rights = _seq(element, 4, "object_list_element")
        if not isinstance(name, bytes) or len(name) != 6:
            raise DecodeError(0, f"object_list: logical name {name!r}")
        attrs, methods = _seq(rights, 2, "access_rights")
        out.append(
            ObjectInfo(
                _int(class_id, "class_id"), _int(version, "version"), Obis(*name),
                tuple(_attribute_right(a) for a in _seq(attrs, None, "attribute_access")),
                tuple(_method_right(m) for m in _seq(methods, None, "method_access")),
            )
        )  # fmt: skip
    return out


def _attribute_right(value: Data) -> AttributeRight:
    from openamr.cosem.access import AttributeAccess

    index, mode, selectors = _seq(value, 3, "attribute_access_item")
    chosen = (
        ()
        if selectors is None
        else tuple(_int(s, "selector") for s in _seq(selectors, None, "selectors"))
    )
    return AttributeRight(
        _int(index, "attribute_id"), AttributeAccess(_int(mode, "access_mode")), chosen
    )


def _method_right(value: Data) -> MethodRight:
    from openamr.cosem.access import MethodAccess

    index, mode = _seq(value, 2, "method_access_item")
    access = MethodAccess(2 if mode is True else 1 if mode is False else _int(mode, "access_mode"))
    return MethodRight(_int(index, "method_id"), access)


@record
class RegisterValue:
    """A Register's value with its scaler applied (``value = raw * 10**scaler``)."""

    logical_name: Obis
    raw: Data
    scaler_unit: ScalerUnit

    @property
    def value(self) -> int | float:
        if isinstance(self.raw, bool) or not isinstance(self.raw, (int, float)):
            raise DecodeError(0, f"{self.logical_name}: the value {self.raw!r} is not a number")
        return self.scaler_unit.apply(self.raw)

    @property
    def unit(self) -> Unit:
        return self.scaler_unit.unit

    def __str__(self) -> str:
        if isinstance(self.raw, (int, float)) and not isinstance(self.raw, bool):
            return self.scaler_unit.format(self.raw)
        return repr(self.raw)


@record
class Profile:
    """A Profile generic read: the capture objects of the columns returned and the
    rows as plain tuples (octet-strings as bytes, null-data as None)."""

    logical_name: Obis
    columns: tuple[CaptureObjectDefinition, ...]
    rows: list[tuple[Any, ...]]

    def timestamps(self, column: int = 0) -> list[dt.datetime | None]:
        """Column ``column`` read as COSEM date-times; a null stamp is the previous
        one plus nothing known here, so it stays None."""
        return [as_datetime(row[column]) for row in self.rows]


def rows_of(value: Data) -> list[tuple[Any, ...]]:
    """A buffer (Table or Array of Structures) as plain rows."""
    if isinstance(value, Table):
        return value.rows
    if not is_array(value):
        raise DecodeError(0, f"a profile buffer is an array, not {type(value).__name__}")
    return [tuple(_plain(v) for v in _seq(row, None, "buffer entry")) for row in value]


def _plain(value: Data) -> Any:
    if isinstance(value, CosemDateTime):
        return value.to_bytes()
    if isinstance(value, bytes):
        return bytes(value)
    return value


def as_datetime(value: Any) -> dt.datetime | None:
    """An octet-string(12) or date-time as a datetime; None for null, 0, wildcards."""
    if isinstance(value, CosemDateTime):
        value = value.to_bytes()
    if not isinstance(value, bytes) or len(value) != CosemDateTime.SIZE:
        return None
    try:
        return CosemDateTime.from_bytes(value).to_datetime()
    except (ValueError, DecodeError):
        return None


_DATE_TIME = struct.Struct(">HBBBBBBBhB")  # date-time, Blue Book 4.1.6.1
_UNSPECIFIED, _NO_YEAR, _NO_DEVIATION = 0xFF, 0xFFFF, -0x8000


def as_timestamp(value: Any) -> int | None:
    """POSIX seconds of :func:`as_datetime` (a date-time without deviation read as
    UTC), truncated as ``int(when.timestamp())``; None where it is None. One struct
    unpack, the day looked up (:func:`_epoch_day`) and integer arithmetic: a head-end
    dates every profile row with it."""
    if isinstance(value, CosemDateTime):
        value = value.to_bytes()
    if not isinstance(value, bytes) or len(value) != CosemDateTime.SIZE:
        return None
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = _DATE_TIME.unpack(value)
    if year == _NO_YEAR or month > 12 or day > 31 or _UNSPECIFIED in (hour, minute):
        return None  # wildcards: CosemDate.to_date and CosemTime.to_time refuse them
    second = 0 if second == _UNSPECIFIED else second
    hundredths = 0 if hundredths == _UNSPECIFIED else hundredths
    days = _epoch_day(year, month, day)
    if days is None or hour > 23 or minute > 59 or second > 59 or hundredths > 99:
        return None  # what datetime() refuses
    seconds: int = days * 86400 + hour * 3600 + minute * 60 + second
    if deviation != _NO_DEVIATION:  # local = UTC - deviation (Blue Book 4.1.6.1)
        if not -1440 < deviation < 1440:
            return None  # what timezone() refuses
        seconds += deviation * 60
    return seconds + 1 if hundredths and seconds < 0 else seconds  # int() truncates to 0


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_DAYS: dict[int, int | None] = {}


def _epoch_day(year: int, month: int, day: int) -> int | None:
    """Days from 1970-01-01 to a date, None for no such date (remembered: a profile's
    rows fall on a few days)."""
    key = year << 16 | month << 8 | day
    try:
        return _DAYS[key]
    except KeyError:
        pass
    try:
        days: int | None = dt.date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        days = None
    if len(_DAYS) > 4096:
        _DAYS.clear()
    _DAYS[key] = days
    return days


@record
class Event:
    """One log-book entry; ``time`` is None when the meter gave none at all."""

    time: dt.datetime | None
    code: int

    @property
    def name(self) -> str:
        return event_name(self.code)


def events_of(rows: list[tuple[Any, ...]]) -> list[Event]:
    """Log-book rows {stamp, code}; a stamp of null or integer 0 repeats the previous."""
    out: list[Event] = []
    previous: dt.datetime | None = None
    for row in rows:
        if len(row) < 2 or isinstance(row[1], bool) or not isinstance(row[1], int):
            raise DecodeError(0, f"log-book entry {row!r}: no event code"[:200])
        when = as_datetime(row[0])
        when = previous if when is None else when
        out.append(Event(when, int(row[1])))
        previous = when
    return out


__all__ = [
    "AttributeRight",
    "Event",
    "MethodRight",
    "ObjectInfo",
    "Profile",
    "RegisterValue",
    "event_name",
    "events_of",
    "parse_object_list",
]
