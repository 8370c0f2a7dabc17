"""The MT372 twin's rates, demand and billing: a pure, sans-IO library.

Nothing here reads a clock: every function takes aware instants, and local time
comes from the meter's Clock (class 8) through :class:`LocalTime` (its
``zone(instant)``). The twin drives it step by step::

    rules = CachedLocalTime(clock)                 # invalidate() on Clock writes
    for seg in plan.rate_segments(t0, t1, rules):  # [t0, t1) cut by rate
        e = metrology.energy(seg.start, seg.end)   # the caller integrates
        a_plus.add(e, seg.rate)                    # RateRegisters: T1..T4 sum to total
        demand.add(e, seg.rate, seg.end)           # DemandEngine: periods, maxima
    for at, due in billing.due(t0, t1):            # (t0, t1]: end of billing, daily
        ...                                        # bring registers up to ``at`` first

Modules: :mod:`.model` (parsing and refusals), :mod:`.calendar` (the engine),
:mod:`.defaults` (the factory calendar and Data builders), :mod:`.demand`,
:mod:`.registers`, :mod:`.schedule` (single action schedule times),
:mod:`.billing` (rows, reset, counter), :mod:`.localtime`.
"""

from openamr.meter.tariff.billing import (
    DAILY_BILLING,
    DAILY_COLUMNS,
    EVENT_BILLING_RESET,
    LP_STATUS_BILLING_RESET,
    MONTHLY_BILLING,
    MONTHLY_COLUMNS,
    BillingEngine,
    BillingReset,
    DailyCapture,
    Due,
    Trigger,
)
from openamr.meter.tariff.calendar import (
    Calendar,
    CalendarPlan,
    RateSegment,
    Segment,
    activation_instant,
    parse_calendar,
)
from openamr.meter.tariff.defaults import CalendarData, mt372_calendar
from openamr.meter.tariff.demand import DemandEngine, DemandPeriodEnd, DemandState, MaximumDemand
from openamr.meter.tariff.localtime import CachedLocalTime, FixedOffset, LocalTime
from openamr.meter.tariff.model import (
    MT372_LIMITS,
    TARIFF_SCRIPT,
    CalendarLimits,
    Refusal,
)
from openamr.meter.tariff.registers import RateRegisters, RateSnapshot
from openamr.meter.tariff.schedule import FIRST_OF_MONTH, MIDNIGHT, Schedule, parse_schedule

__all__ = [
    "DAILY_BILLING",
    "DAILY_COLUMNS",
    "EVENT_BILLING_RESET",
    "FIRST_OF_MONTH",
    "LP_STATUS_BILLING_RESET",
    "MIDNIGHT",
    "MONTHLY_BILLING",
    "MONTHLY_COLUMNS",
    "MT372_LIMITS",
    "TARIFF_SCRIPT",
    "BillingEngine",
    "BillingReset",
    "CachedLocalTime",
    "Calendar",
    "CalendarData",
    "CalendarLimits",
    "CalendarPlan",
    "DailyCapture",
    "DemandEngine",
    "DemandPeriodEnd",
    "DemandState",
    "Due",
    "FixedOffset",
    "LocalTime",
    "MaximumDemand",
    "RateRegisters",
    "RateSegment",
    "RateSnapshot",
    "Refusal",
    "Schedule",
    "Segment",
    "Trigger",
    "activation_instant",
    "mt372_calendar",
    "parse_calendar",
    "parse_schedule",
]
