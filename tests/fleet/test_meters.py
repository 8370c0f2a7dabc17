"""The fleet's meters are lazy and exact: built late, or hibernated and woken, a
meter holds exactly what one that ran all along holds."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import replace

import pytest

from openamr.codec.obis import Obis
from openamr.codec.types import DoubleLongUnsigned
from openamr.fleet.config import Mix
from openamr.fleet.hibernation import FleetState, MeterStore
from openamr.fleet.meters import Fleet
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import logical_device_name
from tests.fleet.conftest import START, fleet_on, readings, small

HOUR = 3600
SERIAL = Obis.parse("0.0.96.1.0.255")
LDN = Obis.parse("0.0.42.0.0.255")


def test_a_meter_nobody_reached_costs_no_twin() -> None:
    fleet = fleet_on(small(3), SteppedTime(START))
    assert fleet.awake == {} and [fleet.condition(i) for i in range(3)] == ["unbuilt"] * 3


def test_each_meter_is_its_own() -> None:
    fleet = fleet_on(small(3), SteppedTime(START))
    for i in range(3):
        app = fleet.app(i)
        serial = fleet.meter(i).serial
        assert app.device.find(SERIAL).get(2) == serial  # type: ignore[union-attr]
        assert app.device.find(LDN).get(2) == logical_device_name(serial).encode()  # type: ignore[union-attr]


def test_built_late_equals_built_early() -> None:
    early_base, late_base = SteppedTime(START), SteppedTime(START)
    early, late = fleet_on(small(), early_base), fleet_on(small(), late_base)
    early.app(1)
    for _ in range(5):  # the early one is read every 5 hours
        early_base.step(5 * HOUR)
        early.app(1)
    late_base.step(25 * HOUR)
    assert readings(late.app(1)) == readings(early.app(1))


def test_a_hibernated_meter_answers_as_one_that_stayed_awake() -> None:
    awake_base, sleepy_base = SteppedTime(START), SteppedTime(START)
    state = FleetState.memory()
    awake, sleepy = fleet_on(small(), awake_base), fleet_on(small(), sleepy_base, state)
    awake.app(2), sleepy.app(2)
    for base in (awake_base, sleepy_base):
        base.step(7 * HOUR)
    awake.app(2)
    assert sleepy.hibernate(2) and sleepy.condition(2) == "hibernated"
    assert 2 not in sleepy.awake and state.bytes_of(sleepy.meter(2).serial) > 0
    for base in (awake_base, sleepy_base):
        base.step(30 * HOUR)  # over a day boundary: LP2 and the daily billing row
    woken = sleepy.app(2)
    assert sleepy.stats.woken == 1
    assert readings(woken) == readings(awake.app(2))


def test_a_woken_meter_keeps_what_a_client_wrote() -> None:
    base, state = SteppedTime(START), FleetState.memory()
    fleet = fleet_on(small(), base, state)
    app = fleet.app(0)
    lp1 = app.device.find(Obis.parse("1.0.99.1.0.255"))
    assert lp1 is not None
    handler = app.configs[1].open_handler(True)  # management (persistence records it)
    assert handler.set(7, lp1.logical_name, 4, DoubleLongUnsigned(1800)).name == "SUCCESS"
    fleet.hibernate(0)
    base.step(2 * HOUR)
    woken = fleet.app(0).device.find(lp1.logical_name)
    assert woken is not None and woken.get(4) == 1800


def test_the_fleet_epoch_survives_in_the_state_file() -> None:
    state = FleetState.memory()
    first = fleet_on(small(), SteppedTime(START), state)
    second = fleet_on(small(), SteppedTime(START.replace(day=9)), state)
    assert second.commissioned == first.commissioned


def test_clock_drift_and_a_run_down_super_cap() -> None:
    from dataclasses import replace

    from openamr.fleet.faults import FaultRates

    rates = replace(FaultRates.none(), drift_ppm=50.0, invalid_clock=0.5)
    config = small(8, faults=rates, history_days=12.0)
    fleet = fleet_on(config, SteppedTime(START))
    for i in range(8):
        twin = fleet.reach(i).twin
        assert twin is not None
        expected = round(fleet.faults.drift(i) * 1e-6 * 12 * 86_400)
        assert twin.source.offset.total_seconds() == expected and abs(expected) <= 52
        assert twin.clock_invalid == fleet.faults.invalid_clock(i)
    assert {fleet.faults.invalid_clock(i) for i in range(8)} == {True, False}


def test_a_restart_is_a_power_failure_of_every_meter() -> None:
    from openamr.meter.events import EventCode

    base, state = SteppedTime(START), FleetState.memory()
    first = fleet_on(small(3), base, state)
    first.app(0), first.app(1)
    base.step(HOUR)
    first.hibernate(1)
    base.step(HOUR)
    first.save_awake()  # then the process dies: nothing more is written
    down = first.now()
    base.step(3 * HOUR)
    second = fleet_on(small(3), base, state)
    assert len(second.restarts) == 1
    for i in range(3):  # awake at the kill, hibernated before it, never reached
        twin = second.reach(i).twin
        assert twin is not None
        rows = [row for row in twin.objects.event_log.rows if row[1] == EventCode.POWER_FAILURE]
        returns = [r for r in twin.objects.event_log.rows if r[1] == EventCode.POWER_RETURNED]
        assert len(rows) == 1 and len(returns) == 1, i
    assert (second.now() - down).total_seconds() == 3 * HOUR  # the clock went on meanwhile


def test_the_gsm_diagnostic_shows_the_fleets_cell_and_signal() -> None:
    fleet = fleet_on(small(3), SteppedTime(START))
    for i in range(3):
        meter = fleet.reach(i)
        twin, modem = meter.twin, meter.peripherals.modem
        assert modem.cell_id == fleet.meter(i).cell
        assert modem.base == fleet.faults.signal_base(i)
        assert modem.state_at(twin.true_t).registered
        cell = modem.diagnostic.get(6) if modem.diagnostic is not None else None
        assert isinstance(cell, (list, tuple)) and cell[0] == fleet.meter(i).cell


def test_a_clock_drifts_on_while_served_hibernated_and_after_a_set() -> None:
    """Issue 12: clocks that drift (ppm per meter), not a fixed error: awake, across
    hibernation (as if it had stayed awake) and from where a clock set put it."""
    from dataclasses import replace

    from openamr.fleet.faults import FaultRates

    config = small(4, faults=replace(FaultRates.none(), drift_ppm=50.0), history_days=1.0)
    base = SteppedTime(START)
    fleet = fleet_on(config, base)
    index = max(range(4), key=lambda i: abs(fleet.faults.drift(i)))
    ppm = fleet.faults.drift(index)
    assert abs(ppm) > 5

    def offset() -> float:
        twin = fleet.reach(index).twin
        assert twin is not None
        return twin.source.offset.total_seconds()

    first = offset()
    base.step(86_400)
    assert abs(offset() - first - ppm * 1e-6 * 86_400) < 0.01
    fleet.hibernate(index)
    base.step(86_400)
    assert abs(offset() - first - ppm * 1e-6 * 2 * 86_400) < 0.01  # woken: drifted meanwhile
    twin = fleet.reach(index).twin
    assert twin is not None
    twin.source.set(twin.source.true_now())  # the head-end sets the clock
    base.step(86_400)
    assert abs(offset() - ppm * 1e-6 * 86_400) < 0.01


def _energy(fleet: Fleet, index: int) -> int:
    register = fleet.app(index).device.find(Obis.parse("1.0.1.8.0.255"))
    assert register is not None
    value = register.get(2)
    assert isinstance(value, int)
    return value


def test_after_a_kill_no_register_goes_back_and_a_set_is_kept() -> None:
    """Issue 12 "Persistence": as safe through kill -9 as one twin's. What a client
    read after the last periodic save is not taken back (the outage starts after
    it), and a SET answered before the kill is in the state file."""
    base, state = SteppedTime(START), FleetState.memory()
    first = fleet_on(small(2, mix=replace(Mix(), residential=0.0, commercial=0.0)), base, state)
    first.save_awake()  # the last periodic save
    base.step(300)  # five minutes of an industrial load, read by a client
    first.answering()
    read = _energy(first, 0)
    period = Obis.parse("1.0.99.1.0.255")
    meter = first.reach(1)
    profile = meter.app.device.find(period)
    assert profile is not None and meter.persistence is not None
    first.answering()
    profile.set(4, DoubleLongUnsigned(1800))  # a client's SET of the capture period
    meter.persistence.written(period, 7, 4, DoubleLongUnsigned(1800))
    # killed here: nothing more is written
    base.step(3600)
    second = fleet_on(small(2, mix=replace(Mix(), residential=0.0, commercial=0.0)), base, state)
    assert _energy(second, 0) >= read
    again = second.app(1).device.find(period)
    assert again is not None and again.get(4) == 1800


def test_image_blocks_are_written_with_the_next_flush_other_actions_at_once() -> None:
    base, state = SteppedTime(START), FleetState.memory()
    fleet = fleet_on(small(1), base, state)
    meter = fleet.reach(0)
    serial = fleet.meter(0).serial
    assert meter.persistence is not None and state.saved_at(serial) is None
    transfer = Obis.parse("0.0.44.0.0.255")
    meter.persistence.acted(transfer, 18, 2)  # a block: resumable, written at the flush
    assert state.saved_at(serial) is None
    fleet.flush()
    first = state.saved_at(serial)
    assert first is not None
    base.step(5)
    meter.persistence.acted(Obis.parse("0.0.96.3.10.255"), 70, 1)  # a relay: at once
    assert state.saved_at(serial) != first


def test_a_periodic_save_writes_the_meters_reached_since_the_last() -> None:
    """The periodic save writes a meter reached (or held by a connection) since its
    last save, not every awake one; after a kill, one not written since answers as
    one written at every save: its registers not behind what a client read, the
    fleet's downtime logged once as a power failure."""
    from openamr.meter.events import EventCode

    def run(reach_all: bool) -> tuple[FleetState, list[dt.datetime | None], int]:
        base, state = SteppedTime(START), FleetState.memory()
        fleet = fleet_on(small(3), base, state)
        for i in range(3):
            fleet.app(i)
        fleet.hold(2)
        fleet.save_awake()
        serials = [fleet.meter(i).serial for i in range(3)]
        saved = [state.saved_at(s) for s in serials]
        base.step(HOUR)
        fleet.app(1)  # reached: written at the next save
        if reach_all:
            fleet.app(0)
        fleet.release(2)  # a connection held it until now
        fleet.save_awake()
        after = [state.saved_at(s) for s in serials]
        for i in (1, 2):
            assert (after[i] or START) > (saved[i] or START), i
        assert reach_all or after[0] == saved[0]  # nobody reached it: not written again
        base.step(60)
        fleet.answering()  # a client reads meter 0, then the fleet is killed
        read = _energy(fleet, 0)
        base.step(HOUR)
        return state, [base.current], read

    lazy, (killed_at,), read = run(reach_all=False)
    eager, _, _ = run(reach_all=True)
    woken = [fleet_on(small(3), SteppedTime(killed_at), s) for s in (lazy, eager)]
    assert _energy(woken[0], 0) >= read
    assert readings(woken[0].app(0)) == readings(woken[1].app(0))
    twin = woken[0].reach(0).twin
    assert twin is not None
    codes = [row[1] for row in twin.objects.event_log.rows]
    assert codes.count(EventCode.POWER_FAILURE) == 1
    assert codes.count(EventCode.POWER_RETURNED) == 1


def test_the_idle_meters_hibernate_in_one_transaction() -> None:
    """A tick's hibernations are one transaction: a save that fails leaves every
    twin awake and the state file as it was (their twins go once it is committed)."""

    class Failing(FleetState):
        fail: str | None = None

        def save(self, serial: str, store: MeterStore, saved: dt.datetime) -> None:
            super().save(serial, store, saved)
            if serial == self.fail:
                raise OSError("disk full")

    base = SteppedTime(START)
    state = Failing(sqlite3.connect(":memory:", isolation_level=None), ":memory:")
    fleet = fleet_on(small(3), base, state)
    for i in range(3):
        fleet.app(i)
    base.step(HOUR)
    state.fail = fleet.meter(1).serial
    with pytest.raises(OSError):
        fleet.hibernate_idle(10.0, 1.0)
    assert sorted(fleet.awake) == [0, 1, 2] and state.serials() == set()
    state.fail = None
    assert fleet.hibernate_idle(10.0, 1.0) == 3
    assert fleet.awake == {} and len(state.serials()) == 3


def test_new_stores_are_apart() -> None:
    first, second = MeterStore.fresh("1"), MeterStore.fresh("2")
    first.put("k", 1)
    assert first.get("k") == 1 and second.get("k") is None
    assert first.schema_version == second.schema_version


def test_a_periodic_save_writes_a_meter_as_of_its_last_answer() -> None:
    """The save does not simulate the time since the meter last answered (its next
    contact does); woken from that snapshot it answers as one that stayed awake."""
    base, state = SteppedTime(START), FleetState.memory()
    awake_base = SteppedTime(START)
    fleet, awake = fleet_on(small(2), base, state), fleet_on(small(2), awake_base)
    twin = fleet.reach(0).twin
    assert twin is not None
    answered = twin.true_t
    base.step(HOUR)
    fleet.release(0)  # a connection held it until now
    fleet.save_awake()
    assert twin.true_t == answered and state.saved_at(fleet.meter(0).serial) is not None
    fleet.forget([0])  # dropped without another save: woken from the periodic one
    fleet.sleeping.add(0)
    base.step(HOUR)
    woken = fleet.app(0)
    assert fleet.stats.woken == 1
    awake.app(0)
    awake_base.step(2 * HOUR)
    assert readings(woken) == readings(awake.app(0))
