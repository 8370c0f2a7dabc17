"""Profile generic, class_id 7, version 1 (Blue Book 4.3.6): a buffer of captured
values, one entry (row) per capture, one column per capture object.

=====  ====================  ====================================  =======
index  attribute             type                                  static
=====  ====================  ====================================  =======
2      buffer                array of structure (selectors 1, 2)
3      capture_objects       array of capture_object_definition    yes
4      capture_period        double-long-unsigned (s, 0: none)      yes
5      sort_method           enum (1 fifo .. 6 farthest_from_zero)  yes
6      sort_object           capture_object_definition             yes
7      entries_in_use        double-long-unsigned
8      profile_entries       double-long-unsigned                  yes
=====  ====================  ====================================  =======

Methods: 1 ``reset(integer)`` empties the buffer; 2 ``capture(integer)`` appends
one entry read through the injected :data:`CaptureSource`.

The buffer is held as plain tuples with one :class:`~openamr.codec.table.Field`
per column, so a GET of a full load profile encodes as a
:class:`~openamr.codec.table.Table` with ``struct`` doing the work. A null cell
(``None``) is allowed (e.g. the MT372's null time stamps, "previous + period"); a
buffer holding one is served through the generic path.

Sort methods (the buffer order, and which entry goes when it is full):
fifo appends and drops the oldest; lifo appends and, when full, drops the newest
held; largest/smallest/nearest_to_zero/farthest_from_zero keep the buffer ordered
by ``sort_object`` (first entry: largest, smallest, ...) and drop the last. A
change of capture_objects, sort_method or sort_object empties the buffer; a
smaller profile_entries drops the entries that sort last.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.codec.axdr import tag_of
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.table import Field, Row, is_array, row_layout
from openamr.codec.types import Array, Data, DoubleLongUnsigned, Enum, OctetString, Tag
from openamr.cosem import selective
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult, denied
from openamr.errors import DecodeError, EncodeError

#: the types of octet-string cells :meth:`ProfileGeneric._fit` takes column by column
_OCTETS = {bytes, OctetString}

if TYPE_CHECKING:
    from openamr.cosem.device import LogicalDevice

#: Reads the current value of one capture object (the meter model provides it).
CaptureSource = Callable[[CaptureObjectDefinition], "Data | DataAccessResult"]

#: sort_object "not specified": every field zero.
NO_SORT_OBJECT = CaptureObjectDefinition(0, Obis(0, 0, 0, 0, 0, 0), 0, 0)


class SortMethod(enum.IntEnum):
    FIFO = 1
    LIFO = 2
    LARGEST = 3
    SMALLEST = 4
    NEAREST_TO_ZERO = 5
    FARTHEST_FROM_ZERO = 6


#: sort key of an entry's sort value (smaller keys come first in the buffer).
_SORT_KEYS: dict[SortMethod, Callable[[float], float]] = {
    SortMethod.LARGEST: lambda v: -v,
    SortMethod.SMALLEST: lambda v: v,
    SortMethod.NEAREST_TO_ZERO: abs,
    SortMethod.FARTHEST_FROM_ZERO: lambda v: -abs(v),
}


def field_of(value: Data) -> Field | None:
    """The column type a captured value gives (None: it fits no fast column)."""
    try:
        tag = tag_of(value)
    except EncodeError:
        return None
    if tag == Tag.OCTET_STRING and isinstance(value, bytes) and len(value) < 0x80:
        return Field(tag, len(value))
    if tag in selective.CELL_TYPES and tag != Tag.OCTET_STRING:
        return Field(tag)
    return None


def plain(value: Data) -> Any:
    """A typed value as stored in a row (date-times as their 12 bytes)."""
    if isinstance(value, (CosemDateTime, CosemDate, CosemTime)):
        return value.to_bytes()
    return value


def device_source(device: LogicalDevice) -> CaptureSource:
    """A capture source reading the objects of ``device``: the attribute's value,
    or with a ``data_index`` > 0 its element of that (1-based) index."""

    def read(d: CaptureObjectDefinition) -> Data | DataAccessResult:
        obj = device.find(d.logical_name)
        if obj is None or d.class_id != obj.CLASS_ID:
            return DataAccessResult.OBJECT_UNDEFINED
        value = obj.get(d.attribute_index)
        if d.data_index == 0 or isinstance(value, DataAccessResult):
            return value
        if isinstance(value, (list, tuple)) and d.data_index <= len(value):
            element: Data = value[d.data_index - 1]
            return element
        return DataAccessResult.OBJECT_UNDEFINED

    return read


def _definitions(value: Data) -> tuple[CaptureObjectDefinition, ...] | None:
    if not is_array(value):
        return None
    try:
        return tuple(CaptureObjectDefinition.from_data(v) for v in value)
    except DecodeError:
        return None


class ProfileGeneric(CosemObject, class_id=7, version=1):
    """A profile: ``columns`` pairs each capture object with its column type."""

    ATTRIBUTES = (
        Attribute(2, "buffer", Tag.ARRAY, selectors=(1, 2)),
        Attribute(3, "capture_objects", Tag.ARRAY, static=True),
        Attribute(4, "capture_period", Tag.DOUBLE_LONG_UNSIGNED, static=True),
        Attribute(5, "sort_method", Tag.ENUM, static=True),
        Attribute(6, "sort_object", Tag.STRUCTURE, static=True),
        Attribute(7, "entries_in_use", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(8, "profile_entries", Tag.DOUBLE_LONG_UNSIGNED, static=True),
    )
    METHODS = (Method(1, "reset", Tag.INTEGER), Method(2, "capture", Tag.INTEGER))

    def __init__(
        self,
        logical_name: Obis | str,
        columns: Sequence[tuple[CaptureObjectDefinition, Field]] = (),
        capture_period: int = 0,
        profile_entries: int = 1,
        sort_method: SortMethod = SortMethod.FIFO,
        sort_object: CaptureObjectDefinition = NO_SORT_OBJECT,
        capture_source: CaptureSource | None = None,
        naive_offset: int = 0,
    ) -> None:
        super().__init__(logical_name)
        self.definitions = tuple(d for d, _ in columns)
        self.fields = tuple(f for _, f in columns)
        self.period = capture_period
        self.capacity = profile_entries
        self.sort = SortMethod(sort_method)
        self.sort_definition = sort_object
        self.capture_source = capture_source
        #: seconds east of UTC of time stamps that carry no deviation
        self.naive_offset = naive_offset
        self.rows: list[Row] = []
        self._layout = row_layout(self.fields) if self.fields else None

    # -- the buffer (Python side: the meter twin) ---------------------------------------

    def append_row(self, row: Row) -> None:
        """Add one entry (plain values, None for null) per the sort method.
        Raises ValueError when the row does not fit the columns (our bug)."""
        self._check_row(row)
        if self.capacity <= 0:
            return
        if self.sort is SortMethod.FIFO:
            self.rows.append(row)
            if len(self.rows) > self.capacity:
                del self.rows[: len(self.rows) - self.capacity]
            return
        if self.sort is SortMethod.LIFO:
            if len(self.rows) >= self.capacity:
                del self.rows[self.capacity - 1 :]
            self.rows.append(row)
            return
        bisect.insort_right(self.rows, row, key=self._sort_key)
        del self.rows[self.capacity :]

    def extend_rows(self, rows: list[Row]) -> None:
        """:meth:`append_row` of each row in turn, in one go (a full FIFO buffer is
        trimmed once, not once per row)."""
        if self.sort is not SortMethod.FIFO:
            for row in rows:
                self.append_row(row)
            return
        if not self._fit(rows):
            for row in rows:
                self._check_row(row)  # raises for the first row that does not fit
        if self.capacity <= 0:
            return
        self.rows.extend(rows)
        if len(self.rows) > self.capacity:
            del self.rows[: len(self.rows) - self.capacity]

    def _fit(self, rows: list[Row]) -> bool:
        """True when every row passes :meth:`_check_row`, checked column by column
        (the twin's LP1 rows of a day in one go); False: check them one by one."""
        layout, width = self._layout, len(self.fields)
        if layout is None or not rows or set(map(len, rows)) != {width}:
            return False
        for c, f in enumerate(self.fields):
            if f.tag == Tag.OCTET_STRING:
                column = list(map(itemgetter(c), rows))
                if not set(map(type, column)) <= _OCTETS or set(map(len, column)) != {f.size}:
                    return False  # null, another type or another size: row by row
        if any(None in row for row in rows):
            return False
        try:
            pack = layout.struct.pack
            for row in rows:
                pack(*row)
        except Exception:  # struct.error or TypeError: the row-by-row check says which
            return False
        return True

    def _check_row(self, row: Row) -> None:
        if len(row) != len(self.fields):
            raise ValueError(f"{self}: a row has {len(self.fields)} values, not {len(row)}")
        for f, v in zip(self.fields, row, strict=True):
            if v is None:
                continue
            if f.tag == Tag.OCTET_STRING and (not isinstance(v, bytes) or len(v) != f.size):
                raise ValueError(f"{self}: {v!r} is not an octet-string of {f.size}")
        if self._layout is not None and None not in row:
            try:
                self._layout.struct.pack(*row)
            except Exception as e:  # struct.error or TypeError: the row is wrong
                raise ValueError(f"{self}: {row!r} does not fit {self._layout}: {e}") from None

    def _sort_column(self) -> int | None:
        return selective.column_of(self.definitions, self.sort_definition)

    def _sort_key(self, row: Row) -> float:
        column = self._sort_column()
        value = None if column is None else row[column]
        if isinstance(value, bytes):
            value = int.from_bytes(value, "big")
        v = selective.number(value)
        return float("inf") if v is None else _SORT_KEYS[self.sort](v)

    def _reorder(self) -> None:
        if self.sort not in (SortMethod.FIFO, SortMethod.LIFO):
            self.rows.sort(key=self._sort_key)

    # -- attributes ------------------------------------------------------------------------

    def get_buffer(self) -> Data:
        everything = range(len(self.rows)), range(len(self.fields))
        return selective.project(self.fields, self.rows, *everything, self.period)

    def select(self, index: int, selector: int, parameters: Data) -> Data | DataAccessResult:
        if selector == 1:
            chosen = selective.select_by_range(
                self.definitions, self.fields, self.rows, parameters, self.period,
                self.naive_offset,
            )  # fmt: skip
        else:
            chosen = selective.select_by_entry(len(self.rows), len(self.fields), parameters)
        if isinstance(chosen, DataAccessResult):
            return chosen
        entries, columns = chosen
        return selective.project(self.fields, self.rows, entries, columns, self.period)

    set_buffer = staticmethod(denied)  # entries come from captures only

    def get_capture_objects(self) -> Data:
        return Array(d.to_data() for d in self.definitions)

    def set_capture_objects(self, value: Data) -> DataAccessResult:
        definitions = _definitions(value)
        if definitions is None:
            return DataAccessResult.TYPE_UNMATCHED
        fields = []
        for d in definitions:
            current = None if self.capture_source is None else self.capture_source(d)
            field = None if isinstance(current, DataAccessResult) else field_of(current)
            if field is None:
                return DataAccessResult.OBJECT_UNAVAILABLE
            fields.append(field)
        if len(fields) >= 0x80:
            return DataAccessResult.OTHER_REASON
        self.definitions, self.fields = definitions, tuple(fields)
        self._layout = row_layout(self.fields) if self.fields else None
        self.rows = []
        return DataAccessResult.SUCCESS

    def get_capture_period(self) -> Data:
        return DoubleLongUnsigned(self.period)

    def set_capture_period(self, value: Data) -> None:
        assert isinstance(value, int)
        self.period = int(value)

    def get_sort_method(self) -> Data:
        return Enum(self.sort)

    def set_sort_method(self, value: Data) -> DataAccessResult | None:
        assert isinstance(value, int)
        if value not in SortMethod._value2member_map_:
            return DataAccessResult.OTHER_REASON
        self.sort = SortMethod(value)
        self.rows = []
        return None

    def get_sort_object(self) -> Data:
        return self.sort_definition.to_data()

    def set_sort_object(self, value: Data) -> DataAccessResult | None:
        try:
            definition = CaptureObjectDefinition.from_data(value)
        except DecodeError:
            return DataAccessResult.TYPE_UNMATCHED
        if definition != NO_SORT_OBJECT and definition not in self.definitions:
            return DataAccessResult.OTHER_REASON
        self.sort_definition = definition
        self.rows = []
        return None

    def get_entries_in_use(self) -> Data:
        return DoubleLongUnsigned(len(self.rows))

    set_entries_in_use = staticmethod(denied)  # it counts the buffer

    def get_profile_entries(self) -> Data:
        return DoubleLongUnsigned(self.capacity)

    def set_profile_entries(self, value: Data) -> None:
        assert isinstance(value, int)
        self.capacity = int(value)
        self._reorder()
        if self.sort is SortMethod.FIFO:
            del self.rows[: max(0, len(self.rows) - self.capacity)]
        else:
            del self.rows[self.capacity :]

    # -- methods --------------------------------------------------------------------------

    def reset(self, parameters: Data) -> MethodResult:
        """Empty the buffer (entries_in_use becomes 0)."""
        self.rows = []
        return SUCCESS

    def capture(self, parameters: Data) -> MethodResult:
        """Read every capture object through the capture source and append the
        entry; a value the source refuses is captured as null-data."""
        if self.capture_source is None or not self.fields:
            return ActionResult.TEMPORARY_FAILURE, None
        values = [self.capture_source(d) for d in self.definitions]
        row = tuple(None if isinstance(v, DataAccessResult) else plain(v) for v in values)
        try:
            self.append_row(row)
        except ValueError:
            return ActionResult.TYPE_UNMATCHED, None
        return SUCCESS
