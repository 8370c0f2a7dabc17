"""The MT372 twin's engine: the object model driven through time (issue 4).

The twin is *lazy and exact*. Nothing runs while nobody looks: before every answer
(``ServerApplication.refresh``) the twin advances from the instant it last reached
to the clock's now, and the state it reaches at an instant does not depend on how
often, or in what steps, it got there (the metrology integrates exactly, and every
boundary is an exact cut).

One advance walks a timeline of boundaries in *meter time* (the meter's own clock)::

    energy [pos, at)  ->  cut by rate (activity calendar) and by demand period
                          A+ / A- rate registers (exact: mJ fractions of Wh)
    at each boundary  ->  power quality events   log-book, LP status bits
                          DST changes            log-book 0x0008
                          end of billing         monthly billing row, MD reset, 0x0010
                          daily capture          daily billing row, LP2 row
                          LP1 period end         LP1 row {clock, status, A+, A-}

then publishes the registers, demand, instantaneous values and status into the
COSEM objects (the instantaneous values lazily: computed when one of them is read,
:meth:`Twin.publish_pending`). Energy flows in *true time* (the grid's), so a DLMS clock set
changes the time stamps but never counts energy twice or loses any.

The roles, one module each: this one holds the twin's state and what may be done
to it (advance, clock set, end of billing, grid events); the energy flow and the
LP1 rows are :mod:`openamr.meter.twin_flow`, the timeline and what happens at each
boundary :mod:`openamr.meter.twin_boundaries`, the objects' values
:mod:`openamr.meter.twin_publish`, the components and the forward reference
:mod:`openamr.meter.twin_port`.

Wiring (STYLE.md "Wire in plain sight"): the twin gets every collaborator in its
constructor. The clock object and the end of billing script are built before it, so
they are built with a :class:`TwinPort` (a forward reference the constructor binds
once); the components and the checkpoint callbacks are built on the twin, so the
assembly passes its own lists and fills them before the first advance
(:mod:`openamr.meter.assembly`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from operator import attrgetter

from openamr.codec.datetime import ClockStatus
from openamr.codec.table import Row
from openamr.codec.types import Data as DlmsData
from openamr.codec.types import DoubleLongUnsigned, LongUnsigned, OctetString
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.script_table import (
    ActionSpecification,
    ServiceId,
    device_executor,
)
from openamr.devices.mt372.events import EventCode, LpStatus
from openamr.meter.clock import MeterClock
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.model import Disturbance, LoadStep
from openamr.meter.profiles import stamp
from openamr.meter.stamps import whole_second
from openamr.meter.tariff import (
    BillingEngine,
    CachedLocalTime,
    CalendarPlan,
    DemandEngine,
    RateRegisters,
    RateSegment,
)
from openamr.meter.tariff.billing import MONTHLY_BILLING, NOT_SPECIFIED_STAMP, Trigger
from openamr.meter.tariff.calendar import Calendar, activation_instant, parse_calendar
from openamr.meter.tariff.model import Refusal
from openamr.meter.twin_boundaries import (
    FF_INVALID_TIME,
    FF_SUPERCAP_DISCHARGED,
    end_of_billing,
    timeline,
)
from openamr.meter.twin_flow import first_capture, flow
from openamr.meter.twin_objects import TwinObjects
from openamr.meter.twin_port import Action, Component, TwinPort
from openamr.meter.twin_publish import publish, publish_instantaneous

log = logging.getLogger(__name__)

MJ_PER_WH = 3_600_000
#: The activity calendar's parts, in the order parse_calendar takes them.
CALENDAR_PARTS = ("season_profile", "week_profile_table", "day_profile_table")
#: The activity calendar's attributes the rates follow, read in one go (the plan's key).
_CALENDAR_VALUES = attrgetter(
    *(f"{p}_{s}" for s in ("active", "passive") for p in CALENDAR_PARTS),
    "activate_passive_calendar_time",
)


class Twin:
    """One MT372 in time. Build it with :func:`openamr.meter.mt372.build_mt372`."""

    def __init__(
        self,
        device: LogicalDevice,
        source: MeterClock,
        metrology: Metrology,
        port: TwinPort,
        components: list[Component],
        checkpoints: list[Callable[[], None]],
        plan: CalendarPlan | None = None,
        commissioned: dt.datetime | None = None,
        lp_period: int = 900,
    ) -> None:
        """``commissioned`` (true time, default now): the twin is complete up to there
        and its first advance simulates everything since. ``port``: the forward
        reference the clock and the end of billing script were built with (bound here).
        ``components`` (the peripherals) and ``checkpoints`` (called after every change
        of state: the persistence commits there) are the assembly's lists, which it
        fills with the parts built on this twin before its first advance."""
        self.device, self.source, self.metrology = device, source, metrology
        self.objects = TwinObjects(device)
        clock = self.objects.clock
        self.rules = CachedLocalTime(clock)
        self._calendar_key: tuple[object, ...] = ()
        self.plan = plan if plan is not None else self._calendar_plan()
        # exact carries: the registers are the floor of the exact integral
        self.a_plus = RateRegisters(carry=Fraction(0))
        self.a_minus = RateRegisters(carry=Fraction(0))
        start = commissioned if commissioned is not None else source.true_now()
        self.demand = DemandEngine(source.to_meter(start), lp_period)
        self.billing = BillingEngine(self.rules, stamp=lambda at: stamp(clock, at))
        self.lp_period = lp_period
        self.true_t = start  # everything is complete up to here
        self.status = LpStatus(0)  # status bits of the running LP1 period
        self.day_status = LpStatus(0)  # and of the running day (LP2)
        self.rate = self.plan.rate_at(self.position, self.rules)
        self.components = components
        self.down_since: dt.datetime | None = None  # meter time of the last power failure
        self.rates_ahead: deque[RateSegment] = deque()  # of the running advance
        self.lp1_rows: list[Row] = []  # LP1 rows of the running advance
        self.next_lp1 = self.position  # the next LP1 period end not yet captured
        self.lp1_step = dt.timedelta(seconds=lp_period)  # and the period
        self.powered = True  # the supply is on; while it is off nothing is captured
        #: the instant (true time) of the instantaneous values published lazily, while
        #: nobody has read them (:meth:`publish_pending`)
        self.instant_due: dt.datetime | None = None
        self.checkpoints = checkpoints
        port.bind(self)
        self.publish()

    # -- time ---------------------------------------------------------------------------

    @property
    def position(self) -> dt.datetime:
        """Meter time up to which the twin is complete."""
        return self.source.to_meter(self.true_t)

    def advance(self, force: bool = False) -> None:
        """Bring registers, profiles and the log-book up to the clock's now.

        Nothing is due while the clock stays within the whole second (of true and of
        meter time) the twin has reached: energy integrates whole seconds and every
        boundary (periods, billing, DST, rates, quality events) is a whole second, so
        the twin returns at once (a client's APDUs microseconds apart cost nothing) and
        the next advance past the second does all of it. ``force``: advance anyway
        (a clock set, a command, a peripheral acting at the twin's now)."""
        end = self.source.true_now()
        if end <= self.true_t:
            return
        m0, m1 = self.position, self.source.to_meter(end)
        if (
            not force
            and whole_second(end) == whole_second(self.true_t)
            and whole_second(m1) == whole_second(m0)
        ):
            return
        self.plan = self._calendar_plan()
        self.rates_ahead = deque(self.plan.rate_segments(m0, m1, self.rules))
        # LP1's capture period is programmable (15, 30, 60 min or a day): follow it
        self.lp1_step = step = dt.timedelta(seconds=self.objects.lp1.period or self.lp_period)
        self.next_lp1 = first_capture(m0, step)
        for at, action in timeline(self, m0, m1):
            flow(self, at)
            action(at)
        flow(self, m1, inclusive=True)
        self._flush_lp1()
        self._activate_passive_calendar()
        self.publish()
        self.checkpoint()

    def _calendar_plan(self) -> CalendarPlan:
        """The rates as the activity calendar and special days objects hold them now
        (a client's write takes effect at the next advance; a calendar the engine
        refuses leaves the previous one in force)."""
        cal, special = self.objects.calendar, self.objects.special_days
        # the values by identity (a SET replaces a value, nothing changes one in place);
        # the special days in the table's order (another order of the same days only
        # costs a new plan)
        key = (*map(id, _CALENDAR_VALUES(cal)), *special.table.items())
        if key == self._calendar_key:
            return self.plan
        days = special.get_entries()
        active = self._parse(cal, "active", days)
        if not isinstance(active, Calendar):
            log.warning("activity calendar refused, the previous one stays: %s", active.reason)
            return self.plan
        passive = self._parse(cal, "passive", days)
        due = activation_instant(cal.activate_passive_calendar_time, self.rules)
        self._calendar_key = key
        if isinstance(passive, Calendar) and due is not None:
            return CalendarPlan(active, passive, due)
        return CalendarPlan(active)

    @staticmethod
    def _parse(cal: ActivityCalendar, which: str, days: DlmsData) -> Calendar | Refusal:
        season, week, day = (getattr(cal, f"{part}_{which}") for part in CALENDAR_PARTS)
        return parse_calendar(season, week, day, days)

    def _activate_passive_calendar(self) -> None:
        """At its activation time the passive calendar becomes the active one in the
        object too (the plan already switched rates at that instant)."""
        plan = self.plan
        due = plan.activation
        if plan.passive is not None and due is not None and self.position >= due:
            self.objects.calendar.activate_passive_calendar(None)
            self.objects.calendar.activate_passive_calendar_time = OctetString(NOT_SPECIFIED_STAMP)

    def set_time(self, when: dt.datetime) -> None:
        """A clock set (DLMS, optical port): logged, flagged in LP status, demand
        period restarted; energy keeps flowing in true time."""
        self.advance(force=True)
        self.source.set(when)
        self.rules.invalidate()
        self.error_bits(FF_SUPERCAP_DISCHARGED | FF_INVALID_TIME, on=False)  # a set clock
        self.demand.clock_set(when)
        self.log(when, EventCode.CLOCK_CHANGED)
        self.flag(LpStatus.CLOCK_ADJUSTED)
        self.publish()
        self.checkpoint()

    def end_of_billing(self) -> None:
        """End of billing by command (the script 0.0.10.0.1.255, or the button)."""
        self.advance(force=True)
        end_of_billing(self, self.position, Trigger.COMMAND)
        self.publish()

    def run_script_action(self, action: ActionSpecification) -> bool:
        """The meter's own scripts: capturing the monthly billing profile is the end
        of billing (registers, maximum demand reset, counter); any other action runs
        on the device's objects."""
        target = (action.service_id, action.class_id, action.logical_name, action.index)
        if target == (ServiceId.EXECUTE_METHOD, 7, MONTHLY_BILLING, 2):
            self.end_of_billing()
            return True
        return device_executor(self.device)(action)

    def inject(self, disturbance: Disturbance) -> None:
        """A grid event (power failure, phase loss, sag, swell, reversal, sequence)
        from its start on; the past is not rewritten, so it may not start before the
        instant the twin has reached."""
        if disturbance.start <= int(self.true_t.timestamp()):
            raise ValueError("a disturbance cannot start at or before the twin's present")
        self.publish_pending()  # the values due were those of the grid before it
        self.metrology.add_disturbance(disturbance)
        self.checkpoint()

    def add_load_step(self, step: LoadStep) -> None:
        """A load change from ``step.start`` on (the past is not rewritten)."""
        if step.start < int(self.true_t.timestamp()):
            raise ValueError("a load change cannot start before the twin's present")
        self.publish_pending()  # the values due were those of the load before it
        self.metrology.add_load_step(step)
        self.checkpoint()

    def error_bits(self, bits: int, on: bool) -> None:
        """Raise or clear bits of the error register FF (MT372.md 3)."""
        errors = self.objects.error_register.value
        assert isinstance(errors, int)
        self.objects.error_register.value = DoubleLongUnsigned(
            errors | bits if on else errors & ~bits
        )

    @property
    def clock_invalid(self) -> bool:
        return bool(self.objects.clock.flags & ClockStatus.INVALID_VALUE)

    def _flush_lp1(self) -> None:
        """The LP1 rows of the advance into the profile, in one go."""
        if self.lp1_rows:
            self.objects.lp1.extend_rows(self.lp1_rows)
            self.lp1_rows = []

    def checkpoint(self) -> None:
        self._flush_lp1()
        for hook in self.checkpoints:
            hook()

    def flag(self, bits: LpStatus) -> None:
        """Mark the running LP1 period and day with status bits."""
        self.status |= bits
        self.day_status |= bits

    def log(self, at: dt.datetime, code: int) -> None:
        """An entry in the log-book (and the last event code)."""
        o = self.objects
        o.event_log.append_row((stamp(o.clock, at), int(code)))
        o.last_event.value = LongUnsigned(code)

    def publish(self) -> None:
        """The engine's state into the COSEM objects (:mod:`openamr.meter.twin_publish`)."""
        publish(self)

    def publish_pending(self) -> None:
        """The values :meth:`publish` marked due, into their objects: the instantaneous
        values, at the instant they fell due (the first read of one of them asks)."""
        at = self.instant_due
        if at is not None:
            self.instant_due = None
            publish_instantaneous(self, at)


__all__ = ["MJ_PER_WH", "Action", "Component", "Twin", "TwinPort"]
