"""The twin survives restarts: what it commits comes back exactly, and the time it
was down is a power failure (events, LP status, no energy, no duplicate interval)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import DoubleLongUnsigned, Enum, Integer, Long, OctetString, Structure
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.types import Data
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.cosem.classes.security_setup import KeyId, SecuritySetup
from openamr.meter.assembly import TwinMeter
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode, LpStatus
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, seconds
from openamr.meter.mt372 import build_mt372
from openamr.meter.persistence import ENGINE, Persistent
from openamr.meter.state import Json, ReservedCounter, StateError, StateStore
from openamr.meter.twin import Twin
from openamr.security import keywrap

SERIAL = "20261234"
START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a Monday
LP1, LOG = "1.0.99.1.0.255", "1.0.99.98.0.255"
CLOCK = Obis.parse("0.0.1.0.0.255")
HOUR = 3600


def reference(base: SteppedTime) -> TwinMeter:
    meter = build_mt372(SERIAL, time_base=base)
    return meter


#: the state key-encryption key of these tests (keys are kept wrapped under it)
STATE_KEK = bytes.fromhex("5A" * 16)


def persisted(store: StateStore, base: SteppedTime, **kw: object) -> TwinMeter:
    kw.setdefault("state_kek", STATE_KEK)
    meter = build_mt372(SERIAL, time_base=base, state=store, **kw)  # type: ignore[arg-type]
    return meter


def profile(twin: TwinMeter, name: str) -> ProfileGeneric:
    p = twin.twin.device.find(Obis.parse(name))
    assert isinstance(p, ProfileGeneric)
    return p


def snapshot(twin: TwinMeter) -> dict[str, object]:
    """Everything the twin must get back after a restart."""
    device = twin.twin.device
    profiles = {str(o.logical_name): list(o.rows) for o in device if isinstance(o, ProfileGeneric)}
    registers = {
        name: device.find(Obis.parse(name)).get(2)  # type: ignore[union-attr]
        for name in [f"1.0.{c}.8.{r}.255" for c in (1, 2) for r in range(5)]
        + ["1.0.15.8.0.255", "0.0.96.11.0.255", "0.0.0.1.0.255", "1.0.96.240.0.255"]
        + ["0.0.97.97.0.255", "0.0.96.7.21.255"]  # the error register, power failures
        + [f"1.0.{c}.{d}.0.255" for c in (32, 52, 72) for d in (32, 36)]  # sags, swells
    }
    return {
        "true_t": twin.twin.true_t,
        "offset": twin.twin.source.offset,
        "carries": (twin.twin.a_plus.carry, twin.twin.a_minus.carry),
        "rates": (twin.twin.a_plus.rates, twin.twin.a_minus.rates),
        "demand": twin.twin.demand.state(),
        "billing": twin.twin.billing.counter,
        "status": (twin.twin.status, twin.twin.day_status, twin.twin.rate, twin.twin.powered),
        "clock": (device.find(CLOCK).flags, twin.twin.down_since),  # type: ignore[union-attr]
        "registers": registers,
        "profiles": profiles,
        "time_zone": device.find(CLOCK).get(3),  # type: ignore[union-attr]
        "lp_period": profile(twin, LP1).period,
        "keys": security(twin).key_store.keys,  # type: ignore[attr-defined]
    }


def security(twin: TwinMeter) -> SecuritySetup:
    s = twin.twin.device.find(Obis.parse("0.0.43.0.3.255"))
    assert isinstance(s, SecuritySetup)
    return s


def both(twins: list[TwinMeter], act: object) -> None:
    for twin in twins:
        act(twin)  # type: ignore[operator]


def step(bases: list[SteppedTime], twins: list[TwinMeter], seconds_: int) -> None:
    for base, twin in zip(bases, twins, strict=True):
        base.step(seconds_)
        twin.app.refresh()


# -- a restart without downtime is invisible ------------------------------------------------


def test_a_restart_restores_everything_and_goes_on_exactly(tmp_path: Path) -> None:
    path = tmp_path / "meter.db"
    rb, pb = SteppedTime(START), SteppedTime(START)
    store = StateStore.open(path)
    twins = [reference(rb), persisted(store, pb)]
    step([rb, pb], twins, 10 * HOUR + 17)
    now = twins[0].twin.source.now()
    both(twins, lambda t: t.twin.set_time(now + dt.timedelta(minutes=7)))  # a clock set
    for twin in twins:  # parameters by DLMS SET (reader: clock; manager: LP1 period)
        reader, manager = twin.app.configs[32].open_handler(False), twin.app.configs[1]
        assert reader.set(8, CLOCK, 3, Long(-60)).name == "SUCCESS"
        lp1 = Obis.parse(LP1)
        assert manager.open_handler(True).set(7, lp1, 4, DoubleLongUnsigned(1800)).name == "SUCCESS"
        s = int(twin.twin.true_t.timestamp())
        twin.twin.inject(Disturbance(s + 60, s + 90 * 60, None, DisturbanceKind.SAG, 0.7))
        twin.twin.inject(
            Disturbance(s + 2 * HOUR, s + 9 * HOUR, None, DisturbanceKind.POWER_FAILURE)
        )
        twin.twin.add_load_step(LoadStep(s + 120, level_w=4200))
        keys = keywrap.key_transfer_data(
            bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
            [(keywrap.KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, bytes(range(16, 32)))],
        )
        assert (
            manager.open_handler(True).action(64, security(twin).logical_name, 2, keys)[0].name
            == "SUCCESS"
        )
    step([rb, pb], twins, 4 * HOUR)  # inside the power failure: powered off
    assert not twins[1].twin.powered
    expected = snapshot(twins[0])
    assert snapshot(twins[1]) == expected
    store.close()  # the process dies here (everything was committed)

    again = StateStore.open(path)
    pb = SteppedTime(pb.current)
    restored = persisted(again, pb)  # no time passed: no outage
    assert snapshot(restored) == expected
    step([rb, pb], [twins[0], restored], 3 * 86_400 + 555)
    assert snapshot(restored) == snapshot(twins[0])
    assert EventCode.CLOCK_CHANGED in [r[1] for r in profile(restored, LOG).rows]
    again.close()


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40_000), st.booleans()), min_size=1, max_size=6))
def test_restarts_anywhere_change_nothing(plan: list[tuple[int, bool]]) -> None:
    """Restarts (without downtime) at any instants, between any steps: the twin ends
    exactly where one that never restarted does."""
    store = StateStore.memory()
    rb, pb = SteppedTime(START), SteppedTime(START)
    ref, twin = reference(rb), persisted(store, pb)
    for seconds_, restart in plan:
        step([rb, pb], [ref, twin], seconds_)
        if restart:
            pb = SteppedTime(pb.current)
            twin = persisted(store, pb)
    step([rb, pb], [ref, twin], 86_400)
    assert snapshot(twin) == snapshot(ref)


# -- the downtime is a power failure ----------------------------------------------------------


def stamps(twin: TwinMeter) -> list[dt.datetime]:
    return [CosemDateTime.from_bytes(r[0]).to_datetime() for r in profile(twin, LP1).rows]


def test_a_restart_after_an_outage_records_a_power_failure(tmp_path: Path) -> None:
    path = tmp_path / "meter.db"
    base = SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base, history_days=2)
    base.step(5 * HOUR + 123.4)
    twin.app.refresh()
    alive, before = twin.twin.true_t, (twin.twin.a_plus.total, twin.twin.a_minus.total)
    rows_before = list(profile(twin, LP1).rows)
    store.close()  # killed

    base = SteppedTime(base.current + dt.timedelta(hours=2, seconds=10))  # 2 h later
    again = StateStore.open(path)
    twin = persisted(again, base)
    resumed = twin.twin.true_t
    assert resumed == alive + dt.timedelta(hours=2, seconds=10)
    # energy: nothing for the outage (at most the one second before it), never less
    assert before[0] <= twin.twin.a_plus.total <= before[0] + 1
    assert twin.twin.a_minus.total >= before[1]
    outage = twin.twin.metrology.energy_between(seconds(alive) + 1, seconds(resumed))
    assert outage.a_plus_mj == outage.a_minus_mj == 0
    # the log-book: failure at the last-alive instant (+1 s), return at the restart
    log = profile(twin, LOG).rows[-2:]
    assert [r[1] for r in log] == [EventCode.POWER_FAILURE, EventCode.POWER_RETURNED]
    at = [CosemDateTime.from_bytes(r[0]).to_datetime() for r in log]
    assert at == [
        alive.replace(microsecond=0) + dt.timedelta(seconds=1),
        resumed.replace(microsecond=0),
    ]
    # the profile: what was there is still there; no row inside the outage, none twice
    base.step(2 * HOUR)
    twin.app.refresh()
    rows = profile(twin, LP1).rows
    assert rows[: len(rows_before)] == rows_before
    times = stamps(twin)
    assert times == sorted(set(times))
    quarter = dt.timedelta(minutes=15)
    gaps = [(a, b) for a, b in itertools.pairwise(times) if b - a != quarter]
    assert len(gaps) == 1
    last, first = gaps[0]
    assert last <= alive < last + quarter and first - quarter < resumed <= first
    after = rows[len(rows_before)]
    assert after[1] & (LpStatus.POWER_DOWN | LpStatus.POWER_UP) == 0xC0
    assert all(r[1] & 0xC0 == 0 for r in rows[len(rows_before) + 1 :])
    assert after[2] >= before[0]
    again.close()


def test_many_restarts_keep_the_state_small(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    for _ in range(5):
        store = StateStore.open(path)
        twin = persisted(store, base)
        base.step(86_400)
        twin.app.refresh()
        store.close()
        base = SteppedTime(base.current + dt.timedelta(hours=1))
    assert len(twin.twin.metrology.disturbances) <= 2
    failures = [r for r in profile(twin, LOG).rows if r[1] == EventCode.POWER_FAILURE]
    assert len(failures) == 4


# -- counters, parameters, keys, components ---------------------------------------------------


def test_the_invocation_counter_is_never_reused(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    assert isinstance(twin.app.outgoing, ReservedCounter)
    used = [twin.app.outgoing.next() for _ in range(1234)]
    store.close()  # killed with ICs handed out and not committed one by one
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(base.current))
    assert twin.app.outgoing.value > max(used)
    assert twin.app.outgoing.next() not in used
    counter = twin.twin.device.find(Obis.parse("0.0.43.1.0.255"))
    assert counter is not None and counter.get(2) == twin.app.outgoing.value
    again.close()


def test_the_clock_time_is_kept_as_an_offset_not_replayed(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    reader = twin.app.configs[32].open_handler(False)
    later = CosemDateTime.from_datetime(START + dt.timedelta(days=3)).to_bytes()
    assert reader.set(8, CLOCK, 2, later).name == "SUCCESS"
    assert reader.set(8, CLOCK, 3, Long(-120)).name == "SUCCESS"
    assert [(n, i) for n, i, _ in store.attributes()] == [(str(CLOCK), 3)]
    store.close()
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(base.current))
    assert twin.twin.source.now() == START + dt.timedelta(days=3)
    assert twin.twin.objects.clock.get(3) == -120
    changes = [r for r in profile(twin, LOG).rows if r[1] == EventCode.CLOCK_CHANGED]
    assert len(changes) == 1  # the set is not done again on restart
    again.close()


def test_a_profile_reset_and_the_security_policy_survive(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base, history_days=1)
    manager = twin.app.configs[1].open_handler(True)
    assert len(profile(twin, LP1).rows) == 96
    assert manager.action(7, Obis.parse(LP1), 1, Integer(0))[0].name == "SUCCESS"
    assert store.count_rows(LP1) == 0
    policy = security(twin).policy
    assert manager.action(64, security(twin).logical_name, 1, Enum(int(policy)))[0].name == (
        "SUCCESS"
    )
    base.step(HOUR)
    twin.app.refresh()
    store.close()
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(base.current))
    assert len(profile(twin, LP1).rows) == 4
    assert security(twin).policy == policy
    again.close()


def test_keys_come_back_and_rekey_the_ciphered_association(tmp_path: Path) -> None:
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    new = bytes(range(16, 32))
    security(twin).key_store.install({KeyId.AUTHENTICATION_KEY: new})
    base.step(60)
    twin.app.refresh()  # the next commit takes the keys
    store.close()
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(base.current))
    config = twin.app.configs[1].security
    assert config is not None and config.keys.ak == new
    assert security(twin).key_store.keys.ak == new  # type: ignore[attr-defined]
    again.close()


class Counter:
    """A component with state of its own."""

    state_key = "counter"

    def __init__(self) -> None:
        self.count = 0

    def boundaries(self, twin: Twin, m0: dt.datetime, m1: dt.datetime) -> list[object]:
        return []

    def publish(self, twin: Twin) -> None:
        self.count += 1

    def save_state(self) -> Json:
        return {"count": self.count}

    def load_state(self, state: Json) -> None:
        assert isinstance(state, dict) and isinstance(state["count"], int)
        self.count = state["count"]


def test_components_that_persist_get_their_state_back() -> None:
    store, base = StateStore.memory(), SteppedTime(START)
    twin = persisted(store, base)
    component = Counter()
    assert isinstance(component, Persistent)
    twin.twin.components.append(component)  # type: ignore[arg-type]
    for _ in range(3):
        base.step(60)
        twin.app.refresh()
    assert store.get("twin/component/counter") == {"count": 3}
    twin = persisted(store, SteppedTime(base.current))
    fresh = Counter()
    hook = twin.twin.checkpoints[0]
    hook.__self__.adopt(fresh)  # type: ignore[attr-defined]
    assert fresh.count == 3


def test_a_state_file_belongs_to_one_meter(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "meter.db")
    persisted(store, SteppedTime(START))
    with pytest.raises(StateError, match="holds meter"):
        build_mt372("99999999", time_base=SteppedTime(START), state=store)
    store.put(ENGINE, b"\x00")
    with pytest.raises(StateError, match="bytes"):
        persisted(store, SteppedTime(START))
    store.close()


def test_a_fresh_state_commits_the_history(tmp_path: Path) -> None:
    store = StateStore.open(tmp_path / "meter.db")
    twin = persisted(store, SteppedTime(START), history_days=3)
    assert store.count_rows(LP1) == len(profile(twin, LP1).rows) == 3 * 96
    assert store.load_rows(LP1) == profile(twin, LP1).rows
    assert store.last_alive() == twin.twin.true_t == START
    assert store.get_int("ic/outgoing/reserved_until") > 1
    store.close()


def test_the_activated_firmware_identifier_survives_a_restart(tmp_path: Path) -> None:
    """Issue 10: after "activation successful" the meter shows the new image's
    identifier (1.0.0.2.0.255); with a state file it still does after a restart."""
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    manager = twin.app.configs[1].open_handler(True)
    transfer, identifier = Obis.parse("0.0.44.0.0.255"), Obis.parse("1.0.0.2.0.255")
    size = twin.twin.device.find(transfer).block_size  # type: ignore[union-attr]
    image, name = bytes(i % 251 for i in range(3 * size)), b"MT372-2.0.7"
    steps: list[tuple[int, Data]] = [
        (1, Structure([OctetString(name), DoubleLongUnsigned(len(image))]))
    ]
    steps += [
        (2, Structure([DoubleLongUnsigned(n), OctetString(image[n * size : (n + 1) * size])]))
        for n in range(3)
    ]
    steps += [(3, Integer(0)), (4, Integer(0))]
    for method, parameters in steps:
        assert manager.action(18, transfer, method, parameters)[0].name == "SUCCESS", method
    found = twin.twin.device.find(identifier)
    assert found is not None and found.get(2) == OctetString(name)
    base.step(60)
    twin.app.refresh()
    store.close()
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(base.current))
    found = twin.twin.device.find(identifier)
    assert found is not None and found.get(2) == OctetString(name)
    again.close()
