"""The meter connects to the head-end after a wake-up (issue 16), end to end with
sockets: two wake-up meters behind ``openamr gsm modem``'s network, one whose Auto
connect (104) lists the head-end's listener, one with no destination. The head-end
wakes both; the first calls in and is collected over its own connection (identified
as the public client by its serial and logical device name), the second is looked up
and connected to. A meter that calls unasked is collected by the listener; one not in
the inventory is refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openamr.aio.modem import ModemPool
from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.gsm.pool import MeterLine, NetworkFile
from openamr.gsm.sim import Sim
from openamr.headend.collector import Collector, CollectPolicy
from openamr.headend.inbound import InboundListener
from openamr.headend.inventory import import_file
from openamr.headend.model import MeterRecord
from openamr.headend.paths import GsmPolicy
from openamr.headend.scheduler import Policy
from openamr.headend.service import collect_now
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH, build_mt372
from tests.headend.commissioning_files import entry, write_json

KEK_BYTES = bytes(range(100, 132))
HEAD_END = "+38640100200"
CALLER, WAITER, STRANGER = "20000021", "20000022", "20000029"
SIMS = {CALLER: 21, WAITER: 22, STRANGER: 29}


@pytest.fixture
async def twins() -> AsyncIterator[dict[str, ServedTwin]]:
    served = {}
    for serial in SIMS:
        meter = build_mt372(serial, history_days=1)
        served[serial] = await serve_twin(meter, Listeners(port=0, transport="wrapper"))
    yield served
    for s in served.values():
        await s.close()


@pytest.fixture
async def inventory(sqlite_store: Store, tmp_path: Path) -> Store:
    rows = [
        entry(KEK_BYTES, serial, "tcp://0.0.0.0:1", DEFAULT_EK, DEFAULT_AK, path="wakeup",
              msisdn=Sim.derive(SIMS[serial]).msisdn, system_title="",
              logical_device_name=f"ISK00000{serial}")
        for serial in (CALLER, WAITER)
    ]  # fmt: skip
    await import_file(sqlite_store, write_json(tmp_path / "f.json", KEK_BYTES, rows),
                      Kek(KEK_BYTES), now=1)  # fmt: skip
    return sqlite_store


async def find_in(store: Store, serial: str) -> MeterRecord | None:
    try:
        return await store.meter(serial)
    except StoreError:
        return None


async def network(twins: dict[str, ServedTwin], listener: tuple[str, int]) -> ModemPool:
    lines = [
        MeterLine(
            Sim.derive(n), gprs=twins[serial].dlms_address, whitelist=(HEAD_END,),
            destinations=() if serial == WAITER else (f"{listener[0]}:{listener[1]}",),
            repetition_delay_s=5.0,
        )
        for serial, n in SIMS.items()
    ]  # fmt: skip
    pool = ModemPool(NetworkFile(HEAD_END, 9600, tuple(lines), 10.0, 0.0, 0.0, 10.0))
    await pool.start()
    return pool


def collect_policy(gsm: GsmPolicy) -> CollectPolicy:
    return CollectPolicy(first_days=0.25, gap_days=0.25, timeout=5.0, gsm=gsm)


async def test_a_woken_meter_calls_in_and_the_other_is_connected_to(
    inventory: Store, twins: dict[str, ServedTwin]
) -> None:
    listener = InboundListener(lambda serial: find_in(inventory, serial))
    where = await listener.start("127.0.0.1", 0)
    pool = await network(twins, where)
    try:
        modem = await pool.serve_tcp("127.0.0.1", 0)
        lookup = await pool.serve_lookup("127.0.0.1", 0)
        gsm = GsmPolicy(f"{modem[0]}:{modem[1]}", f"{lookup[0]}:{lookup[1]}", 20.0, 0.05,
                        inbound=listener, call_grace_s=1.0)  # fmt: skip
        meters = await inventory.meters()
        done = await collect_now(
            inventory, Kek(KEK_BYTES), meters,
            policy=Policy(max_sessions=2, on_demand_deadline=0.0),
            collect_policy=collect_policy(gsm), now=lambda: EPOCH,
        )  # fmt: skip
        by_serial = {c.meter.serial: c.outcome for c in done}
        for serial in (CALLER, WAITER):
            outcome = by_serial[serial]
            assert outcome is not None and outcome.ok, (serial, outcome)
            assert outcome.readings > 24
        # only the caller called, and its session ran over that connection
        assert (listener.taken, listener.handed, listener.refused) == (1, 1, 0)
        assert pool.dialler is not None and pool.dialler.connected == 1
        # both were attached by the SMS; the caller's own connection is closed
        assert pool.lookup(Sim.derive(SIMS[CALLER]).msisdn) is not None
        assert all(not g.writers for g in pool.gates)
    finally:
        await pool.close()
        await listener.close()


async def test_an_unasked_call_is_collected_and_a_stranger_refused(
    inventory: Store, twins: dict[str, ServedTwin]
) -> None:
    collected: list[tuple[str, bool]] = []
    collector = Collector(inventory, Kek(KEK_BYTES), lambda: EPOCH, collect_policy(GsmPolicy()))

    async def collect(meter: MeterRecord) -> None:
        assert meter.path == "tcp" and meter.url.startswith("tcp://127.0.0.1:")
        outcome = await collector.collect(meter)
        collected.append((meter.serial, outcome.ok))

    listener = InboundListener(lambda serial: find_in(inventory, serial), collect)
    pool = await network(twins, await listener.start("127.0.0.1", 0))
    try:
        now = pool.clock.now()
        for serial in (CALLER, STRANGER):  # their own wake-up: auto connect's connect()
            modem = pool.network.find(Sim.derive(SIMS[serial]).msisdn)
            assert modem is not None and modem.wake(now) is not None
        for _ in range(400):
            if collected and listener.refused:
                break
            await asyncio.sleep(0.05)
        assert collected == [(CALLER, True)]
        assert listener.refused == 1  # the stranger is not in the inventory
        assert listener.handed == 0
    finally:
        await pool.close()
        await listener.close()


async def test_a_caller_that_is_no_meter_is_refused(inventory: Store) -> None:
    listener = InboundListener(lambda serial: find_in(inventory, serial))
    host, port = await listener.start("127.0.0.1", 0)
    try:
        _, writer = await asyncio.open_connection(host, port)
        writer.close()  # gone before it said who it is
        for _ in range(200):
            if listener.refused:
                break
            await asyncio.sleep(0.02)
        assert (listener.refused, listener.taken) == (1, 0)
    finally:
        await listener.close()
