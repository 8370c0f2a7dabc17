"""The twin survives restarts (issue 4, "Persistence and control"; ARCHITECTURE.md
"Nothing lost"): its non-volatile memory in a :class:`~openamr.meter.state.StateStore`.

What is saved, under which key of the store::

    twin/serial       the meter the file belongs to (another serial: StateError)
    twin/engine       true_t, clock offset, LP status bits, rate, supply, billing
                      counter, A+ and A- rate registers with their exact carries
    twin/demand       the DemandEngine's state (periods, window, maxima)
    twin/metrology    injected disturbances and load steps that still matter
    twin/component/*  the state of components that persist (:class:`Persistent`)
    keys/*            the suite 0 keys of the MeterKeyStore, wrapped under the state
                      key-encryption key (:mod:`.at_rest`; never logged)
    ic/incoming       the last invocation counter accepted per client and key
    alive             true_t at the last commit: where an outage begins
    clock/*           the clock's anchor at the last commit: true time, the time
                      base's reading, and the speed the world ran at
    ic/outgoing/...   the server's invocation counter ceiling (ReservedCounter)
    attribute table   every attribute written by a successful DLMS SET, A-XDR
    profile rows      the rows of every Profile generic, append-only FIFO

When: after every change of the twin (the assembly puts :meth:`Persistence.commit`
in the twin's checkpoints: each advance that moved, clock set, injected event) and
after every successful SET or ACTION, everything in ONE transaction (energy up to t
+ rows up to t + events up to t + alive = t). The twin advances in the server's
refresh hook, before a request is answered, so nothing a client sees was not
committed. A caller that serves real time refreshes the twin every few seconds
(``openamr meter serve`` does), so the last-alive instant stays recent while nobody
reads the meter.

Restart (:func:`resume_time` then :meth:`Persistence.restore`): the world went on
while the process was dead, at the speed it ran: true time resumes at
``clock/true + (base now - clock/base) x speed``, and the time since ``alive`` is a
power failure. A POWER_FAILURE disturbance over ``[alive + 1 s, resumed)`` (whole seconds, the
metrology's grain) goes into the metrology, so no energy is counted for it, and
the twin's own quality detection logs power failure (0x0080) and power returned
(0x0040) and flags LP status power down / power up. The meter captures no LP row
while the supply is off (:func:`openamr.meter.twin_flow.flow`): load profile periods ending in
the outage have no entry, and the first entry after the return carries 0xC0
(MT372.md 4). Registers never go backwards (they are restored, then only add);
no interval is captured twice (the rows and true_t were committed together).
The last incoming invocation counters are kept (:mod:`.at_rest`): a request captured
before a restart is refused after it (issue 11).

A commit that cannot be written (disk full, I/O error) does not stop the meter: it
goes on from memory, logs once that its memory cannot be written, raises FF bit
0x00020000 (FRAM access, MT372.md 3) and commits everything again at the next
checkpoint that can be written, then clears the bit. A state file that cannot be
read back (damaged values) is refused with a :class:`StateError` saying what to do.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, Protocol, runtime_checkable

import openamr.meter.persistence.json_codec as pj
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.association.config import AssociationConfig
from openamr.association.handler import Negotiated, ServiceHandler
from openamr.codec import decode, encode
from openamr.codec.obis import Obis
from openamr.codec.table import Row
from openamr.codec.types import Data, DoubleLongUnsigned, LongUnsigned
from openamr.cosem.classes.profile_generic import ProfileGeneric, SortMethod
from openamr.cosem.classes.security_setup import KeyId
from openamr.errors import DecodeError, DlmsError
from openamr.meter.keys import MeterKeyStore
from openamr.meter.metrology.model import DAY, Disturbance, DisturbanceKind, seconds
from openamr.meter.persistence import at_rest
from openamr.meter.snapshot import snapshot
from openamr.meter.state.counter import ReservedCounter
from openamr.meter.state.store import Json, StateError, StateStore, StateWriteError
from openamr.meter.tariff import DemandEngine
from openamr.meter.twin import Twin
from openamr.security.counters import OutgoingCounter, ReceivedCounters
from openamr.security.keys import KeySet

log = logging.getLogger(__name__)

SERIAL, ENGINE, DEMAND, METROLOGY = "twin/serial", "twin/engine", "twin/demand", "twin/metrology"
COMPONENT = "twin/component/"
ANCHOR, BASE, SPEED = "clock/true", "clock/base", "clock/speed"
#: FF bit of a non-volatile memory that cannot be written (MT372.md 3: FRAM access).
FF_MEMORY = 0x00020000
#: Written by SET but not parameters: the clock's time lives in the engine's offset.
NOT_REPLAYED = frozenset({(8, 2)})
#: Methods that change parameters, by (class_id, method): the attributes to remember
#: after they succeed, replayed like a SET (security_activate raises the policy).
ACTION_PARAMETERS: dict[tuple[int, int], tuple[int, ...]] = {(64, 1): (2,)}
#: Methods that change another object's attributes: image_activate (Image transfer,
#: Blue Book 4.4.6) makes the new image's identifier the active firmware identifier
#: (1.0.0.2.0.255, docs/mt372.md), which a restart must show again.
ACTION_EFFECTS: dict[tuple[int, int], tuple[tuple[Obis, int], ...]] = {
    (18, 4): ((Obis(1, 0, 0, 2, 0, 255), 2),),
}


def json_of(store: StateStore, key: str) -> Json:
    """A JSON value of the store (a BLOB there means the file is not ours)."""
    value = store.get(key)
    if isinstance(value, bytes):
        raise StateError(f"{store.path}: {key} holds bytes, not JSON")
    return value


@runtime_checkable
class Persistent(Protocol):
    """A twin component with state of its own (relay, limiter, inputs...): saved
    under ``twin/component/<state_key>`` at every commit, given back on restart."""

    state_key: str

    def save_state(self) -> Json: ...

    def load_state(self, state: Json) -> None: ...


@dataclass(frozen=True)
class ResumedTime:
    """Where true time resumes after a restart, and the outage before it."""

    alive: dt.datetime  # true time of the last commit
    resumed: dt.datetime  # true time now
    offset: dt.timedelta  # meter time - true time, as committed


#: What a damaged value raises when it is read back.
UNREADABLE = (DlmsError, ValueError, TypeError, KeyError, sqlite3.DatabaseError)


def unreadable(store: StateStore, cause: Exception) -> StateError:
    return StateError(
        f"{store.path}: a stored value cannot be read back ({cause}). Nothing was changed "
        "in it. Restore it from a backup, or move it away to start a new meter from the "
        "factory state"
    )


def resume_time(store: StateStore, base_now: dt.datetime) -> ResumedTime | None:
    """The true time a restarted twin resumes at (None: a fresh store); StateError
    for a damaged file."""
    try:
        return _resume_time(store, base_now)
    except StateError:
        raise
    except UNREADABLE as e:
        raise unreadable(store, e) from None


def _resume_time(store: StateStore, base_now: dt.datetime) -> ResumedTime | None:
    alive, anchor, base = store.last_alive(), store.get_instant(ANCHOR), store.get_instant(BASE)
    if alive is None or anchor is None or base is None:
        return None
    speed = store.get(SPEED, 1.0)
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or speed <= 0:
        raise StateError(f"{store.path}: {SPEED} holds {speed!r}")
    engine = pj.as_dict(json_of(store, ENGINE))
    offset = pj.delta_of(pj.field(engine, "offset"))
    downtime = max(base_now - base, dt.timedelta(0)) * speed
    return ResumedTime(alive, max(anchor + downtime, alive), offset)


class Persistence:
    """Commits one twin to ``store`` and brings it back; see the module docstring."""

    def __init__(
        self,
        store: StateStore,
        twin: Twin,
        keys: MeterKeyStore,
        serial: str,
        outgoing: OutgoingCounter | None = None,
        received: ReceivedCounters | None = None,
        kek: bytes | None = None,
        on_write: Callable[[Written], None] | None = None,
    ) -> None:
        """``outgoing``: the server's invocation counter, topped up after each commit
        when it is reserved in the store; ``received`` the last counters accepted from
        clients (kept too); ``kek`` the state key-encryption key (never stored here;
        without it the keys are not kept); ``on_write`` is called after the commit of
        a SET or an ACTION, before the answer (a fleet writes the meter's store out)."""
        self.store, self.twin, self.keys, self.serial = store, twin, keys, serial
        self.on_write = on_write
        self.outgoing = outgoing
        self.received = received if received is not None else ReceivedCounters()
        self.kek = kek
        self._marks: dict[str, Row | None] = {}  # the last row committed, per profile
        self._copies: dict[str, list[Row]] = {}  # rows committed of non-FIFO profiles
        self._saved_keys: KeySet | None = None
        self._saved_metrology: tuple[tuple[Disturbance, ...], tuple[object, ...]] | None = None
        self._saved_received: dict[str, int] = {}
        self.commits = 0
        self.failing: str | None = None  # why the last commit could not be written
        stored = store.get(SERIAL)
        if stored is not None and stored != serial:
            raise StateError(f"{store.path} holds meter {stored!r}, not {serial}")

    def recorded(self, config: AssociationConfig) -> AssociationConfig:
        """``config`` whose views commit after every successful SET or ACTION (the
        answer goes out after the commit); the assembly builds the associations so."""
        opener = config.open_handler

        def open_view(authenticated: bool, negotiated: Negotiated | None = None) -> ServiceHandler:
            return RecordingHandler(opener(authenticated, negotiated), self)

        return replace(config, open_handler=open_view)

    # -- committing -----------------------------------------------------------------------

    def commit(self, parameters: Sequence[tuple[Obis, int, Data]] = ()) -> None:
        """Everything that changed since the last commit, in one transaction, with
        the ``parameters`` (logical name, attribute, value) just written."""
        store, twin = self.store, self.twin
        marks: dict[str, Row | None] = {}
        try:
            with store.transaction():
                for name, index, value in parameters:
                    store.put_attribute(str(name), index, encode(value))
                store.put(SERIAL, self.serial)
                store.put(ENGINE, self._engine())
                store.put(DEMAND, pj.demand_json(twin.demand.state()))
                self._save_metrology()
                for obj in twin.device:
                    if isinstance(obj, ProfileGeneric):
                        self._save_rows(obj, marks)
                self._save_components()
                self._save_keys()
                self._saved_received = at_rest.save_received(
                    store, self.received, self._saved_received
                )
                store.mark_alive(twin.true_t)
                store.put_instant(ANCHOR, twin.source.true_now())
                store.put_instant(BASE, twin.source.base())
                store.put(SPEED, twin.source.speed)
            outgoing = self.outgoing
            if isinstance(outgoing, ReservedCounter) and not store.in_transaction:
                outgoing.top_up()  # outside the transaction: a reservation commits alone
        except StateWriteError as e:
            self._cannot_write(str(e))
            return
        self._marks.update(marks)
        self.commits += 1
        if self.failing is not None:
            log.warning("state: %s written again; the meter's memory is whole", store.path)
            self.failing = None
            twin.error_bits(FF_MEMORY, on=False)

    def _cannot_write(self, reason: str) -> None:
        """Go on from memory; everything is written again at the next commit."""
        self._saved_keys = self._saved_metrology = None
        self._saved_received = {}
        self._copies.clear()
        if self.failing is None:
            log.error(
                "state: the meter's memory cannot be written (%s): it goes on from memory, "
                "FF error bit 0x00020000 raised; it commits again when there is room",
                reason,
            )
            self.twin.error_bits(FF_MEMORY, on=True)
        self.failing = reason

    def written(self, logical_name: Obis, class_id: int, index: int, value: Data) -> None:
        """A SET succeeded: remember the parameter and commit with it."""
        replayed = (class_id, index) not in NOT_REPLAYED
        self.commit([(logical_name, index, value)] if replayed else [])
        if self.on_write is not None:
            self.on_write(Written(class_id, index, action=False))

    def acted(self, logical_name: Obis, class_id: int, method: int) -> None:
        """An ACTION succeeded: remember the parameters it changed, commit."""
        targets = [(logical_name, i) for i in ACTION_PARAMETERS.get((class_id, method), ())]
        targets += ACTION_EFFECTS.get((class_id, method), ())
        changed: list[tuple[Obis, int, Data]] = []
        for name, index in targets:
            obj = self.twin.device.find(name)
            value = DataAccessResult.OBJECT_UNDEFINED if obj is None else obj.get(index)
            if not isinstance(value, DataAccessResult):
                changed.append((name, index, value))
        self.commit(changed)
        if self.on_write is not None:
            self.on_write(Written(class_id, method, action=True))

    def _engine(self) -> dict[str, Json]:
        s = snapshot(self.twin)
        return {
            "true_t": pj.instant_json(s.true_t),
            "offset": pj.delta_json(s.offset),
            "status": s.status,
            "day_status": s.day_status,
            "rate": s.rate,
            "powered": s.powered,
            "billing_counter": s.billing_counter,
            "a_plus": pj.registers_json(s.a_plus),
            "a_minus": pj.registers_json(s.a_minus),
            "errors": s.errors,
            "clock_flags": s.clock_flags,
            "down_since": None if s.down_since is None else pj.instant_json(s.down_since),
            "counters": dict(s.counters),
        }

    def _save_metrology(self) -> None:
        """The disturbances and load steps that can still change what comes: those
        not over a day before true_t, and the load step in force."""
        m, now = self.twin.metrology, seconds(self.twin.true_t)
        disturbances = tuple(d for d in m.disturbances if d.end > now - DAY)
        steps = m.steps
        current = [i for i, s in enumerate(steps) if s.start <= now]
        kept = steps[current[-1] :] if current else steps
        if self._saved_metrology == (disturbances, kept):
            return
        self.store.put(METROLOGY, {
            "disturbances": [pj.disturbance_json(d) for d in disturbances],
            "steps": [pj.step_json(s) for s in kept],
        })  # fmt: skip
        self._saved_metrology = (disturbances, kept)

    def _save_rows(self, profile: ProfileGeneric, marks: dict[str, Row | None]) -> None:
        name, rows = str(profile.logical_name), profile.rows
        if profile.sort is not SortMethod.FIFO:
            self._save_sorted(name, rows)
            return
        last = self._marks.get(name)
        if (rows[-1] if rows else None) is last:
            return
        i = len(rows)
        while i > 0 and rows[i - 1] is not last:
            i -= 1
        if last is not None and i > 0:
            self.store.append_rows(name, rows[i:], capacity=profile.capacity)
        else:  # first commit, reset, or every committed row pushed out: write them all
            self.store.clear_rows(name)
            self.store.append_rows(name, rows, capacity=profile.capacity)
        marks[name] = rows[-1] if rows else None

    def _save_sorted(self, name: str, rows: list[Row]) -> None:
        copy = self._copies.get(name, [])
        if len(copy) == len(rows) and all(a is b for a, b in zip(copy, rows, strict=True)):
            return
        self.store.clear_rows(name)
        self.store.append_rows(name, rows)
        self._copies[name] = list(rows)

    def _save_components(self) -> None:
        for component in self.twin.components:
            if isinstance(component, Persistent):
                self.store.put(COMPONENT + component.state_key, component.save_state())

    def _save_keys(self) -> None:
        keys = self.keys.keys
        if keys is self._saved_keys or self.kek is None:
            return  # unchanged, or no key-encryption key: keys are never kept in the clear
        at_rest.save_keys(self.store, keys, self.kek)
        self._saved_keys = keys

    # -- restoring ------------------------------------------------------------------------

    def restore(self, resumed: ResumedTime, outage: bool = True) -> None:
        """Bring the twin (built fresh, its clock at ``resumed.resumed``) back to the
        committed state, then record the outage (``outage=False``: the twin was
        hibernated, not down; nothing is recorded); call :meth:`attach` after. A value
        that cannot be read back: StateError (the file is damaged)."""
        try:
            self._restore(resumed, outage)
        except StateError:
            raise
        except UNREADABLE as e:
            raise unreadable(self.store, e) from None

    def _restore(self, resumed: ResumedTime, outage: bool) -> None:
        self._saved_received = self.received.snapshot()
        self._replay_attributes()
        self._restore_keys()
        self._restore_engine()
        self._restore_metrology()
        for obj in self.twin.device:
            if isinstance(obj, ProfileGeneric):
                self._restore_rows(obj)
        self._restore_components()
        if outage:
            self._outage(resumed)
        self.twin.publish()  # the restored values into the objects

    def _replay_attributes(self) -> None:
        device = self.twin.device
        for name, index, blob in self.store.attributes():
            obj = device.find(Obis.parse(name))
            try:
                value = decode(blob)
            except DecodeError:
                log.warning("state: attribute %s/%d is not A-XDR: skipped", name, index)
                continue
            result = obj.set(index, value) if obj is not None else DataAccessResult.OBJECT_UNDEFINED
            if result is not DataAccessResult.SUCCESS:
                log.warning("state: replaying %s/%d refused (%s)", name, index, result.name)
        self.twin.rules.invalidate()

    def _restore_keys(self) -> None:
        found, plain = at_rest.load_keys(self.store, self.kek)
        if KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY not in found:
            return
        self.keys.install(found)
        self._saved_keys = None if plain else self.keys.keys  # clear ones: wrap them now

    def _restore_engine(self) -> None:
        t, engine = self.twin, pj.as_dict(json_of(self.store, ENGINE))
        t.true_t = pj.instant_of(pj.field(engine, "true_t"))
        t.source.set_offset(pj.delta_of(pj.field(engine, "offset")), at=t.true_t)
        t.rules.invalidate()
        t.status = type(t.status)(pj.as_int(pj.field(engine, "status")))
        t.day_status = type(t.day_status)(pj.as_int(pj.field(engine, "day_status")))
        t.rate = pj.as_int(pj.field(engine, "rate"))
        t.powered = pj.as_bool(pj.field(engine, "powered"))
        t.billing.counter = pj.as_int(pj.field(engine, "billing_counter"))
        t.a_plus = pj.registers_of(pj.field(engine, "a_plus"))
        t.a_minus = pj.registers_of(pj.field(engine, "a_minus"))
        self._restore_counters(engine)
        t.demand = DemandEngine.from_state(pj.demand_of(json_of(self.store, DEMAND)))

    def _restore_counters(self, engine: dict[str, Json]) -> None:
        """Error register, clock flags, outage start and quality counters (absent from
        state files written before they were kept: then they start at zero)."""
        t = self.twin
        t.objects.error_register.value = DoubleLongUnsigned(pj.as_int(engine.get("errors", 0)))
        t.objects.clock.flags = pj.as_int(engine.get("clock_flags", 0))
        down = engine.get("down_since")
        t.down_since = None if down is None else pj.instant_of(down)
        counts = pj.as_dict(engine.get("counters", {}))
        for obj in t.objects.quality_counters.values():
            obj.value = LongUnsigned(pj.as_int(counts.get(str(obj.logical_name), 0)))

    def _restore_metrology(self) -> None:
        saved = json_of(self.store, METROLOGY)
        if saved is None:
            return
        m, obj = self.twin.metrology, pj.as_dict(saved)
        known = set(m.disturbances)  # the seeded grid's come back with the twin itself
        for d in pj.as_list(pj.field(obj, "disturbances")):
            disturbance = pj.disturbance_of(d)
            if disturbance not in known:
                m.add_disturbance(disturbance)
        for s in pj.as_list(pj.field(obj, "steps")):
            m.add_load_step(pj.step_of(s))

    def _restore_rows(self, profile: ProfileGeneric) -> None:
        name = str(profile.logical_name)
        rows = self.store.load_rows(name, limit=max(profile.capacity, 0))
        profile.rows = list(rows)
        self._marks[name] = rows[-1] if rows else None
        if profile.sort is not SortMethod.FIFO:
            self._copies[name] = list(profile.rows)
        if profile is self.twin.objects.event_log and rows:
            code = rows[-1][1]
            if isinstance(code, int):
                self.twin.objects.last_event.value = LongUnsigned(code)

    def _restore_components(self) -> None:
        for component in self.twin.components:
            self.adopt(component)

    def adopt(self, component: object) -> None:
        """Give a component added after the restore its committed state."""
        if isinstance(component, Persistent):
            saved = self.store.get(COMPONENT + component.state_key)
            if saved is not None and not isinstance(saved, bytes):
                component.load_state(saved)

    def _outage(self, resumed: ResumedTime) -> None:
        """The time the process was dead is a power failure of the whole meter."""
        start, end = seconds(resumed.alive) + 1, seconds(resumed.resumed)
        if end > start:
            failure = Disturbance(start, end, None, DisturbanceKind.POWER_FAILURE)
            self.twin.metrology.add_disturbance(failure)
            log.info("state: power failure from %s to %s", resumed.alive, resumed.resumed)


class Written(NamedTuple):
    """What a client changed: an attribute SET, or a method invoked (``action``)."""

    class_id: int
    item: int  # the attribute, or the method
    action: bool


class RecordingHandler:
    """An association's view of the device that commits the twin after every
    successful SET (remembering the attribute) and ACTION, before the answer."""

    def __init__(self, view: ServiceHandler, persistence: Persistence) -> None:
        self.view, self.persistence = view, persistence

    def get(
        self, class_id: int, logical_name: Obis, index: int,
        selector: int | None = None, parameters: Data = None,
    ) -> Data | DataAccessResult:  # fmt: skip
        return self.view.get(class_id, logical_name, index, selector, parameters)

    def set(
        self, class_id: int, logical_name: Obis, index: int, value: Data,
        selector: int | None = None, parameters: Data = None,
    ) -> DataAccessResult:  # fmt: skip
        result = self.view.set(class_id, logical_name, index, value, selector, parameters)
        if result is DataAccessResult.SUCCESS:
            self.persistence.written(logical_name, class_id, index, value)
        return result

    def may_set(self, class_id: int, logical_name: Obis, index: int) -> DataAccessResult:
        return self.view.may_set(class_id, logical_name, index)

    def may_act(self, class_id: int, logical_name: Obis, index: int) -> ActionResult:
        return self.view.may_act(class_id, logical_name, index)

    def action(
        self, class_id: int, logical_name: Obis, index: int, parameters: Data = None
    ) -> tuple[ActionResult, Data]:
        result = self.view.action(class_id, logical_name, index, parameters)
        if result[0] is ActionResult.SUCCESS:
            self.persistence.acted(logical_name, class_id, index)
        return result
