"""The meters of a fleet (issue 12, "Memory", "Persistence"): lazy, hibernated, exact.

A meter costs nothing until it is reached: :meth:`Fleet.app` builds its twin on
first contact with ``build_mt372(commissioned=<the fleet's epoch - history>)``, and
the lazy twin simulates everything since, so that a meter built at any instant holds
exactly what it would hold had it run from the start. An idle meter is hibernated
(:meth:`Fleet.hibernate`: its memory serialised into the fleet's state file,
:mod:`.hibernation`) and woken on the next contact, resuming with no outage: it
answers exactly as one that stayed awake.

One clock for the fleet: a :class:`~openamr.meter.clock.MeterClock` over the time
base (real time, N x, or stepped in tests); each twin runs on the fleet's true time
at speed 1, in whole seconds (:meth:`Fleet.second`). Sans-IO: idle times are given
as ``now`` (the adapter's monotonic seconds); pushes go to the ``on_push`` callable
the adapter passes.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from openamr.codec.types import Enum, OctetString, Structure
from openamr.fleet.config import FleetConfig
from openamr.fleet.faults import FaultModel
from openamr.fleet.hibernation import FleetState, MeterStore
from openamr.fleet.identity import MeterIdentity, credentials, identity, index_of_card
from openamr.gsm.modem import MeterModem
from openamr.gsm.network import GsmNetwork
from openamr.meter.application import ServerApplication
from openamr.meter.assembly import TwinMeter
from openamr.meter.clock import MeterClock, TimeBase
from openamr.meter.metrology.load import seeded_load
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, seconds
from openamr.meter.mt372 import FleetSite, build_mt372, seed_of
from openamr.meter.peripherals import ModemSite, PushMessage, Reach
from openamr.meter.persistence import Written

EPOCH, CLOCK_TRUE, CLOCK_BASE = "commissioned", "clock/true", "clock/base"
#: The fleet's true time it may have answered up to (written ahead, :meth:`Fleet.answering`).
ALIVE = "clock/alive"
ALIVE_AHEAD = dt.timedelta(seconds=2)
PUSH_SETUP_DESTINATION = 3  # Push setup's send_destination_and_method
SUPERCAP_OUTAGE_S = 11 * 86_400  # over the super-cap's 10 days (twin.CLOCK_RESERVE)
IDENTITIES = 4096  # identities kept (about 1 KiB each): the meters reached lately
PushSink = Callable[[MeterIdentity, PushMessage], None]


@dataclass
class Awake:
    """A meter whose twin is in memory."""

    meter: TwinMeter
    store: MeterStore
    used: float  # the adapter's monotonic seconds of the last contact
    pinned: int = 0  # scenarios running on it: not hibernated meanwhile


@dataclass
class FleetStats:
    built: int = 0  # twins built for the first time
    woken: int = 0  # twins brought back from the state file
    hibernated: int = 0
    sessions: int = 0  # connections served to their end
    refused: int = 0  # connections refused (offline, cell full, outage)
    alarms: int = 0  # pushes the meters sent
    connections: int = 0  # open now
    per_cell: dict[int, int] = field(default_factory=dict)  # open now, by cell


@dataclass(frozen=True)
class Outage:
    """A scenario's outage: meters (or a cell) without power or network, [start, end)."""

    kind: str  # "feeder" | "cell"
    target: str
    start: dt.datetime
    end: dt.datetime
    meters: tuple[int, ...]


class Fleet:
    """All meters of ``config``; ``clock`` is the fleet's one clock."""

    def __init__(
        self,
        config: FleetConfig,
        clock: MeterClock,
        state: FleetState,
        on_push: PushSink | None = None,
        push_destination: str | None = None,
    ) -> None:
        self.config, self.clock, self.state = config, clock, state
        self.faults = FaultModel(config.faults, config.seed)
        self.on_push, self.push_destination = on_push, push_destination
        epoch = state.get_instant(EPOCH)
        if epoch is None:
            epoch = clock.true_now() - dt.timedelta(days=config.history_days)
            epoch -= dt.timedelta(microseconds=epoch.microsecond)
            state.put_instant(EPOCH, epoch)
        self.commissioned = epoch
        self._alive: dt.datetime | None = None
        self._unsaved: set[int] = set()  # took image blocks not yet in the state file
        #: awake meters reached since their last save (:meth:`save_awake` writes these)
        self._reached: set[int] = set()
        self._note_restart()
        self.awake: OrderedDict[int, Awake] = OrderedDict()  # least recently used first
        self._index = {serial: i for i, serial in enumerate(config.serials)}
        self._identities: dict[int, MeterIdentity] = {}
        self.sleeping = {self._index[s] for s in state.serials() if s in self._index}
        self.outages: list[Outage] = []
        self.stats = FleetStats()
        #: the GSM network the fleet's modems are on (a number not in memory wakes its twin)
        self.network = GsmNetwork(resolve=self._modem_of)

    def _note_restart(self) -> None:
        """A state file with a clock anchor was left by a fleet that stopped (or was
        killed): from its last save to now its meters had no power (ARCHITECTURE.md
        "Nothing lost": outages are power failures). Each meter simulates it when
        next reached."""
        saved, alive = self.state.get_instant(CLOCK_TRUE), self.state.get_instant(ALIVE)
        down = max((t for t in (saved, alive) if t is not None), default=None)
        self._alive = alive
        up = self.second()
        if down is not None and up - down >= dt.timedelta(seconds=2):
            self.state.add_restart(down, up)
        self.restarts = [
            Disturbance(seconds(a) + 1, seconds(b), None, DisturbanceKind.POWER_FAILURE)
            for a, b in self.state.restarts()
        ]

    # -- who ----------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The fleet's true time."""
        return self.clock.true_now()

    def second(self) -> dt.datetime:
        """The fleet's true time in whole seconds: the twins' time base. A meter's
        registers move once a second (as the MT372's do), so that the requests of a
        session within one second cost one advance, not one each."""
        now = self.clock.true_now()
        return now - dt.timedelta(microseconds=now.microsecond)

    def meter(self, index: int) -> MeterIdentity:
        """Who meter ``index`` is; the identities of the meters reached lately are
        kept (a connection asks several times: admission, its twin, its pushes)."""
        found = self._identities.get(index)
        if found is None:
            if len(self._identities) >= IDENTITIES:
                self._identities.clear()
            found = self._identities[index] = identity(self.config, index)
        return found

    def index_of(self, serial: str) -> int | None:
        return self._index.get(serial)

    def select(self, *, meter: str | None = None, group: str | None = None,
               cell: int | None = None) -> list[int]:  # fmt: skip
        """The meters a target names: one serial, a group, a cell, or all (none given)."""
        if meter is not None:
            index = self.index_of(meter)
            return [] if index is None else [index]
        chosen = range(self.config.size)
        if group is not None:
            return [i for i in chosen if self.meter(i).group == group]
        if cell is not None:
            return [i for i in chosen if self.meter(i).cell == cell]
        return list(chosen)

    def condition(self, index: int) -> str:
        """ "unbuilt", "awake" or "hibernated"."""
        if index in self.awake:
            return "awake"
        return "hibernated" if index in self.sleeping else "unbuilt"

    # -- the twins ----------------------------------------------------------------------

    def reach(self, index: int, now: float = 0.0) -> TwinMeter:
        """Meter ``index``'s twin, built or woken if it is not in memory, up to now."""
        awake = self.awake.get(index)
        if awake is None:
            awake = self._bring(index, now)
            self.awake[index] = awake
        else:
            self.awake.move_to_end(index)
            awake.used = now
        self._reached.add(index)
        awake.meter.refresh()
        self.collect_pushes(index)
        return awake.meter

    def app(self, index: int, now: float = 0.0) -> ServerApplication:
        """What the transport adapter serves of meter ``index`` (see :meth:`reach`)."""
        return self.reach(index, now).app

    def hold(self, index: int, now: float = 0.0) -> ServerApplication:
        """:meth:`app`, kept awake until :meth:`release`: a connection's sessions are
        served by one twin however long they last (a meter hibernated under an open
        association would come back as another object)."""
        app = self.app(index, now)
        self.awake[index].pinned += 1
        return app

    def answering(self) -> None:
        """A meter is about to answer: the state file says the fleet was alive up to a
        little past this second first, so that after a ``kill -9`` the outage starts
        after anything a client read (the twins rebuild exactly up to it: no register
        goes back, no energy counts twice). One small write a second, fleet-wide."""
        now = self.second()
        if self._alive is None or now >= self._alive:
            self._alive = now + ALIVE_AHEAD
            self.state.put_instant(ALIVE, self._alive)

    def _written(self, index: int, written: Written) -> None:
        """A client's SET or ACTION was committed: the meter goes into the state file
        before the answer (as the single twin's file is written before it answers).
        An image block (Image transfer, class 18, method 2) is written with the next
        second's :meth:`flush`: a transfer resumes from the first block the meter
        does not hold (Blue Book 4.4.6.4), so a block lost to a kill is sent again,
        and a 64 KiB image does not cost 340 writes of the whole meter."""
        if (written.class_id, written.item, written.action) == (18, 2, True):
            self._unsaved.add(index)
        else:
            self._save(index)

    def _save(self, index: int) -> None:
        self._unsaved.discard(index)
        awake = self.awake.get(index)
        if awake is not None:
            self.state.save(self.meter(index).serial, awake.store, self.now())

    def flush(self) -> None:
        """Write the meters that took image blocks since the last flush."""
        for index in list(self._unsaved):
            self._save(index)

    def release(self, index: int, now: float = 0.0) -> None:
        """The connection that held meter ``index`` is gone: its idle time starts now."""
        awake = self.awake.get(index)
        if awake is not None and awake.pinned > 0:
            awake.pinned -= 1
            awake.used = now
            self._reached.add(index)  # served since it was reached: saved at the next pass

    def _bring(self, index: int, now: float) -> Awake:
        meter = self.meter(index)
        store = self.state.load(meter.serial) if index in self.sleeping else None
        woken = store is not None
        if store is None:
            store = MeterStore.fresh(meter.serial)
        load = seeded_load(seed_of(meter.serial), meter.kind, meter.pv, meter.phases)
        modem = ModemSite(
            cell_id=meter.cell, signal_base=self.faults.signal_base(index), sim=meter.sim,
            endpoint=(meter.host, meter.port), reach=Reach(meter.reach),
            call_back=self.config.network.call_back,
            network_up=lambda t: self.network_up(index, t),
            busy=lambda t: self.faults.busy(index, t),
        )  # fmt: skip
        site = FleetSite(
            commissioned=self.commissioned, firmware=meter.firmware,
            clock_error=self._clock_error(index), disturbances=tuple(self._history(index, woken)),
            modem=modem, outage=False, commit_every_advance=False, hdlc_address=meter.physical,
            drift_ppm=self.faults.drift(index), on_write=lambda w: self._written(index, w),
        )  # fmt: skip
        twin_meter = build_mt372(
            meter.serial, credentials(self.config, meter), time_base=self.second,
            load=load, state=store, fleet=site,
        )  # fmt: skip
        if woken:
            self.stats.woken += 1
        else:
            self.stats.built += 1
        self._set_push_destination(twin_meter)
        self.sleeping.discard(index)
        self.network.register(twin_meter.peripherals.modem.gsm)
        return Awake(twin_meter, store, now)

    # -- GSM ----------------------------------------------------------------------------

    def gsm_now(self) -> float:
        """The fleet's true time as the GSM network's ``now`` (POSIX seconds)."""
        return self.now().timestamp()

    def _gsm_busy(self, awake: Awake) -> bool:
        modem, now = awake.meter.peripherals.modem.gsm, self.gsm_now()
        return bool(modem.cs_attachment()) or modem.session_end(now) is not None

    def _modem_of(self, number: str) -> MeterModem | None:
        """The modem whose card has this MSISDN or IMSI (its twin built or woken)."""
        index = index_of_card(self.config, number)
        if index is None:
            return None
        modem = self.reach(index, self.gsm_now()).peripherals.modem.gsm
        sim = modem.sim
        return modem if sim is not None and number in (sim.msisdn, sim.imsi) else None

    def network_up(self, index: int, t: float) -> float | None:
        """When the network came back at meter ``index`` (None: none now): the fault
        model's offline slots and the cell outages of the scenarios."""
        up = self.faults.network_up(index, t)
        for outage in self.outages:
            if outage.kind != "cell" or index not in outage.meters:
                continue
            start, end = outage.start.timestamp(), outage.end.timestamp()
            if start <= t < end:
                return None
            if end <= t and up is not None:
                up = max(up, end)
        return up

    def _clock_error(self, index: int) -> dt.timedelta:
        """The drift of the meter's crystal from commissioning to now, whole seconds
        (from here on the twin's clock drifts on by itself: ``FleetSite.drift_ppm``)."""
        elapsed = (self.now() - self.commissioned).total_seconds()
        return dt.timedelta(seconds=round(self.faults.drift(index) * 1e-6 * elapsed))

    def _history(self, index: int, woken: bool) -> list[Disturbance]:
        """What the twin has not simulated yet: a fresh twin, a run-down super-cap (11
        days without power from commissioning) and the fleet's downtimes; a woken one,
        the downtimes since its snapshot."""
        if woken:
            saved = self.state.saved_at(self.meter(index).serial)
            after = -1 if saved is None else seconds(saved)
            return [d for d in self.restarts if d.start > after]
        history = list(self.restarts)
        if self.faults.invalid_clock(index):
            start = seconds(self.commissioned) + 1
            kind = DisturbanceKind.POWER_FAILURE
            history.append(Disturbance(start, start + SUPERCAP_OUTAGE_S, None, kind))
        return history

    def _set_push_destination(self, meter: TwinMeter) -> None:
        """The head-end's alarm listener, as its commissioning would write it (only on
        a meter that has no destination of its own)."""
        if self.push_destination is None:
            return
        setup = meter.peripherals.push.setup
        if setup.request().destination:
            return
        destination = Structure([Enum(0), OctetString(self.push_destination.encode()), Enum(0)])
        setup.set(PUSH_SETUP_DESTINATION, destination)

    def collect_pushes(self, index: int) -> int:
        """Hand the meter's new pushes to ``on_push``; how many there were."""
        awake = self.awake.get(index)
        if awake is None:
            return 0
        messages = awake.meter.peripherals.push.drain()
        self.stats.alarms += len(messages)
        if self.on_push is not None:
            meter = self.meter(index)
            for message in messages:
                self.on_push(meter, message)
        return len(messages)

    @staticmethod
    def _commit(awake: Awake) -> None:
        """The twin commits into its in-memory store on demand only (an advance a
        second does not pay for a commit): here, before its store is written out."""
        if awake.meter.persistence is not None:
            awake.meter.persistence.commit()

    def hibernate(self, index: int) -> bool:
        """Save the meter into the state file and drop its twin (False: it is pinned,
        not awake, or its modem is in a call or a GPRS session after a wake-up: that
        state is not kept in the meter's memory)."""
        with self.state.transaction():
            saved = self._save_to_sleep(index)
        if saved:
            self._drop(index)
        return saved

    def _save_to_sleep(self, index: int) -> bool:
        awake = self.awake.get(index)
        if awake is None or awake.pinned or self._gsm_busy(awake):
            return False
        awake.meter.refresh()
        self._commit(awake)  # everything up to now into its store
        self.collect_pushes(index)
        self.state.save(self.meter(index).serial, awake.store, self.now())
        return True

    def _drop(self, index: int) -> None:
        """The twin of a meter saved to sleep goes (after the save is committed)."""
        awake = self.awake.pop(index)
        self.network.unregister(awake.meter.peripherals.modem.gsm)
        self._reached.discard(index)
        self.sleeping.add(index)
        self.stats.hibernated += 1

    def hibernate_idle(self, now: float, idle_s: float, keep: int | None = None) -> int:
        """Hibernate meters untouched for ``idle_s`` seconds, and the least recently
        used beyond ``keep`` awake, in one transaction (their twins go once it is
        committed); how many went to sleep."""
        asleep: list[int] = []
        with self.state.transaction():
            for index, awake in list(self.awake.items()):
                over = keep is not None and len(self.awake) - len(asleep) > keep
                if (over or now - awake.used >= idle_s) and self._save_to_sleep(index):
                    asleep.append(index)
        for index in asleep:
            self._drop(index)
        return len(asleep)

    def save_awake(self) -> None:
        """Write the memory of the awake meters reached since their last save, or held
        by a connection now, and the fleet's clock into the state file, in one
        transaction (the meters stay awake). Each is written as of its last answer (it
        is not brought up to now first: what a client saw is in its store, and the
        time since is simulated when it is next reached, as after a kill). A meter
        nobody reached since its last save is not written again: its snapshot is what
        it holds (nothing changed it since), and woken from it the lazy twin
        simulates the time since exactly as the awake one would (no register goes
        back, no energy counts twice)."""
        chosen = [i for i, a in self.awake.items() if a.pinned or i in self._reached]
        with self.state.transaction():
            for index in chosen:
                awake = self.awake[index]
                self._commit(awake)
                self.state.save(self.meter(index).serial, awake.store, self.now())
            self.state.put_instant(CLOCK_TRUE, self.clock.true_now())
            self.state.put_instant(CLOCK_BASE, self.clock.base())
        self._reached.difference_update(chosen)

    # -- scenarios ----------------------------------------------------------------------

    def feeder_outage(self, group: str, duration_s: int, now: float = 0.0) -> Outage:
        """The group loses power from the next whole second for ``duration_s``: each
        meter is woken and kept awake until the end, so that it pushes its
        power-failure and power-return alarms when they happen (:meth:`sweep`)."""
        meters = tuple(self.select(group=group))
        if not meters:
            raise LookupError(f"no meter is in group {group!r}")
        start = seconds(self.now()) + 1
        failure = Disturbance(start, start + duration_s, None, DisturbanceKind.POWER_FAILURE)
        for index in meters:
            self.reach(index, now).twin.inject(failure)
            self.awake[index].pinned += 1
        outage = Outage("feeder", group, _at(start), _at(start + duration_s), meters)
        self.outages.append(outage)
        return outage

    def skip_to(self, instant: dt.datetime) -> None:
        """Move the fleet's clock forward to ``instant`` (true time never goes back);
        every meter simulates the time skipped when it is next reached."""
        if instant <= self.now():
            raise ValueError(f"the fleet is at {self.now().isoformat()}: it cannot go back")
        self.clock = MeterClock(self.clock.base, start=instant, speed=self.clock.speed)

    def dst_change(self, before_s: int = 60) -> dt.datetime:
        """The DST scenario: the fleet's clock skips to ``before_s`` seconds before the
        next change of summer time (EU rule, the MT372's factory setting: the last
        Sunday of March and of October at 01:00 UTC); every meter then logs it
        (0x0008) as its clock passes it. The instant of the change."""
        change = next_dst_change(self.now() + dt.timedelta(seconds=before_s))
        self.skip_to(change - dt.timedelta(seconds=before_s))
        return change

    def cell_outage(self, cell: int, duration_s: int) -> Outage:
        """The cell stops carrying traffic for ``duration_s``: its meters refuse calls."""
        meters = tuple(self.select(cell=cell))
        if not meters:
            raise LookupError(f"no meter is in cell {cell}")
        start = seconds(self.now())
        outage = Outage("cell", str(cell), _at(start), _at(start + duration_s), meters)
        self.outages.append(outage)
        return outage

    def sweep(self, now: float = 0.0) -> int:
        """Bring the meters of running scenarios up to now (their pushes go out); end
        the scenarios that are over (their meters may hibernate again). Pushes sent."""
        before, t = self.stats.alarms, self.now()
        for outage in list(self.outages):
            if outage.kind == "feeder":
                for index in outage.meters:
                    self.app(index, now)  # its pushes are collected there
            if t >= outage.end + dt.timedelta(seconds=1):
                self.outages.remove(outage)
                for index in outage.meters if outage.kind == "feeder" else ():
                    if index in self.awake:
                        self.awake[index].pinned -= 1
        return self.stats.alarms - before

    def in_outage(self, index: int) -> Outage | None:
        t = self.now()
        for outage in self.outages:
            if outage.start <= t < outage.end and index in outage.meters:
                return outage
        return None

    def refusal(self, index: int) -> str | None:
        """Why a connection to meter ``index`` is refused now by a scenario (None: it
        is not; the fault model and the cell's capacity decide the rest)."""
        outage = self.in_outage(index) if self.outages else None
        if outage is not None:
            return "no power" if outage.kind == "feeder" else "cell out of service"
        reach = self.meter(index).reach
        if reach == "csd":
            return "not attached to GPRS (reached by CSD only)"
        if reach == "wakeup":
            awake = self.awake.get(index)
            modem = None if awake is None else awake.meter.peripherals.modem.gsm
            if modem is None or not modem.gprs_attached(self.gsm_now()):
                return "not attached to GPRS (wake it up first: SMS or call)"
        return None

    def forget(self, indices: Iterable[int]) -> None:
        """Drop awake twins without saving (tests of what the state file holds)."""
        for index in indices:
            awake = self.awake.pop(index, None)
            self._reached.discard(index)
            if awake is not None:
                self.network.unregister(awake.meter.peripherals.modem.gsm)


def next_dst_change(after: dt.datetime) -> dt.datetime:
    """The first EU summer-time change after ``after``: 01:00 UTC on the last Sunday
    of March or of October."""
    for year in (after.year, after.year + 1):
        for month in (3, 10):
            last = dt.datetime(year, month, 31, 1, tzinfo=dt.UTC)
            change = last - dt.timedelta(days=(last.weekday() + 1) % 7)
            if change > after:
                return change
    raise AssertionError("a change comes within a year")


def fleet_clock(config: FleetConfig, state: FleetState, base: TimeBase) -> MeterClock:
    """The fleet's one clock: from ``config.start`` (default: the base's now) on a new
    state file; on a restart, where it was plus the downtime at the fleet's speed."""
    anchor, at = state.get_instant(CLOCK_TRUE), state.get_instant(CLOCK_BASE)
    if anchor is None or at is None:
        return MeterClock(base, start=config.start, speed=config.speed)
    down = max(base() - at, dt.timedelta(0)) * config.speed
    return MeterClock(base, start=anchor + down, speed=config.speed)


def _at(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)
