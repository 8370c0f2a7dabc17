"""The COSEM objects of a device profile, built (:mod:`openamr.devices.profile`).

Every object the twin serves comes from a declaration, in the profile's order.
Most are built from the declaration alone, by interface class: Data and the
registers from their initial value, scaler and unit; a Profile generic from its
layout; the setup classes from their logical name. The rest need the meter's
collaborators (the clock's time source, the serial number, the keys, the invocation
counter) or the MT372's factory settings (the default calendar, the billing script):
they are built here by declaration (:data:`SPECIAL`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDate, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import Data as DlmsData
from openamr.codec.types import (
    DoubleLongUnsigned,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    VisibleString,
)
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.auto_answer import AutoAnswer, CallType
from openamr.cosem.classes.auto_connect import AutoConnect
from openamr.cosem.classes.clock import Clock, TimeSetter, TimeSource
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.disconnect_control import DisconnectControl
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.gprs_modem_setup import GprsModemSetup
from openamr.cosem.classes.gsm_diagnostic import GsmDiagnostic
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.cosem.classes.iec_local_port_setup import IecLocalPortSetup
from openamr.cosem.classes.image_transfer import ImageTransfer
from openamr.cosem.classes.ipv4_setup import Ipv4Setup
from openamr.cosem.classes.limiter import Limiter
from openamr.cosem.classes.modem_configuration import ModemConfiguration
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.cosem.classes.push_setup import PushSender, PushSetup
from openamr.cosem.classes.register import NO_UNIT, Register
from openamr.cosem.classes.register_activation import RegisterActivation
from openamr.cosem.classes.sap_assignment import SapAssignment
from openamr.cosem.classes.script_table import (
    ActionSpecification,
    Executor,
    ScriptTable,
    ServiceId,
)
from openamr.cosem.classes.security_setup import SecurityPolicy, SecuritySetup
from openamr.cosem.classes.single_action_schedule import SingleActionSchedule
from openamr.cosem.classes.special_days import Entry, SpecialDaysTable
from openamr.cosem.classes.tcp_udp_setup import TcpUdpSetup
from openamr.devices.mt372 import objects as mt372
from openamr.devices.profile import DeviceProfile, ObjectDecl
from openamr.meter.keys import MeterKeyStore
from openamr.meter.profiles import columns_of
from openamr.meter.tariff.defaults import mt372_calendar
from openamr.meter.twin_objects import INSTANTANEOUS, LiveRegister, Pending
from openamr.security.counters import OutgoingCounter
from openamr.security.keywrap import unwrap

#: What the management association enforces: authenticated and encrypted both ways.
MANAGEMENT_POLICY = (
    SecurityPolicy.AUTHENTICATED_REQUEST
    | SecurityPolicy.ENCRYPTED_REQUEST
    | SecurityPolicy.AUTHENTICATED_RESPONSE
    | SecurityPolicy.ENCRYPTED_RESPONSE
)


@dataclass(frozen=True, slots=True)
class Collaborators:
    """What some objects need from the meter they are part of."""

    serial: str
    firmware: str  # the active firmware identifier (a fleet gives each meter its own)
    system_title: bytes
    now: TimeSource
    set_now: TimeSetter  # the clock object's setter (the twin's clock set)
    run_script: Executor  # the end of billing script's executor (the twin's)
    push_sender: PushSender  # the Push setup's sender (the alarm push peripheral's)
    keys: MeterKeyStore
    counter: OutgoingCounter
    #: what the lazily published registers call when read (the twin's, through its port)
    publish_pending: Pending = lambda: None


class InvocationCounter(Data):
    """0.0.43.1.0.255: the server's next invocation counter, read by a head-end before
    it opens a ciphered association (a live view of the counter, not a copy)."""

    def __init__(self, logical_name: Obis, counter: OutgoingCounter) -> None:
        super().__init__(logical_name)
        self.counter = counter

    def get_value(self) -> DlmsData:
        return DoubleLongUnsigned(self.counter.value)


Builder = Callable[[ObjectDecl, Collaborators], CosemObject]


def logical_device_name(serial: str) -> str:
    """0.0.42.0.0.255 of the meter with this serial (and its SAP assignment name):
    "ISK" and the serial on 13 digits."""
    return f"ISK{serial:0>13}"


def _data(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return Data(d.obis, d.value)


def _register(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return Register(d.obis, d.value, d.unit or NO_UNIT)


def _extended_register(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return ExtendedRegister(d.obis, d.value, d.unit or NO_UNIT)


def _demand_register(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return DemandRegister(d.obis, d.value, d.unit or NO_UNIT, d.period)


def _profile_generic(d: ObjectDecl, c: Collaborators) -> CosemObject:
    if d.layout is None:
        raise ValueError(f"Profile generic {d.obis} is declared without a layout")
    return ProfileGeneric(d.obis, _columns(d.layout), d.period, d.layout.entries)


#: The columns of a layout, built once (immutable: every meter of a profile shares them).
_columns = functools.lru_cache(maxsize=256)(columns_of)


def _setup(cls: Callable[[Obis], CosemObject]) -> Builder:
    return lambda d, c: cls(d.obis)


#: How an object is built from its declaration alone, by class_id.
BY_CLASS: dict[int, Builder] = {
    1: _data, 3: _register, 4: _extended_register, 5: _demand_register, 7: _profile_generic,
    9: lambda d, c: ScriptTable(d.obis, {}),
    18: _setup(ImageTransfer), 19: _setup(IecLocalPortSetup), 23: _setup(IecHdlcSetup),
    28: _setup(AutoAnswer), 29: _setup(AutoConnect),
    40: lambda d, c: PushSetup(d.obis, sender=c.push_sender),
    41: _setup(TcpUdpSetup), 42: _setup(Ipv4Setup), 45: _setup(GprsModemSetup),
    47: _setup(GsmDiagnostic), 70: _setup(DisconnectControl), 27: _setup(ModemConfiguration),
}  # fmt: skip


# -- objects with collaborators or factory settings ---------------------------------------


def _clock(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return Clock(d.obis, c.now, c.set_now)


@functools.cache
def _factory_calendar() -> tuple[tuple[int, DlmsData], ...]:
    """The active calendar's attributes (2..5) from the factory, checked once by the
    class as a SET would check them; every twin then holds these values (a SET
    replaces a value, nothing changes one in place)."""
    factory = mt372_calendar()  # the twin's rates follow these objects
    parts = (OctetString(b"MT372"), factory.season_profile, factory.week_profile_table,
             factory.day_profile_table)  # fmt: skip
    checked = ActivityCalendar(Obis(0, 0, 13, 0, 0, 255))
    for index, value in enumerate(parts, start=2):
        assert checked.set(index, value) is DataAccessResult.SUCCESS
    return tuple(enumerate(parts, start=2))


def _calendar(d: ObjectDecl, c: Collaborators) -> CosemObject:
    calendar = ActivityCalendar(d.obis)
    for index, value in _factory_calendar():
        spec = calendar.attribute(index)
        assert spec is not None
        setattr(calendar, spec.name, value)
    return calendar


@functools.cache
def _factory_special_days() -> dict[int, Entry]:
    """The special days table from the factory, checked once as a SET would."""
    checked = SpecialDaysTable(Obis(0, 0, 11, 0, 0, 255))
    assert checked.set(2, mt372_calendar().special_days) is DataAccessResult.SUCCESS
    return checked.table


def _special_days(d: ObjectDecl, c: Collaborators) -> CosemObject:
    special_days = SpecialDaysTable(d.obis)
    special_days.table = dict(_factory_special_days())  # the meter's own (insert, delete)
    return special_days


def _register_activation(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """Rate r counts in A+ Tr and A- Tr."""
    registers = [(3, e.obis) for e in (*mt372.A_PLUS[1:], *mt372.A_MINUS[1:])]
    masks = [(bytes([r]), [r, r + 4]) for r in range(1, 5)]
    return RegisterActivation(d.obis, registers, masks, bytes([1]))


def _end_of_billing(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """Script 1 captures the monthly billing profile (the twin runs it as the end of
    billing: registers, maximum demand reset, counter)."""
    capture = ActionSpecification(
        ServiceId.EXECUTE_METHOD, 7, mt372.MONTHLY_BILLING.obis, 2, Integer(0)
    )
    return ScriptTable(d.obis, {1: (capture,)}, c.run_script)


def _billing_schedule(d: ObjectDecl, c: Collaborators) -> CosemObject:
    first_of_month = ((CosemTime(0, 0, 0, 0), CosemDate(0xFFFF, 0xFF, 1, 0xFF)),)
    return SingleActionSchedule(d.obis, times=first_of_month)


def _limiter(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """Monitoring the active power + (Register 1.0.1.7.0.255, attribute 2)."""
    watched = mt372.POWER_IMPORT
    monitored = Structure(
        (LongUnsigned(watched.class_id), OctetString(watched.obis.to_bytes()), Integer(2))
    )
    return Limiter(d.obis, monitored, DoubleLongUnsigned(0), DoubleLongUnsigned(0))


def _hdlc_setup(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """Decision: the largest link class 23 allows (2030-byte information fields,
    window 7; the Blue Book's defaults are 128 and 1): a client that proposes less
    gets what it proposed, one that proposes this reads a profile at ~98 % of a
    9600 Bd line (bench/line.py). The inter-octet time-out stays 25 ms."""
    return IecHdlcSetup(d.obis, window_size=7, max_info_field_length=2030)


def _auto_answer(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """The head-end's numbers on the whitelist from the factory (docs/gsm-meter.md): CSD
    data calls answered after 2 rings, wake-up calls rejected and obeyed."""
    callers = (
        (mt372.HEAD_END_CSD_NUMBER.encode(), CallType.NORMAL_CSD),
        (mt372.HEAD_END_WAKE_UP_NUMBER.encode(), CallType.WAKE_UP),
    )
    return AutoAnswer(d.obis, rings=(2, 2), allowed_callers=callers)


def _security_setup(d: ObjectDecl, c: Collaborators) -> CosemObject:
    return SecuritySetup(
        d.obis, c.keys, unwrap, MANAGEMENT_POLICY, server_system_title=c.system_title
    )


def _live_register(d: ObjectDecl, c: Collaborators) -> CosemObject:
    """An instantaneous value, published by the engine when it is read."""
    return LiveRegister(d.obis, d.value, d.unit or NO_UNIT, c.publish_pending)


#: Objects built by declaration (collaborators, factory settings).
SPECIAL: dict[Obis, Builder] = {
    **{d.obis: _live_register for d in INSTANTANEOUS},
    mt372.CLOCK.obis: _clock,
    mt372.DEVICE_NAME.obis: lambda d, c: Data(
        d.obis, OctetString(logical_device_name(c.serial).encode())
    ),
    mt372.FIRMWARE_ID.obis: lambda d, c: Data(d.obis, OctetString(c.firmware.encode())),
    mt372.IEC_HDLC.obis: _hdlc_setup,
    mt372.SERIAL_NUMBER.obis: lambda d, c: Data(d.obis, VisibleString(c.serial)),
    mt372.CALENDAR.obis: _calendar,
    mt372.SPECIAL_DAYS.obis: _special_days,
    mt372.REGISTER_ACTIVATION.obis: _register_activation,
    mt372.END_OF_BILLING.obis: _end_of_billing,
    mt372.BILLING_SCHEDULE.obis: _billing_schedule,
    mt372.LIMITER.obis: _limiter,
    mt372.SAP_ASSIGNMENT.obis: lambda d, c: SapAssignment(
        d.obis, {1: logical_device_name(c.serial).encode()}
    ),
    mt372.SECURITY_SETUP.obis: _security_setup,
    mt372.AUTO_ANSWER.obis: _auto_answer,
    mt372.INVOCATION_COUNTER.obis: lambda d, c: InvocationCounter(d.obis, c.counter),
}


def build(decl: ObjectDecl, collaborators: Collaborators) -> CosemObject:
    """The COSEM object of one declaration (Association LN excepted: see
    :func:`openamr.meter.associations.install`)."""
    builder = SPECIAL.get(decl.obis) or BY_CLASS.get(decl.class_id)
    if builder is None:
        raise ValueError(f"no way to build class {decl.class_id} ({decl.obis} {decl.name})")
    obj = builder(decl, collaborators)
    if (decl.class_id, decl.version) != (obj.CLASS_ID, obj.VERSION):
        raise ValueError(
            f"{decl.obis} is declared class {decl.class_id} version {decl.version}, "
            f"built as {obj.CLASS_ID} version {obj.VERSION}"
        )
    return obj


def build_objects(
    profile: DeviceProfile,
    collaborators: Collaborators,
    associations: Callable[[ObjectDecl], CosemObject],
) -> Iterator[CosemObject]:
    """All objects of ``profile``, in its order; ``associations`` builds the
    Association LN objects (they need the device and the access policies)."""
    for decl in profile.objects:
        yield associations(decl) if decl.class_id == 15 else build(decl, collaborators)
