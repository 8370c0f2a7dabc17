"""Reading a Profile generic (Blue Book 4.3.6, class 7): capture objects
(attribute 3), then the buffer (attribute 2), whole or through selective access.

========================  ===============================================================
call                      request
========================  ===============================================================
``profile(x)``            buffer, no selection
``start=``/``end=``       range_descriptor (selector 1) on the clock column, inclusive;
                          ``columns`` become its selected_values, in the order given
``entries=(a, b)``        entry_descriptor (selector 2), 1-based, ``b = 0``: the newest;
                          ``columns`` become the span from_/to_selected_value
``columns=`` alone        entry_descriptor (1, 0) with that span
========================  ===============================================================

An entry read returns a contiguous span of columns: columns asked out of order or
with gaps are picked from it here. A missing ``start`` reads from 2000-01-01 UTC,
a missing ``end`` to 2099-12-31 UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor, RangeDescriptor
from openamr.client.calls import MeterCalls
from openamr.client.errors import MeterError
from openamr.client.session import BlockProgress
from openamr.client.values import Profile, rows_of
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.table import Table
from openamr.codec.types import Data, OctetString
from openamr.errors import DecodeError

PROFILE_GENERIC = 7
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
Column = int | Obis | str


async def capture_objects(meter: MeterCalls, obis: Obis) -> tuple[CaptureObjectDefinition, ...]:
    value = await meter.get(obis, 3, class_id=PROFILE_GENERIC)
    try:
        return capture_objects_of(value)
    except DecodeError as e:
        raise MeterError(meter.name, f"read the capture objects of {obis}", str(e)) from e


def capture_objects_of(value: Data) -> tuple[CaptureObjectDefinition, ...]:
    """Attribute 3 ``capture_objects`` as read: array of capture_object_definition
    (Blue Book 4.3.6); DecodeError when it is not one."""
    if not isinstance(value, list | Table):
        raise DecodeError(0, f"capture_objects is an array, not {type(value).__name__}")
    return tuple(CaptureObjectDefinition.from_data(v) for v in value)


def column_index(name: str, captured: Sequence[CaptureObjectDefinition], column: Column) -> int:
    """A column by 0-based index or by the OBIS of its capture object."""
    if isinstance(column, int):
        if not 0 <= column < len(captured):
            raise MeterError(name, "select columns", f"no column {column} of {len(captured)}")
        return column
    obis = column if isinstance(column, Obis) else Obis.parse(column)
    for i, c in enumerate(captured):
        if c.logical_name == obis:
            return i
    raise MeterError(name, "select columns", f"{obis} is not a capture object of this profile")


def clock_column(captured: Sequence[CaptureObjectDefinition]) -> CaptureObjectDefinition:
    """The restricting object of a range read: the clock column, else the first."""
    for c in captured:
        if c.class_id == 8 and c.attribute_index == 2:
            return c
    return captured[0]


def _stamp(when: dt.datetime) -> OctetString:
    return OctetString(CosemDateTime.from_datetime(when).to_bytes())


async def read_profile(
    meter: MeterCalls,
    obis: Obis,
    start: dt.datetime | None,
    end: dt.datetime | None,
    entries: tuple[int, int] | None,
    columns: Sequence[Column] | None,
    progress: BlockProgress | None,
    captured: Sequence[CaptureObjectDefinition] | None = None,
) -> Profile:
    """``captured``: the profile's capture objects when the caller has them already
    (read with other attributes in one with-list); else they are read first."""
    if captured is None:
        captured = await capture_objects(meter, obis)
    if not captured:
        return Profile(obis, (), [])
    wanted = [column_index(meter.name, captured, c) for c in columns] if columns else None
    if (start or end) and entries:
        raise ValueError("read a profile by time range or by entries, not both")
    selection: RangeDescriptor | EntryDescriptor | None = None
    picked = list(range(len(captured)))  # the columns the meter will return
    if start is not None or end is not None:
        chosen = tuple(captured[i] for i in wanted) if wanted else ()
        selection = RangeDescriptor(
            clock_column(captured),
            _stamp(start or EARLIEST), _stamp(end or LATEST), chosen,
        )  # fmt: skip
        picked = wanted or picked
        wanted = None  # the meter returns them in the order asked
    elif entries is not None or wanted:
        first, last = entries or (1, 0)
        lo, hi = (min(wanted), max(wanted)) if wanted else (0, len(captured) - 1)
        selection = EntryDescriptor(first, last, lo + 1, hi + 1)
        picked = list(range(lo, hi + 1))
    value = await meter.get(obis, 2, selection, class_id=PROFILE_GENERIC, progress=progress)
    try:
        rows = rows_of(value)
    except DecodeError as e:
        raise MeterError(meter.name, f"read the buffer of {obis}", str(e)) from e
    if wanted is not None and wanted != picked:
        where = [picked.index(i) for i in wanted]
        rows = [tuple(row[j] for j in where) for row in rows]
        picked = wanted
    return Profile(obis, tuple(captured[i] for i in picked), rows)
