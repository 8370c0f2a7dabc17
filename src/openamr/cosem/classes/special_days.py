"""Special days table, class_id 11, version 0 (Blue Book 4.5.4): days that take
another day profile than the week profile gives (holidays).

``entries`` (2): array of spec_day_entry::

    spec_day_entry ::= structure { index long-unsigned,
        specialday_date octet-string(5) (a COSEM date, wildcards allowed),
        day_id unsigned }

Methods: 1 ``insert(spec_day_entry)`` adds an entry, replacing any entry with
the same index or the same date; 2 ``delete(long-unsigned index)`` removes the
entry of that index (an index not in the table is refused: OTHER_REASON).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.datetime import CosemDate
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import Array, Data, LongUnsigned, OctetString, Structure, Tag, Unsigned
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult

#: (index, date (5 octets), day_id)
Entry = tuple[int, bytes, int]


def parse_entry(value: Data) -> Entry | None:
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    index, date, day_id = value
    if not (
        isinstance(index, LongUnsigned) and isinstance(date, bytes) and len(date) == 5
        and isinstance(day_id, Unsigned)
    ):  # fmt: skip
        return None
    return int(index), bytes(date), int(day_id)


def check_entries(value: Data) -> DataAccessResult | None:
    ok = is_array(value) and all(parse_entry(v) is not None for v in value)
    return None if ok else DataAccessResult.TYPE_UNMATCHED


def date_matches(pattern: bytes, day: dt.date) -> bool:
    """Whether a (wildcarded) COSEM date names ``day``."""
    p = CosemDate.from_bytes(pattern)
    return (
        p.year in (0xFFFF, day.year)
        and p.month in (0xFF, day.month)
        and p.day in (0xFF, day.day)
        and p.weekday in (0xFF, day.isoweekday())
    )


class SpecialDaysTable(CosemObject, class_id=11, version=0):
    """Special days by index."""

    ATTRIBUTES = (Attribute(2, "entries", Tag.ARRAY, check=check_entries),)
    METHODS = (Method(1, "insert", Tag.STRUCTURE), Method(2, "delete", Tag.LONG_UNSIGNED))

    def __init__(self, logical_name: Obis | str, entries: Sequence[Entry] = ()) -> None:
        super().__init__(logical_name)
        self.table: dict[int, Entry] = {}
        for e in entries:
            self._insert(e)

    def day_id(self, day: dt.date) -> int | None:
        """The day profile of ``day`` if it is special (lowest index first)."""
        for _, date, day_id in sorted(self.table.values()):
            if date_matches(date, day):
                return day_id
        return None

    def get_entries(self) -> Data:
        return Array(
            Structure((LongUnsigned(i), OctetString(d), Unsigned(day)))
            for i, d, day in sorted(self.table.values())
        )

    def set_entries(self, value: Data) -> None:
        assert is_array(value)
        self.table = {}
        for v in value:
            entry = parse_entry(v)
            assert entry is not None  # checked
            self._insert(entry)

    def _insert(self, entry: Entry) -> None:
        self.table = {i: e for i, e in self.table.items() if e[1] != entry[1]}
        self.table[entry[0]] = entry

    def insert(self, parameters: Data) -> MethodResult:
        entry = parse_entry(parameters)
        if entry is None:
            return ActionResult.TYPE_UNMATCHED, None
        self._insert(entry)
        return SUCCESS

    def delete(self, parameters: Data) -> MethodResult:
        assert isinstance(parameters, int)
        if self.table.pop(int(parameters), None) is None:
            return ActionResult.OTHER_REASON, None
        return SUCCESS
