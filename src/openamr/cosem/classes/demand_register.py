"""Demand register, class_id 5, version 0 (Blue Book 4.3.4): the average of a
quantity over a period (a sliding window of ``number_of_periods`` sub-periods).

=====  ======================  =======================  ======
index  attribute               type                     static
=====  ======================  =======================  ======
2      current_average_value   CHOICE (a number)
3      last_average_value      CHOICE (a number)
4      scaler_unit             structure {integer, enum}  yes
5      status                  CHOICE
6      capture_time            octet-string(12)
7      start_time_current      octet-string(12)
8      period                  double-long-unsigned (s)   yes
9      number_of_periods       long-unsigned              yes
=====  ======================  =======================  ======

Methods (``integer 0``):

* 1 ``reset``: the current period ends; current and last average values go back
  to their defaults (zero of their type); capture_time and start_time_current
  become the time of the reset.
* 2 ``next_period``: the current period ends regularly: the current average is
  copied to last_average_value, capture_time and start_time_current become now,
  the current average goes back to its default and the next period starts.

The meter computes the averages; ``update(value)`` stores a new current average.
"""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data, DoubleLongUnsigned, LongUnsigned, OctetString, Tag
from openamr.codec.units import ScalerUnit
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.clock import check_date_time
from openamr.cosem.classes.extended_register import NOT_SPECIFIED, Stamp, no_stamp
from openamr.cosem.classes.register import NO_UNIT, check_scaler_unit, zero_like


def check_positive(value: Data) -> DataAccessResult | None:
    """period and number_of_periods: at least 1."""
    return None if isinstance(value, int) and value >= 1 else DataAccessResult.OTHER_REASON


class DemandRegister(CosemObject, class_id=5, version=0):
    """Current and last average of a quantity over a period."""

    ATTRIBUTES = (
        Attribute(2, "current_average_value", scaled=True),
        Attribute(3, "last_average_value", scaled=True),
        Attribute(4, "scaler_unit", Tag.STRUCTURE, static=True, check=check_scaler_unit),
        Attribute(5, "status"),
        Attribute(6, "capture_time", Tag.OCTET_STRING, check=check_date_time),
        Attribute(7, "start_time_current", Tag.OCTET_STRING, check=check_date_time),
        Attribute(8, "period", Tag.DOUBLE_LONG_UNSIGNED, static=True, check=check_positive),
        Attribute(9, "number_of_periods", Tag.LONG_UNSIGNED, static=True, check=check_positive),
    )
    METHODS = (Method(1, "reset", Tag.INTEGER), Method(2, "next_period", Tag.INTEGER))

    def __init__(
        self,
        logical_name: Obis | str,
        value: Data = None,
        scaler_unit: ScalerUnit = NO_UNIT,
        period: int = 900,
        number_of_periods: int = 1,
        status: Data = None,
        stamp: Stamp = no_stamp,
    ) -> None:
        super().__init__(logical_name)
        self.current_average_value = value
        self.last_average_value = zero_like(value)
        self.scaler_unit: Data = scaler_unit.to_data()
        self.status = status
        self.capture_time: Data = OctetString(NOT_SPECIFIED)
        self.start_time_current: Data = OctetString(NOT_SPECIFIED)
        self.period: Data = DoubleLongUnsigned(period)
        self.number_of_periods: Data = LongUnsigned(number_of_periods)
        self.stamp = stamp

    def update(self, value: Data) -> None:
        """The meter's side: the current average so far."""
        self.current_average_value = value

    def reset(self, parameters: Data) -> MethodResult:
        now = OctetString(self.stamp())
        self.current_average_value = zero_like(self.current_average_value)
        self.last_average_value = zero_like(self.last_average_value)
        self.capture_time = self.start_time_current = now
        return SUCCESS

    def next_period(self, parameters: Data) -> MethodResult:
        now = OctetString(self.stamp())
        self.last_average_value = self.current_average_value
        self.current_average_value = zero_like(self.current_average_value)
        self.capture_time = self.start_time_current = now
        return SUCCESS
