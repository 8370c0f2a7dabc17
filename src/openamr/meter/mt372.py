"""The MT372 twin, assembled: its logical device built from the device profile
(:mod:`openamr.devices.mt372`, docs/mt372.md), the associations, the
engine and the peripherals. The profile holds the values of a meter fresh from the
factory; the twin's behaviour (issue 4) drives them from the simulated grid and clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from openamr.apdu.mechanism import MechanismName
from openamr.codec import LongUnsigned
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.devices.mt372 import objects as mt372_objects
from openamr.devices.mt372.objects import MT372
from openamr.devices.profile import DeviceProfile
from openamr.meter.application import ServerApplication
from openamr.meter.assembly import Engine, TwinMeter
from openamr.meter.associations import (
    HDLC_PHYSICAL_ADDRESS,
    SERVER_LOGICAL_ADDRESS,
    Associations,
    Credentials,
)
from openamr.meter.clock import MeterClock, SteppedTime, TimeBase
from openamr.meter.declared import Collaborators, build_objects
from openamr.meter.declared import logical_device_name as logical_device_name  # re-exported
from openamr.meter.events import EventCode
from openamr.meter.firmware import install_firmware
from openamr.meter.keys import MeterKeyStore
from openamr.meter.metrology.disturbances import GridRates, seeded_disturbances
from openamr.meter.metrology.energy import Metrology
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import Disturbance, LoadConfig, MeterModel
from openamr.meter.peripherals import ModemSite, Peripherals
from openamr.meter.peripherals.push import PushPort, Sender
from openamr.meter.persistence import Persistence, Written, resume_time
from openamr.meter.persistence.at_rest import load_received
from openamr.meter.state import ReservedCounter, StateStore
from openamr.meter.twin import Component, Twin, TwinPort
from openamr.security.counters import OutgoingCounter, ReceivedCounters
from openamr.security.lls import LlsGuard, LockoutPolicy

#: The active firmware identifier of a factory-fresh MT372 (1.0.0.2.0.255).
FIRMWARE = mt372_objects.FIRMWARE


#: Where a fresh twin's clock starts when no time base is given (tests).
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def seed_of(serial: str) -> int:
    """A meter's model seed from its serial number: the same serial, the same meter."""
    return int.from_bytes(hashlib.sha256(serial.encode()).digest()[:8], "big")


def _log_lockout(twin: Twin) -> None:
    """A lockout begins: in the log-book, committed (MT372.md 4: association failed)."""
    twin.log(twin.position, EventCode.ASSOCIATION_FAILED)
    twin.checkpoint()


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
    hdlc_address: int = HDLC_PHYSICAL_ADDRESS
    drift_ppm: float = 0.0
    on_write: Callable[[Written], None] | None = None


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
    counters: StateStore | None = None,
    lockout: LockoutPolicy | None = None,
    state_kek: bytes | None = None,
    fleet: FleetSite | None = None,
    profile: DeviceProfile = MT372,
    disturbances: GridRates | None = None,
) -> TwinMeter:
    """The MT372 twin with its three associations, assembled and ready to be served.

    ``time_base`` drives the meter clock (default: a stepped clock at 2026-01-01
    UTC) at ``speed`` times real time, from ``start`` (default: the base's now);
    the meter was commissioned ``history_days``
    before that and the twin simulates them (load profile, billing, log-book) before
    it answers. ``load`` defaults to a three-phase consumer drawn from the serial
    number (pass a LoadConfig for a single- or two-phase hook-up). ``push`` delivers
    the alarm pushes (:class:`openamr.aio.push.PushDelivery` on the wire; None keeps
    them in the push component's outbox). ``disturbances`` seeds the grid's outages,
    sags and swells at those rates (:mod:`openamr.meter.metrology.disturbances`;
    ``FIELD_RATES`` for the field's; None: a quiet grid, only what is injected).

    ``state`` makes the twin non-volatile (:mod:`openamr.meter.persistence`): a store
    that holds this meter resumes it where it was, the time it was down recorded
    as a power failure (``start`` and ``history_days`` then do not apply).
    ``counters`` keeps only the invocation counters when there is no ``state`` (the
    meter never reuses an IC under a key, Green Book 9.2.7.2.4: without a store a
    twin is a meter fresh from the factory each time). ``lockout`` is the guessing
    policy (:class:`~openamr.security.lls.LlsGuard`), one count for LLS passwords and
    one for HLS (a wrong f(StoC) in pass 3 counts as a wrong password); the start of a
    lockout is logged as association failed (0x8036). ``state_kek`` wraps the keys
    kept in ``state`` (:mod:`openamr.meter.persistence.at_rest`; without it they are not
    kept).

    ``profile`` declares the objects (:mod:`openamr.devices.mt372.objects`; a variant
    of it serves more or other objects).

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
    source = MeterClock(base, start=start, speed=speed, drift=site.drift_ppm * 1e-6)
    device = LogicalDevice([])
    associations = Associations(device, profile, credentials)
    configs = associations.configs
    keys = MeterKeyStore(credentials.keys, configs)
    # the counter is reserved in the store before any IC can leave (openamr.meter.state.counter)
    durable = state if state is not None else counters
    outgoing = OutgoingCounter(1) if durable is None else ReservedCounter(durable)
    if counters is not None and state is None:
        counters.mark_open()
    received = ReceivedCounters() if state is None else load_received(state)
    # forward references for the objects built before the twin and its alarm push
    port, push_port = TwinPort(), PushPort()
    collaborators = Collaborators(
        serial, site.firmware, credentials.system_title, source.now, port.set_time,
        port.run_script, push_port.push, keys, outgoing, port.publish_pending,
    )  # fmt: skip
    device.add(*build_objects(profile, collaborators, associations))
    if site.hdlc_address != HDLC_PHYSICAL_ADDRESS:
        _set_hdlc_address(device, site.hdlc_address)
    seed = seed_of(serial)
    commissioned = site.commissioned or source.true_now() - dt.timedelta(days=history_days)
    source.offset = site.clock_error
    if resumed is not None:  # the registers hold everything before: integrate from there
        commissioned, source.offset = resumed.alive, resumed.offset
    model = MeterModel(seed, load or seeded_load(seed, connection=3))
    grid = (
        () if disturbances is None else seeded_disturbances(seed, commissioned, rates=disturbances)
    )
    metrology = Metrology(model, commissioned, disturbances=grid)
    for disturbance in site.disturbances:
        metrology.add_disturbance(disturbance)
    # the twin's components and checkpoints: the parts built on the twin, right below
    components: list[Component] = []
    checkpoints: list[Callable[[], None]] = []
    twin = Twin(device, source, metrology, port, components, checkpoints, commissioned=commissioned)
    # relays, limiter, inputs, covers, modem, push, LCD: one component
    display = profile.display_list()
    peripherals = Peripherals(twin, push_port, push, site=site.modem, display_list=display)
    components.append(peripherals)
    peripherals.publish(twin)  # the objects show the peripherals from the start
    engine = Engine(twin, peripherals)
    install_firmware(twin)  # activation shows the new identifier and logs it
    persistence = None
    guards = {  # one per mechanism, shared by every connection: the meter's failures
        mechanism: LlsGuard(lockout, on_lockout=lambda: _log_lockout(twin))
        for mechanism in (MechanismName.LLS, MechanismName.HLS_GMAC)
    }
    for sap, config in list(configs.items()):
        if config.mechanism in guards:
            configs[sap] = replace(config, guard=guards[config.mechanism])
    if state is not None:
        persistence = Persistence(
            state, twin, keys, serial, outgoing, received, state_kek, on_write=site.on_write
        )
        for sap, config in configs.items():  # every SET and ACTION commits first
            configs[sap] = persistence.recorded(config)
        if resumed is not None:
            persistence.restore(resumed, outage=site.outage)
        if site.commit_every_advance:  # else the owner commits (a fleet, hibernating)
            checkpoints.append(persistence.commit)
        state.mark_open()  # read back whole: from now on the file is written
        persistence.commit()
    app = ServerApplication(
        device,
        configs,
        SERVER_LOGICAL_ADDRESS,
        site.hdlc_address,
        outgoing,
        engine.refresh,
        received,
        display,
    )
    twin.advance()
    password = credentials.iec_password.decode()
    return TwinMeter(serial, app, engine, keys, persistence, password)


def _set_hdlc_address(device: LogicalDevice, address: int) -> None:
    """The meter's HDLC physical address in its IEC HDLC setup object(s) (class 23,
    attribute 9 device_address, Blue Book 4.3.7)."""
    for obj in device:
        if isinstance(obj, IecHdlcSetup):
            obj.device_address = LongUnsigned(address)
