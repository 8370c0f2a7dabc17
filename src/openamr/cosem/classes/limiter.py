"""Limiter, class_id 71, version 0 (Blue Book 4.5.9): watches a value against a
threshold for minimum durations and runs scripts when it stays over or under.

=====  ==============================  ==================================================
index  attribute                       type
=====  ==============================  ==================================================
2      monitored_value                 value_definition {class_id, logical_name,
                                       attribute_index}
3      threshold_active                CHOICE (the monitored value's type)
4      threshold_normal                CHOICE
5      threshold_emergency             CHOICE
6      min_over_threshold_duration     double-long-unsigned (s)
7      min_under_threshold_duration    double-long-unsigned (s)
8      emergency_profile               {emergency_profile_id long-unsigned,
                                       emergency_activation_time octet-string(12),
                                       emergency_duration double-long-unsigned (s)}
9      emergency_profile_group_id_list array of long-unsigned
10     emergency_profile_active        boolean
11     actions                         {action_over_threshold action_item,
                                       action_under_threshold action_item}
=====  ==============================  ==================================================

No methods. :meth:`Limiter.evaluate` is the meter's side: with the current
value and instant it sets threshold_active (the emergency threshold while an
emergency profile of a listed group is in force, else the normal one) and
returns action_over_threshold once the value has stayed above the active
threshold for min_over_threshold_duration, action_under_threshold once it has
then stayed at or below it for min_under_threshold_duration.
"""

from __future__ import annotations

import datetime as dt

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import Array, Data, DoubleLongUnsigned, LongUnsigned, Structure, Tag
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.register_monitor import (
    ACTION_ITEM,
    NO_ACTION,
    VALUE_DEFINITION,
    ShapeCheck,
)
from openamr.errors import DecodeError

EMERGENCY_PROFILE = (Tag.LONG_UNSIGNED, Tag.OCTET_STRING, Tag.DOUBLE_LONG_UNSIGNED)
NO_PROFILE = Structure(
    (LongUnsigned(0), bytes.fromhex("ffff ff ff ff ff ff ff ff 8000 ff"), DoubleLongUnsigned(0))
)


NO_ACTIONS = Structure((NO_ACTION, NO_ACTION))


def _number(value: Data) -> float:
    return float(value) if isinstance(value, (int, float)) else float("inf")


class Limiter(CosemObject, class_id=71, version=0):
    """Threshold supervision with normal and emergency thresholds."""

    ATTRIBUTES = (
        Attribute(2, "monitored_value", Tag.STRUCTURE, check=ShapeCheck(VALUE_DEFINITION)),
        Attribute(3, "threshold_active"),
        Attribute(4, "threshold_normal"),
        Attribute(5, "threshold_emergency"),
        Attribute(6, "min_over_threshold_duration", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(7, "min_under_threshold_duration", Tag.DOUBLE_LONG_UNSIGNED),
        Attribute(8, "emergency_profile", Tag.STRUCTURE, check=ShapeCheck(EMERGENCY_PROFILE)),
        Attribute(
            9, "emergency_profile_group_id_list", Tag.ARRAY, check=ShapeCheck([Tag.LONG_UNSIGNED])
        ),
        Attribute(10, "emergency_profile_active", Tag.BOOLEAN),
        Attribute(11, "actions", Tag.STRUCTURE, check=ShapeCheck((ACTION_ITEM, ACTION_ITEM))),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        monitored_value: Structure,
        threshold_normal: Data,
        threshold_emergency: Data,
        min_over: int = 60,
        min_under: int = 60,
        actions: Structure = NO_ACTIONS,
    ) -> None:
        super().__init__(logical_name)
        self.monitored_value: Data = monitored_value
        self.threshold_normal = threshold_normal
        self.threshold_emergency = threshold_emergency
        self.threshold_active = threshold_normal
        self.min_over_threshold_duration: Data = DoubleLongUnsigned(min_over)
        self.min_under_threshold_duration: Data = DoubleLongUnsigned(min_under)
        self.emergency_profile: Data = NO_PROFILE
        self.emergency_profile_group_id_list: Data = Array()
        self.emergency_profile_active = False
        self.actions: Data = actions
        self.over = False  # the last action taken was action_over_threshold
        self._since: dt.datetime | None = None  # start of the current excursion

    def emergency_in_force(self, now: dt.datetime) -> bool:
        profile = self.emergency_profile
        groups = self.emergency_profile_group_id_list
        assert isinstance(profile, tuple) and is_array(groups)
        profile_id, start, duration = profile
        if profile_id not in groups or not isinstance(start, bytes):
            return False
        try:
            begin = CosemDateTime.from_bytes(start).to_datetime()
        except (DecodeError, ValueError):
            return False
        if begin.tzinfo is None:
            begin = begin.replace(tzinfo=now.tzinfo)
        return begin <= now < begin + dt.timedelta(seconds=_number(duration))

    def evaluate(self, value: float, now: dt.datetime) -> list[Data]:
        """The action items to run at ``now`` (aware) for ``value``."""
        emergency = self.emergency_in_force(now)
        self.emergency_profile_active = emergency
        self.threshold_active = self.threshold_emergency if emergency else self.threshold_normal
        excursion = value > _number(self.threshold_active)
        if excursion == self.over:
            self._since = None
            return []
        self._since = self._since or now
        limit = self.min_over_threshold_duration if excursion else self.min_under_threshold_duration
        if (now - self._since).total_seconds() < _number(limit):
            return []
        self.over, self._since = excursion, None
        assert isinstance(self.actions, tuple)
        return [self.actions[0] if excursion else self.actions[1]]
