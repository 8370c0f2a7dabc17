"""End of billing: the billing record, the maximum demand reset and the billing
counter; daily snapshots (MT372.md section 2: 1.0.98.1.0.255 monthly and
1.0.98.2.0.255 daily billing values, 0.0.10.0.1.255 end of billing script run by
the single action schedule 0.0.15.0.0.255).

Row layouts (decision, [I]: the MT372's own layouts are not public). Each
column is a capture object definition {class_id, logical_name, attribute_index,
data_index} with its wire type::

    monthly 1.0.98.1.0.255 (22 columns)
      0  8 0.0.1.0.0.255    2  octet-string(12)  clock: the end of billing, local
      1  1 0.0.0.1.0.255    2  unsigned          billing period counter (after the reset)
      2  3 1.0.1.8.0.255    2  double-long-unsigned  A+ total (Wh)
      3  3 1.0.1.8.1..4.255 2  .. A+ T1..T4 (Wh)                 (columns 3-6)
      7  3 1.0.2.8.0.255    2  A- total, then 8-11 A- T1..T4 (Wh)
     12  4 1.0.1.6.0.255    2  double-long-unsigned  maximum demand A+ (W)
     13  4 1.0.1.6.0.255    5  octet-string(12)      its capture time
     14  4 1.0.1.6.1..4.255 2/5 the same per rate T1..T4       (columns 14-21)

    daily 1.0.98.2.0.255 (11 columns): clock, A+ total and T1..T4, A- total
      and T1..T4 (columns 0 and 2-11 of the monthly row, no counter)

The daily profile is captured every local midnight; the end of billing captures
the monthly profile with the maxima before their reset. Energy registers are
double-long-unsigned Wh and wrap at 2**32, as the meter's would; the counter
wraps at 256. A maximum never captured shows 0 W and a capture time of all
"not specified".
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from openamr.codec.datetime import ClockStatus, CosemDateTime
from openamr.codec.table import Row
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.events import EventCode, LpStatus
from openamr.devices.profile import ObjectDecl
from openamr.meter.profiles import Column, columns_of
from openamr.meter.tariff.demand import DemandEngine, MaximumDemand
from openamr.meter.tariff.localtime import LocalTime, offset_at
from openamr.meter.tariff.registers import RateSnapshot
from openamr.meter.tariff.schedule import FIRST_OF_MONTH, MIDNIGHT, Schedule

MONTHLY_BILLING = mt372.MONTHLY_BILLING.obis
DAILY_BILLING = mt372.DAILY_BILLING.obis
BILLING_COUNTER = mt372.BILLING_COUNTER.obis
#: Log-book event code and LP1 status bit of an end of billing (MT372.md 3, 4)
EVENT_BILLING_RESET = int(EventCode.BILLING_RESET)  # 0x0010
LP_STATUS_BILLING_RESET = int(LpStatus.BILLING_RESET)  # 0x10
NOT_SPECIFIED_STAMP = bytes.fromhex("ffff ff ff ff ff ff ff ff 8000 ff")

#: The 12 octets of the local date-time of an instant (the Clock's time stamps).
Stamp = Callable[[dt.datetime], bytes]


def _layout(profile: ObjectDecl) -> tuple[Column, ...]:
    assert profile.layout is not None
    return columns_of(profile.layout)


#: The rows' columns, as the device profile declares them (openamr.devices.mt372).
MONTHLY_COLUMNS = _layout(mt372.MONTHLY_BILLING)
DAILY_COLUMNS = _layout(mt372.DAILY_BILLING)
CLOCK_COLUMN = MONTHLY_COLUMNS[0]


def stamp_for(rules: LocalTime) -> Stamp:
    """Time stamps in the meter's local time, with the DST status bit when the
    rules know it (the Clock object's ``dst_active``)."""
    dst_active = getattr(rules, "dst_active", None)

    def stamp(instant: dt.datetime) -> bytes:
        local = instant.astimezone(dt.timezone(offset_at(rules, instant)))
        dst = bool(dst_active(instant)) if callable(dst_active) else False
        status = int(ClockStatus.DAYLIGHT_SAVING_ACTIVE) if dst else 0
        return CosemDateTime.from_datetime(local, status).to_bytes()

    return stamp


class Trigger(enum.Enum):
    SCHEDULE = "schedule"  # the single action schedule
    COMMAND = "command"  # the end of billing script run by a client, or the button


class Due(enum.Enum):
    END_OF_BILLING = "end of billing"
    DAILY = "daily capture"


@dataclass(frozen=True, slots=True)
class BillingReset:
    """An end of billing happened: log EVENT_BILLING_RESET, set LP status 0x10,
    append ``row`` to the monthly profile."""

    at: dt.datetime
    counter: int
    trigger: Trigger
    row: Row
    maxima: tuple[MaximumDemand | None, ...]  # total, T1..T4 before the reset
    event_code: int = EVENT_BILLING_RESET
    lp_status: int = LP_STATUS_BILLING_RESET


@dataclass(frozen=True, slots=True)
class DailyCapture:
    at: dt.datetime
    row: Row


def _wrap(value: int) -> int:
    return value % (1 << 32)


def energy_values(a_plus: RateSnapshot, a_minus: RateSnapshot) -> tuple[int, ...]:
    """A+ total, T1..T4, A- total, T1..T4 as register values."""
    return tuple(_wrap(v) for s in (a_plus, a_minus) for v in (s.total, *s.rates))


class BillingEngine:
    """When billing is due, and the records it produces."""

    def __init__(
        self,
        rules: LocalTime,
        schedule: Schedule = FIRST_OF_MONTH,
        daily: Schedule = MIDNIGHT,
        counter: int = 0,
        stamp: Stamp | None = None,
    ) -> None:
        self.rules, self.schedule, self.daily = rules, schedule, daily
        self.counter = counter
        self.stamp = stamp if stamp is not None else stamp_for(rules)

    def due(self, t0: dt.datetime, t1: dt.datetime) -> list[tuple[dt.datetime, Due]]:
        """What falls due in ``(t0, t1]``, in order (at one instant the end of
        billing comes before the daily capture)."""
        found = [(at, Due.END_OF_BILLING) for at in self.schedule.occurrences(t0, t1, self.rules)]
        found += [(at, Due.DAILY) for at in self.daily.occurrences(t0, t1, self.rules)]
        order = {Due.END_OF_BILLING: 0, Due.DAILY: 1}
        return sorted(found, key=lambda item: (item[0], order[item[1]]))

    def _maximum_values(self, m: MaximumDemand | None) -> tuple[int, bytes]:
        if m is None:
            return 0, NOT_SPECIFIED_STAMP
        return _wrap(round(m.value)), self.stamp(m.captured_at)

    def end_of_billing(
        self,
        at: dt.datetime,
        a_plus: RateSnapshot,
        a_minus: RateSnapshot,
        demand: DemandEngine,
        trigger: Trigger = Trigger.SCHEDULE,
    ) -> BillingReset:
        """Close the billing period at ``at`` (registers and demand brought up to
        ``at`` by the caller): the monthly row, maxima reset, counter + 1."""
        self.counter = (self.counter + 1) % 256
        maxima = demand.reset_maxima(at)
        demand_values = tuple(v for m in maxima for v in self._maximum_values(m))
        row = (self.stamp(at), self.counter, *energy_values(a_plus, a_minus), *demand_values)
        return BillingReset(at, self.counter, trigger, row, maxima)

    def daily_capture(
        self, at: dt.datetime, a_plus: RateSnapshot, a_minus: RateSnapshot
    ) -> DailyCapture:
        """The daily billing row at ``at``."""
        return DailyCapture(at, (self.stamp(at), *energy_values(a_plus, a_minus)))
