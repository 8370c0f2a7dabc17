"""Selective access to a Profile generic buffer (Blue Book 4.3.6, class 7, attribute 2).

The buffer is a list of plain rows (one tuple per entry, one value per capture
object, ``None`` for null-data). Two access selectors narrow a GET:

range_descriptor (selector 1)::

    structure { restricting_object capture_object_definition,
                from_value, to_value      -- the restricting column's type
                selected_values array of capture_object_definition }   -- empty: all

    An entry is returned when ``from_value <= value <= to_value`` (both bounds
    inclusive, as the Blue Book's "oldest/newest entry to be retrieved" reads and
    as gurux-dlms serves it). Date-time columns compare as instants: the 12-byte
    COSEM date-time is turned into POSIX seconds using its deviation, so bounds
    and entries in different zones or seasons compare correctly. A null
    timestamp in a date-time column means "previous entry + capture_period".
    The selected columns come in the order ``selected_values`` lists them.

entry_descriptor (selector 2)::

    structure { from_entry double-long-unsigned, to_entry double-long-unsigned,
                from_selected_value long-unsigned, to_selected_value long-unsigned }

    Entries and columns count from 1; a ``to_`` of 0 means "the last one". Entries
    beyond ``entries_in_use`` are not there: the answer is clipped, possibly to an
    empty array. A ``from_`` of 0 reads as 1. Columns out of range are refused.

Refusals are :class:`DataAccessResult` values: parameters that do not decode are
``TYPE_UNMATCHED``, a restricting object or selected value that is not a capture
object (or a bound that is not one instant) is ``SCOPE_OF_ACCESS_VIOLATED``.
"""

from __future__ import annotations

import datetime as dt
import functools
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import islice, repeat
from operator import itemgetter, le
from typing import Any, cast

from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor, RangeDescriptor
from openamr.codec.datetime import CosemDateTime
from openamr.codec.table import Field, Row, RowLayout, Table
from openamr.codec.types import (
    Array,
    Bcd,
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Float64,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.errors import DecodeError

#: The selection: which entries (row indices, in buffer order) and which columns.
Selection = tuple[Sequence[int], Sequence[int]]

_DATE_TIME = struct.Struct(">HBBBBBBBhB")
_ORDINAL_1970 = dt.date(1970, 1, 1).toordinal()
_NO_DEVIATION = -0x8000
#: time stamps kept as plain octets (the buffer's usual form): keyed without a Python loop
_STAMP_TYPES = {bytes, OctetString}

#: The typed value of a plain cell, by column tag.
CELL_TYPES: dict[Tag, Callable[[Any], Data]] = {
    Tag.BOOLEAN: bool,
    Tag.OCTET_STRING: OctetString,
    **{
        t.tag: t
        for t in (Integer, Long, DoubleLong, Long64, Unsigned, LongUnsigned, DoubleLongUnsigned,
                  Long64Unsigned, Enum, Bcd, Float32, Float64)
    },
    Tag.DATE_TIME: CosemDateTime.from_bytes,
}  # fmt: skip


# -- keys: column values as comparable numbers -------------------------------------------


@functools.lru_cache(maxsize=1 << 15)
def datetime_seconds(value: bytes, naive_offset: int = 0) -> float | None:
    """POSIX seconds of a 12-byte COSEM date-time, or None when it is not one
    instant (wildcards, impossible date). A date-time without deviation is local
    time ``naive_offset`` seconds east of UTC. Remembered: a range read converts
    every time stamp of a buffer, and the next read (of any meter) the same ones.

    ``year(2) month day weekday hour minute second hundredths deviation(2) status``
    """
    if len(value) != 12:
        return None
    fields: tuple[int, ...] = _DATE_TIME.unpack(value)
    year, month, day, _, hour, minute, second, hundredths, deviation, _ = fields
    if year == 0xFFFF or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        days = dt.date(year, month, day).toordinal() - _ORDINAL_1970
    except ValueError:
        return None
    local = float(days * 86400 + hour * 3600 + minute * 60 + second)
    if hundredths < 100:
        local += hundredths / 100
    # deviation is UTC - local in minutes (Blue Book 4.1.6.1)
    utc_shift = -naive_offset if deviation == _NO_DEVIATION else deviation * 60
    return local + utc_shift


def bound_seconds(value: Data, naive_offset: int = 0) -> float | None:
    """A range bound for a date-time column: octet-string(12) or date-time [25]."""
    if isinstance(value, CosemDateTime):
        value = value.to_bytes()
    if isinstance(value, bytes):
        return datetime_seconds(value, naive_offset)
    return None


def number(value: Data) -> float | None:
    """A numeric column value or bound (booleans and enums included), else None."""
    if isinstance(value, (int, float)):
        return float(value)
    return None


def is_datetime_column(field: Field) -> bool:
    return field.tag == Tag.DATE_TIME or (field.tag == Tag.OCTET_STRING and field.size == 12)


def column_keys(
    rows: Sequence[Row], column: int, field: Field, period: int, naive_offset: int = 0
) -> list[float | None]:
    """Each entry's value in ``column`` as a number (None: not comparable). Null
    timestamps in a date-time column are the previous entry's plus ``period`` s."""
    values = list(map(itemgetter(column), rows))
    if not is_datetime_column(field):
        return [number(v) for v in values]
    if set(map(type, values)) <= _STAMP_TYPES:  # no null, no CosemDateTime: all in C
        return list(map(datetime_seconds, values, repeat(naive_offset, len(values))))
    keys: list[float | None] = []
    previous: float | None = None
    for v in values:
        if v is None:
            key = None if previous is None or period <= 0 else previous + period
        else:
            raw = v.to_bytes() if isinstance(v, CosemDateTime) else v
            key = datetime_seconds(raw, naive_offset) if isinstance(raw, bytes) else None
        keys.append(key)
        previous = key
    return keys


# -- the two selectors --------------------------------------------------------------------


def column_of(
    definitions: Sequence[CaptureObjectDefinition], wanted: CaptureObjectDefinition
) -> int | None:
    """The column of a capture object definition, if it is one of the buffer's."""
    try:
        return list(definitions).index(wanted)
    except ValueError:
        return None


def select_by_range(
    definitions: Sequence[CaptureObjectDefinition],
    fields: Sequence[Field],
    rows: Sequence[Row],
    parameters: Data,
    period: int = 0,
    naive_offset: int = 0,
) -> Selection | DataAccessResult:
    """The entries and columns a range_descriptor selects (selector 1)."""
    try:
        rd = RangeDescriptor.from_data(parameters)
    except DecodeError:
        return DataAccessResult.TYPE_UNMATCHED
    column = column_of(definitions, rd.restricting_object)
    columns = _selected_columns(definitions, rd.selected_values)
    if column is None or columns is None:
        return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
    field = fields[column]
    if is_datetime_column(field):
        lo, hi = (
            bound_seconds(rd.from_value, naive_offset),
            bound_seconds(rd.to_value, naive_offset),
        )
    else:
        lo, hi = number(rd.from_value), number(rd.to_value)
    if lo is None or hi is None:
        return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
    keys = column_keys(rows, column, field, period, naive_offset)
    return _within(keys, lo, hi), columns


def _within(keys: list[float | None], lo: float, hi: float) -> Sequence[int]:
    """The indices of the keys in [lo, hi]; by bisection when the keys ascend (a
    buffer in time order, the usual case), else by a scan."""
    ordered = cast("list[float]", keys)  # when None is not in it
    if None not in keys and all(map(le, ordered, islice(ordered, 1, None))):
        return range(bisect_left(ordered, lo), bisect_right(ordered, hi))
    return [i for i, k in enumerate(keys) if k is not None and lo <= k <= hi]


def _selected_columns(
    definitions: Sequence[CaptureObjectDefinition],
    selected: Sequence[CaptureObjectDefinition],
) -> list[int] | None:
    if not selected:
        return list(range(len(definitions)))
    columns = [column_of(definitions, s) for s in selected]
    if any(c is None for c in columns):
        return None
    return [c for c in columns if c is not None]


def select_by_entry(entries: int, width: int, parameters: Data) -> Selection | DataAccessResult:
    """The entries and columns an entry_descriptor selects (selector 2)."""
    try:
        ed = EntryDescriptor.from_data(parameters)
    except DecodeError:
        return DataAccessResult.TYPE_UNMATCHED
    first_col = max(ed.from_selected_value, 1)
    last_col = width if ed.to_selected_value == 0 else min(ed.to_selected_value, width)
    if first_col > last_col:
        return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
    first = max(ed.from_entry, 1)
    last = entries if ed.to_entry == 0 else min(ed.to_entry, entries)
    return range(first - 1, last), range(first_col - 1, last_col)


# -- building the answer ----------------------------------------------------------------------


def typed_value(field: Field, value: Any) -> Data:
    """A plain cell as typed Data (None stays null-data)."""
    return None if value is None else CELL_TYPES[field.tag](value)


def project(
    fields: Sequence[Field],
    rows: Sequence[Row],
    entries: Sequence[int],
    columns: Sequence[int],
    period: int = 0,
) -> Data:
    """Entries ``entries`` (indices into ``rows``, ascending) restricted to
    ``columns``, as an array of structures: a fast :class:`Table` when every cell
    fits its column, else a generic Array.

    A null time stamp whose previous entry is not in the answer is filled in
    (previous + period), so that the client can still date it."""
    if isinstance(entries, range) and entries.step == 1:  # a run: copied, not looked up
        chosen = list(rows[entries.start : entries.stop])
    else:
        chosen = [rows[i] for i in entries]
    for c in columns:
        if is_datetime_column(fields[c]) and None in map(itemgetter(c), chosen):
            _fill_orphan_nulls(rows, entries, chosen, c, period)
    if list(columns) != list(range(len(fields))):
        pick = itemgetter(*columns)
        chosen = [pick(r) for r in chosen] if len(columns) > 1 else [(pick(r),) for r in chosen]
        fields = [fields[c] for c in columns]
    if not chosen:
        return Array()
    if not any(None in r for r in chosen):
        return Table(RowLayout(tuple(fields)), chosen)
    return Array(
        Structure(typed_value(f, v) for f, v in zip(fields, r, strict=True)) for r in chosen
    )


def _fill_orphan_nulls(
    rows: Sequence[Row], entries: Sequence[int], chosen: list[Row], column: int, period: int
) -> None:
    for k, i in enumerate(entries):
        if chosen[k][column] is None and (k == 0 or entries[k - 1] != i - 1):
            stamp = implied_timestamp(rows, i, column, period)
            if stamp is not None:
                row = list(chosen[k])
                row[column] = stamp
                chosen[k] = tuple(row)


def implied_timestamp(rows: Sequence[Row], index: int, column: int, period: int) -> bytes | None:
    """The 12-byte time stamp a null cell stands for: the last explicit one before
    it plus one ``period`` per entry, in the same zone and with the same status."""
    steps, i = 0, index
    while i >= 0 and rows[i][column] is None:
        steps, i = steps + 1, i - 1
    if i < 0 or period <= 0:
        return None
    base = rows[i][column]
    try:
        base_dt = CosemDateTime.from_bytes(base if isinstance(base, bytes) else base.to_bytes())
        when = base_dt.to_datetime() + dt.timedelta(seconds=steps * period)
    except (ValueError, DecodeError, AttributeError):
        return None
    return CosemDateTime.from_datetime(when, base_dt.clock_status).to_bytes()
