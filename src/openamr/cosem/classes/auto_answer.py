"""Auto answer, class_id 28, version 2 (Blue Book 4.8.2): how the modem answers
incoming calls (0.0.2.2.0.255). On the MT372 a CSD call from a listed number wakes
the meter up, which then attaches to GPRS (MT372.md section 5)::

    mode              enum: 0 line dedicated to the device, 1 shared line, limited
                      number of calls, 2 shared line, limited number of successful
                      calls, 3 no modem connected, 200..255 manufacturer specific
    listening_window  array window_element
        window_element ::= structure { start_time octet-string, end_time octet-string }
                      (date-times, wildcards allowed)
    status            enum: 0 inactive, 1 active, 2 locked (the device's, read-only)
    number_of_calls   unsigned: calls allowed in a window (0: no limit)
    number_of_rings   structure { nr_rings_in_window unsigned,
                                  nr_rings_out_of_window unsigned } (0: no answer)
    list_of_allowed_callers  array structure { caller_id octet-string, call_type enum }
        call_type: 0 normal CSD call, 1 wake-up request

No methods. :meth:`AutoAnswer.call_type` tells the modem model what to do with a
caller (an empty list allows every caller as a normal call).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, Enum, OctetString, Structure, Tag, Unsigned
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import (
    DATE_TIME_VALUE,
    ArrayOf,
    among,
    as_bytes,
    as_int,
    denied,
    items,
    shaped,
)

WINDOW = (DATE_TIME_VALUE, DATE_TIME_VALUE)
CALLER = (Tag.OCTET_STRING, Tag.ENUM)
MANUFACTURER_MODES = range(200, 256)


class AutoAnswerMode(enum.IntEnum):
    LINE_DEDICATED = 0
    SHARED_LINE_CALLS = 1
    SHARED_LINE_SUCCESSFUL_CALLS = 2
    NO_MODEM = 3


class AutoAnswerStatus(enum.IntEnum):
    INACTIVE = 0
    ACTIVE = 1
    LOCKED = 2


class CallType(enum.IntEnum):
    NORMAL_CSD = 0
    WAKE_UP = 1


class AutoAnswer(CosemObject, class_id=28, version=2):
    """Incoming-call rules of the modem."""

    ATTRIBUTES = (
        Attribute(2, "mode", Tag.ENUM, True, check=among([*AutoAnswerMode, *MANUFACTURER_MODES])),
        Attribute(3, "listening_window", Tag.ARRAY, True, check=shaped(ArrayOf(WINDOW))),
        Attribute(4, "status", Tag.ENUM),
        Attribute(5, "number_of_calls", Tag.UNSIGNED, static=True),
        Attribute(6, "number_of_rings", Tag.STRUCTURE, True, check=shaped((Tag.UNSIGNED,) * 2)),
        Attribute(7, "list_of_allowed_callers", Tag.ARRAY, True, check=shaped(ArrayOf(CALLER))),
    )

    set_status = staticmethod(denied)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.2.2.0.255",
        mode: AutoAnswerMode = AutoAnswerMode.LINE_DEDICATED,
        rings: tuple[int, int] = (2, 0),
        allowed_callers: Iterable[tuple[bytes, CallType]] = (),
    ) -> None:
        super().__init__(logical_name)
        self.mode: Data = Enum(mode)
        self.listening_window: Data = Array()
        self.status: Data = Enum(AutoAnswerStatus.ACTIVE)
        self.number_of_calls: Data = Unsigned(0)
        self.number_of_rings: Data = Structure((Unsigned(rings[0]), Unsigned(rings[1])))
        self.list_of_allowed_callers: Data = Array(
            Structure((OctetString(c), Enum(t))) for c, t in allowed_callers
        )

    def call_type(self, caller_id: bytes) -> CallType | None:
        """How to treat a call from ``caller_id``: None if the caller is not allowed."""
        pairs = (items(c) for c in items(self.list_of_allowed_callers))
        allowed = {as_bytes(c): CallType(as_int(t)) for c, t in pairs}
        if not allowed:
            return CallType.NORMAL_CSD
        return allowed.get(caller_id)
