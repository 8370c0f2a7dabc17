"""Extended register, class_id 4, version 0 (Blue Book 4.3.3): a register value
with its status and the time it was captured.

=====  ============  =======================  ======
index  attribute     type                     static
=====  ============  =======================  ======
2      value         CHOICE (a number)
3      scaler_unit   structure {integer, enum}  yes
4      status        CHOICE (often unsigned)
5      capture_time  octet-string(12)
=====  ============  =======================  ======

Method 1 ``reset(integer 0)``: the value goes back to its default (zero of its
type), and capture_time becomes the time of the reset.
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.codec.obis import Obis
from openamr.codec.types import Data, OctetString, Tag
from openamr.codec.units import ScalerUnit
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.clock import check_date_time
from openamr.cosem.classes.register import NO_UNIT, check_scaler_unit, zero_like

#: The current local time as the 12 octets of a COSEM date-time (e.g. Clock.stamp).
Stamp = Callable[[], bytes]

#: A date-time with every field "not specified".
NOT_SPECIFIED = bytes.fromhex("ffff ff ff ff ff ff ff ff 8000 ff")


def no_stamp() -> bytes:
    return NOT_SPECIFIED


class ExtendedRegister(CosemObject, class_id=4, version=0):
    """A value, its scaler_unit, status and capture_time."""

    ATTRIBUTES = (
        Attribute(2, "value", scaled=True),
        Attribute(3, "scaler_unit", Tag.STRUCTURE, static=True, check=check_scaler_unit),
        Attribute(4, "status"),
        Attribute(5, "capture_time", Tag.OCTET_STRING, check=check_date_time),
    )
    METHODS = (Method(1, "reset", Tag.INTEGER),)

    def __init__(
        self,
        logical_name: Obis | str,
        value: Data = None,
        scaler_unit: ScalerUnit = NO_UNIT,
        status: Data = None,
        stamp: Stamp = no_stamp,
    ) -> None:
        super().__init__(logical_name)
        self.value = value
        self.scaler_unit: Data = scaler_unit.to_data()
        self.status = status
        self.capture_time: Data = OctetString(NOT_SPECIFIED)
        self.stamp = stamp

    def capture(self, value: Data, status: Data | None = None) -> None:
        """The meter's side: a new value captured now (with its status)."""
        self.value = value
        if status is not None:
            self.status = status
        self.capture_time = OctetString(self.stamp())

    def reset(self, parameters: Data) -> MethodResult:
        self.value = zero_like(self.value)
        self.capture_time = OctetString(self.stamp())
        return SUCCESS
