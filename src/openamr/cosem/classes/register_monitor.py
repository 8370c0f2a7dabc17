"""Register monitor, class_id 21, version 0 (Blue Book 4.5.6): compares a value
with thresholds and runs a script when it crosses one.

=====  ===============  ==========================================================
index  attribute        type
=====  ===============  ==========================================================
2      thresholds       array of CHOICE (the monitored value's type)
3      monitored_value  value_definition {class_id long-unsigned,
                        logical_name octet-string, attribute_index integer}
4      actions          array of action_set {action_up action_item,
                        action_down action_item}; action_item ::=
                        {script_logical_name octet-string, script_selector long-unsigned}
=====  ===============  ==========================================================

No methods. :meth:`RegisterMonitor.evaluate` is the meter's side: given the
current value it returns the action items to run, action_up of each threshold
the value rose above, action_down of each it fell to or below. Before the first
evaluation every threshold counts as not exceeded.
"""

from __future__ import annotations

from typing import TypeAlias

from openamr.apdu.results import DataAccessResult
from openamr.codec.axdr import tag_of
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import Array, Data, Integer, LongUnsigned, OctetString, Structure, Tag
from openamr.cosem.base import Attribute, CosemObject
from openamr.errors import EncodeError

#: A shape: a tag (None: any), a tuple (a structure of shapes) or a list of one
#: shape (an array of it).
Shape: TypeAlias = "Tag | tuple[Shape, ...] | list[Shape] | None"

VALUE_DEFINITION: Shape = (Tag.LONG_UNSIGNED, Tag.OCTET_STRING, Tag.INTEGER)
ACTION_ITEM: Shape = (Tag.OCTET_STRING, Tag.LONG_UNSIGNED)
ACTION_SET: Shape = (ACTION_ITEM, ACTION_ITEM)


def fits(value: Data, shape: Shape) -> bool:
    """Whether ``value`` has ``shape``."""
    if shape is None:
        return True
    if isinstance(shape, tuple):
        return (
            isinstance(value, tuple)
            and len(value) == len(shape)
            and all(fits(v, s) for v, s in zip(value, shape, strict=True))
        )
    if isinstance(shape, list):
        return is_array(value) and all(fits(v, shape[0]) for v in value)
    try:
        return tag_of(value) == shape
    except EncodeError:
        return False


class ShapeCheck:
    """An attribute check refusing values of another shape (TYPE_UNMATCHED)."""

    __slots__ = ("shape",)

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def __call__(self, value: Data) -> DataAccessResult | None:
        return None if fits(value, self.shape) else DataAccessResult.TYPE_UNMATCHED


def value_definition(class_id: int, logical_name: Obis, attribute_index: int) -> Structure:
    return Structure(
        (LongUnsigned(class_id), OctetString(logical_name.to_bytes()), Integer(attribute_index))
    )


def action_item(script: Obis, selector: int) -> Structure:
    return Structure((OctetString(script.to_bytes()), LongUnsigned(selector)))


NO_ACTION = action_item(Obis(0, 0, 0, 0, 0, 0), 0)


class RegisterMonitor(CosemObject, class_id=21, version=0):
    """Thresholds over one monitored value."""

    ATTRIBUTES = (
        Attribute(2, "thresholds", Tag.ARRAY, check=ShapeCheck([None])),
        Attribute(3, "monitored_value", Tag.STRUCTURE, check=ShapeCheck(VALUE_DEFINITION)),
        Attribute(4, "actions", Tag.ARRAY, check=ShapeCheck([ACTION_SET])),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        monitored_value: Structure,
        thresholds: Array | None = None,
        actions: Array | None = None,
    ) -> None:
        super().__init__(logical_name)
        self.monitored_value: Data = monitored_value
        self.thresholds: Data = thresholds if thresholds is not None else Array()
        self.actions: Data = actions if actions is not None else Array()
        self._above: list[bool] = []

    def evaluate(self, value: float) -> list[Data]:
        """The action items to run for ``value`` (crossings since the last call)."""
        assert isinstance(self.thresholds, list) and isinstance(self.actions, list)
        levels = [
            float(t) if isinstance(t, (int, float)) else float("inf") for t in self.thresholds
        ]
        above = [value > level for level in levels]
        before = self._above + [False] * (len(above) - len(self._above))
        self._above = above
        items: list[Data] = []
        for i, (was, now) in enumerate(zip(before, above, strict=False)):
            if was != now and i < len(self.actions):
                action_set = self.actions[i]
                assert isinstance(action_set, tuple)
                items.append(action_set[0] if now else action_set[1])
        return items
