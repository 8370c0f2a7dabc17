"""The MT372's logical device: its object list (../shared/MT372.md section 2) with
the values of a meter fresh from the factory. Values are static here; the twin's
behaviour (issue 4) drives them from the simulated grid and clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from openamr.codec.obis import Obis
from openamr.codec.types import (
    DoubleLong,
    DoubleLongUnsigned,
    Long,
    LongUnsigned,
    OctetString,
    Unsigned,
    VisibleString,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import LogicalDevice
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.clock import Clock
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.register import Register
from openamr.meter.application import ServerApplication
from openamr.meter.assembly import Engine, TwinMeter
from openamr.meter.associations import (
    HDLC_PHYSICAL_ADDRESS,
    SERVER_LOGICAL_ADDRESS,
    Credentials,
    install,
)
from openamr.meter.clock import MeterClock, SteppedTime, TimeBase
from openamr.meter.communication import communication_objects
from openamr.meter.keys import MeterKeyStore
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import Disturbance, LoadConfig, MeterModel
from openamr.meter.peripherals import ModemSite, install_peripherals
from openamr.meter.peripherals.push import Sender
from openamr.meter.persistence import Persistence, resume_time
from openamr.meter.profiles import load_profile_1, load_profile_2
from openamr.meter.state import ReservedCounter, StateStore
from openamr.meter.tariff_objects import (
    billing_profiles,
    demand_objects,
    event_log,
    relay_objects,
    tariff_objects,
)
from openamr.meter.twin import Twin
from openamr.security.counters import OutgoingCounter

FIRMWARE = "MT372-1004"
ENERGY = ScalerUnit(0, Unit.WATT_HOUR)  # registers count Wh; the LCD shows kWh


def _energy_registers() -> Iterator[CosemObject]:
    for c in (1, 2):  # A+, A-
        for rate in range(5):  # total, T1..T4
            yield Register(Obis(1, 0, c, 8, rate, 255), DoubleLongUnsigned(0), ENERGY)
    yield Register("1.0.15.8.0.255", DoubleLongUnsigned(0), ENERGY)  # |A|


def _instantaneous() -> Iterator[CosemObject]:
    volts, amps = ScalerUnit(-1, Unit.VOLT), ScalerUnit(-2, Unit.AMPERE)
    for c in (32, 52, 72):
        yield Register(Obis(1, 0, c, 7, 0, 255), LongUnsigned(2300), volts)
    for c in (31, 51, 71):
        yield Register(Obis(1, 0, c, 7, 0, 255), LongUnsigned(0), amps)
    watts = ScalerUnit(0, Unit.WATT)
    yield Register("1.0.1.7.0.255", DoubleLongUnsigned(0), watts)
    yield Register("1.0.2.7.0.255", DoubleLongUnsigned(0), watts)
    pf = ScalerUnit(-3, Unit.COUNT)
    for c in (13, 33, 53, 73):
        yield Register(Obis(1, 0, c, 7, 0, 255), Long(1000), pf)
    yield Register("1.0.14.7.0.255", LongUnsigned(5000), ScalerUnit(-2, Unit.HERTZ))


def logical_device_name(serial: str) -> str:
    """0.0.42.0.0.255 of the meter with this serial: "ISK" and the serial on 13 digits."""
    return f"ISK{serial:0>13}"


def _identification(serial: str, firmware: str) -> Iterator[CosemObject]:
    yield Data("0.0.42.0.0.255", OctetString(logical_device_name(serial).encode()))
    yield Data("0.0.96.1.0.255", VisibleString(serial))
    yield Data("0.0.96.2.0.255", LongUnsigned(0))  # configuration change counter
    yield Data("1.0.0.2.0.255", OctetString(firmware.encode()))
    yield Data("0.0.97.97.0.255", DoubleLongUnsigned(0))  # error register FF
    yield Data("1.0.96.240.0.255", Unsigned(0))  # LP status byte
    yield Data("0.0.96.11.0.255", LongUnsigned(0))  # last event code
    yield Data("0.0.96.14.0.255", Unsigned(1))  # active tariff
    yield Data("0.0.128.30.21.255", Unsigned(1))  # disconnector state: connected
    yield Data("0.0.128.30.22.255", Unsigned(1))  # disconnector control mode
    yield Data("0.0.128.61.1.255", DoubleLong(0))  # contract power limit


def _quality_counters() -> Iterator[CosemObject]:
    """Power quality counters (IEC 62056-61 names, as DSMR meters serve them): voltage
    sags and swells per phase, power failures in any phase."""
    for c in (32, 52, 72):
        yield Data(Obis(1, 0, c, 32, 0, 255), LongUnsigned(0))  # sags (under voltage)
        yield Data(Obis(1, 0, c, 36, 0, 255), LongUnsigned(0))  # swells (over voltage)
    yield Data("0.0.96.7.21.255", LongUnsigned(0))  # power failures in any phase


def _impulse_inputs() -> Iterator[CosemObject]:
    yield Register("8.0.1.0.0.255", DoubleLongUnsigned(0), ScalerUnit(-3, Unit.CUBIC_METRE))
    yield Register("7.0.3.0.0.255", DoubleLongUnsigned(0), ScalerUnit(-3, Unit.CUBIC_METRE))


#: Where a fresh twin's clock starts when no time base is given (tests).
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def seed_of(serial: str) -> int:
    """A meter's model seed from its serial number: the same serial, the same meter."""
    return int.from_bytes(hashlib.sha256(serial.encode()).digest()[:8], "big")


@dataclass(frozen=True)
class FleetSite:
    """What a fleet decides about one of its meters (issue 12); the defaults are a
    meter on its own.

    ``commissioned`` (true time) overrides ``history_days`` with an exact instant (a
    fleet's meters were all installed at one instant, whenever each twin is built);
    ``firmware`` is the active firmware identifier 1.0.0.2.0.255; a fresh twin's clock
    is ``clock_error`` ahead of true time from commissioning on (a crystal's drift);
    ``disturbances`` are grid events the twin has not simulated yet (in its history,
    or since its last commit); ``modem`` the GSM cell and signal. ``outage=False``: a
    resumed store was hibernated, not down (no power failure for the time since its
    last commit); ``commit_every_advance=False``: the store is committed by SET,
    ACTION and the owner's ``persistence.commit()``, not by every advance."""

    commissioned: dt.datetime | None = None
    firmware: str = FIRMWARE
    clock_error: dt.timedelta = dt.timedelta(0)
    disturbances: tuple[Disturbance, ...] = ()
    modem: ModemSite = field(default_factory=ModemSite)
    outage: bool = True
    commit_every_advance: bool = True


def build_mt372(
    serial: str = "12345678",
    credentials: Credentials | None = None,
    time_base: TimeBase | None = None,
    history_days: float = 0,
    speed: float = 1.0,
    load: LoadConfig | None = None,
    start: dt.datetime | None = None,
    state: StateStore | None = None,
    push: Sender | None = None,
    fleet: FleetSite | None = None,
) -> TwinMeter:
    """The MT372 twin with its three associations, assembled and ready to be served.

    ``time_base`` drives the meter clock (default: a stepped clock at 2026-01-01
    UTC) at ``speed`` times real time, from ``start`` (default: the base's now);
    the meter was commissioned ``history_days``
    before that and the twin simulates them (load profile, billing, log-book) before
    it answers. ``load`` defaults to a three-phase consumer drawn from the serial
    number (pass a LoadConfig for a single- or two-phase hook-up). ``push`` delivers
    the alarm pushes (:class:`openamr.aio.push.PushDelivery` on the wire; None keeps
    them in the push component's outbox).

    ``state`` makes the twin non-volatile (:mod:`openamr.meter.persistence`): a store
    that holds this meter resumes it where it was, the time it was down recorded
    as a power failure (``start`` and ``history_days`` then do not apply).

    ``fleet`` places the meter in a fleet (:class:`FleetSite`: its commissioning
    instant, firmware, clock error, history, modem site, how it resumes and commits).

    Built in dependency order, each part with what it needs: the clock, the objects
    and associations, the keys, the engine and its peripherals, the persistence (its
    recording views go into the associations), then the application that serves them
    with the engine's refresh."""
    credentials = credentials or Credentials()
    site = fleet or FleetSite()
    base = time_base or SteppedTime(EPOCH)
    resumed = None if state is None else resume_time(state, base())
    if resumed is not None:
        start = resumed.resumed
    source = MeterClock(base, start=start, speed=speed)
    clock = Clock("0.0.1.0.0.255", source.now, source.set)
    device = LogicalDevice([clock, load_profile_1(), load_profile_2(), event_log()])
    groups = (
        _identification(serial, site.firmware), _energy_registers(), _instantaneous(),
        _quality_counters(), _impulse_inputs(),
        demand_objects(), tariff_objects(), billing_profiles(), relay_objects(),
    )  # fmt: skip
    for group in groups:
        device.add(*group)
    configs = install(device, credentials)
    # the counter is reserved in the store before any IC can leave (openamr.meter.state.counter)
    outgoing = OutgoingCounter(1) if state is None else ReservedCounter(state)
    keys = MeterKeyStore(credentials.keys, configs)
    device.add(*communication_objects(serial, credentials.system_title, keys, outgoing))
    seed = seed_of(serial)
    commissioned = site.commissioned or source.true_now() - dt.timedelta(days=history_days)
    source.offset = site.clock_error
    if resumed is not None:  # the registers hold everything before: integrate from there
        commissioned, source.offset = resumed.alive, resumed.offset
    model = MeterModel(seed, load or seeded_load(seed, connection=3))
    metrology = Metrology(model, commissioned)
    for disturbance in site.disturbances:
        metrology.add_disturbance(disturbance)
    twin = Twin(device, source, metrology, commissioned=commissioned)
    # relays, limiter, inputs, covers, modem, push, LCD
    engine = Engine(twin, install_peripherals(twin, push, site=site.modem))
    persistence = None
    if state is not None:
        persistence = Persistence(state, twin, keys, serial, outgoing)
        for sap, config in configs.items():  # every SET and ACTION commits first
            configs[sap] = persistence.recorded(config)
        if resumed is not None:
            persistence.restore(resumed, outage=site.outage)
        persistence.attach(on_advance=site.commit_every_advance)
    app = ServerApplication(
        device, configs, SERVER_LOGICAL_ADDRESS, HDLC_PHYSICAL_ADDRESS, outgoing, engine.refresh
    )
    twin.advance()
    password = credentials.iec_password.decode()
    return TwinMeter(serial, app, engine, keys, persistence, password)
