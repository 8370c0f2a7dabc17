"""The MT372's rates, demand, billing, log-book and relay objects (../shared/MT372.md
sections 2 to 4). Values are those of a fresh meter; the twin's engine drives them."""

from __future__ import annotations

from collections.abc import Iterator

from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.codec.datetime import CosemDate, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.table import Field
from openamr.codec.types import (
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.disconnect_control import DisconnectControl
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.limiter import Limiter
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.cosem.classes.register import Register
from openamr.cosem.classes.register_activation import RegisterActivation
from openamr.cosem.classes.script_table import ActionSpecification, ScriptTable, ServiceId
from openamr.cosem.classes.single_action_schedule import SingleActionSchedule
from openamr.cosem.classes.special_days import SpecialDaysTable
from openamr.meter.profiles import CLOCK, STAMP
from openamr.meter.tariff.billing import (
    DAILY_BILLING,
    DAILY_COLUMNS,
    MONTHLY_BILLING,
    MONTHLY_COLUMNS,
)
from openamr.meter.tariff.defaults import mt372_calendar

WATTS = ScalerUnit(0, Unit.WATT)
END_OF_BILLING_SCRIPT = Obis(0, 0, 10, 0, 1, 255)
EVENT_LOG_ENTRIES = 128
EVENT_CODE = CaptureObjectDefinition(1, Obis(0, 0, 96, 11, 0, 255), 2, 0)


def demand_objects(period: int = 900) -> Iterator[CosemObject]:
    yield DemandRegister("1.0.1.4.0.255", DoubleLongUnsigned(0), WATTS, period)
    yield Register("1.0.1.5.0.255", DoubleLongUnsigned(0), WATTS)  # last average
    for rate in range(5):  # maximum demand, total and T1..T4
        yield ExtendedRegister(Obis(1, 0, 1, 6, rate, 255), DoubleLongUnsigned(0), WATTS)


def tariff_objects() -> Iterator[CosemObject]:
    factory = mt372_calendar()  # the twin's rates follow these objects
    calendar = ActivityCalendar("0.0.13.0.0.255")
    parts = (OctetString(b"MT372"), factory.season_profile, factory.week_profile_table,
             factory.day_profile_table)  # fmt: skip
    for index, value in enumerate(parts, start=2):
        assert calendar.set(index, value) is DataAccessResult.SUCCESS
    yield calendar
    special_days = SpecialDaysTable("0.0.11.0.0.255")
    assert special_days.set(2, factory.special_days) is DataAccessResult.SUCCESS
    yield special_days
    registers = [(3, Obis(1, 0, c, 8, r, 255)) for c in (1, 2) for r in range(1, 5)]
    masks = [(bytes([r]), [r, r + 4]) for r in range(1, 5)]  # rate r: A+ Tr and A- Tr
    yield RegisterActivation("0.0.14.0.1.255", registers, masks, bytes([1]))
    end_of_billing = ActionSpecification(
        ServiceId.EXECUTE_METHOD, 7, MONTHLY_BILLING, 2, Integer(0)
    )
    yield ScriptTable(END_OF_BILLING_SCRIPT, {1: (end_of_billing,)})  # the twin runs it
    first_of_month = ((CosemTime(0, 0, 0, 0), CosemDate(0xFFFF, 0xFF, 1, 0xFF)),)
    yield SingleActionSchedule("0.0.15.0.0.255", times=first_of_month)


def billing_profiles() -> Iterator[CosemObject]:
    """Monthly and daily billing values (layouts: openamr.meter.tariff.billing)."""
    yield Data("0.0.0.1.0.255", Unsigned(0))  # billing period counter
    yield ProfileGeneric(MONTHLY_BILLING, MONTHLY_COLUMNS, 0, 24)  # two years
    yield ProfileGeneric(DAILY_BILLING, DAILY_COLUMNS, 86_400, 62)  # two months


def event_log() -> ProfileGeneric:
    """The log-book 1.0.99.98.0.255: {time stamp, event code}, 128 entries, FIFO."""
    columns = ((CLOCK, STAMP), (EVENT_CODE, Field(Tag.LONG_UNSIGNED)))
    return ProfileGeneric("1.0.99.98.0.255", columns, 0, EVENT_LOG_ENTRIES)


def relay_objects() -> Iterator[CosemObject]:
    yield DisconnectControl("0.0.96.3.10.255")
    monitored = Structure((LongUnsigned(3), OctetString(bytes([1, 0, 1, 7, 0, 255])), Integer(2)))
    yield Limiter("0.0.17.0.0.255", monitored, DoubleLongUnsigned(0), DoubleLongUnsigned(0))
