"""Single action schedule, class_id 22, version 0 (Blue Book 4.5.7): runs one
script at given dates and times (e.g. the MT372's end of billing).

=====  ===============  ==========================================================
index  attribute        type
=====  ===============  ==========================================================
2      executed_script  script {script_logical_name octet-string,
                        script_selector long-unsigned}
3      type             enum 1..5 (1: one time, all the same time; 2: n times,
                        same time; 3: n times, different times; 4: one time,
                        wildcard dates; 5: n times, wildcard dates)
4      execution_time   array of {time octet-string(4), date octet-string(5)}
=====  ===============  ==========================================================

No methods. :meth:`SingleActionSchedule.due` is the meter's side: whether an
execution time (wildcards allowed) names a local time.
"""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDate, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import Array, Data, Enum, Structure, Tag
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.register_monitor import ACTION_ITEM, ShapeCheck, action_item
from openamr.cosem.classes.special_days import date_matches


def check_type(value: Data) -> DataAccessResult | None:
    return None if isinstance(value, int) and 1 <= value <= 5 else DataAccessResult.OTHER_REASON


def check_times(value: Data) -> DataAccessResult | None:
    if ShapeCheck([(Tag.OCTET_STRING, Tag.OCTET_STRING)])(value) is not None:
        return DataAccessResult.TYPE_UNMATCHED
    ok = all(len(t) == 4 and len(d) == 5 for t, d in _pairs(value))
    return None if ok else DataAccessResult.TYPE_UNMATCHED


def _pairs(value: Data) -> list[tuple[bytes, bytes]]:
    """The (time, date) octet-strings of an execution_time value (shape checked)."""
    out = []
    for entry in value if is_array(value) else ():
        assert isinstance(entry, tuple)
        t, d = entry
        assert isinstance(t, bytes) and isinstance(d, bytes)
        out.append((bytes(t), bytes(d)))
    return out


def time_matches(pattern: bytes, t: dt.time) -> bool:
    p = CosemTime.from_bytes(pattern)
    return (
        p.hour in (0xFF, t.hour) and p.minute in (0xFF, t.minute) and p.second in (0xFF, t.second)
    )


END_OF_BILLING = Obis(0, 0, 10, 0, 1, 255)


class SingleActionSchedule(CosemObject, class_id=22, version=0):
    """One script at a list of dates and times."""

    ATTRIBUTES = (
        Attribute(2, "executed_script", Tag.STRUCTURE, check=ShapeCheck(ACTION_ITEM)),
        Attribute(3, "type", Tag.ENUM, check=check_type),
        Attribute(4, "execution_time", Tag.ARRAY, check=check_times),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        script: Obis = END_OF_BILLING,
        selector: int = 1,
        schedule_type: int = 1,
        times: tuple[tuple[CosemTime, CosemDate], ...] = (),
    ) -> None:
        super().__init__(logical_name)
        self.executed_script: Data = action_item(script, selector)
        self.type: Data = Enum(schedule_type)
        self.execution_time: Data = Array(Structure((t.to_bytes(), d.to_bytes())) for t, d in times)

    def matches(self, moment: dt.datetime) -> bool:
        """Whether an execution time names ``moment`` (local time, to the
        second); the meter asks it as its clock passes each second it can act on."""
        day, t = moment.date(), moment.time()
        return any(
            date_matches(d, day) and time_matches(tm, t) for tm, d in _pairs(self.execution_time)
        )
