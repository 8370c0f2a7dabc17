"""A fleet's wake-up meters call the head-end back, end to end (issue 16): the fleet
exports its commissioning file (every meter on the wakeup path), the head-end imports
it, wakes each meter by SMS through the fleet's modem, and collects each over the
connection the meter opens to its listener (``[network] call_back``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path

from openamr.cli.fleet import fleet_dialler, serve_gsm
from openamr.fleet import commissioning
from openamr.fleet.config import Addresses, Network
from openamr.fleet.serve import FleetServer
from openamr.headend.collector import CollectPolicy
from openamr.headend.inbound import InboundListener
from openamr.headend.inventory import import_file
from openamr.headend.model import MeterRecord
from openamr.headend.paths import GsmPolicy
from openamr.headend.scheduler import Policy
from openamr.headend.service import collect_now
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek
from tests.fleet.conftest import fleet_on, small

KEK = bytes(range(32))
SPEED = 10.0
#: a loopback /16 of its own, drawn per run: two runs on one machine do not collide
FIRST = f"127.{random.randrange(100, 250)}.{random.randrange(256)}.1"


class WallTime:
    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


async def test_the_head_end_collects_woken_fleet_meters_over_their_calls(
    tmp_path: Path, sqlite_store: Store
) -> None:
    async def find(serial: str) -> MeterRecord | None:
        try:
            return await sqlite_store.meter(serial)
        except StoreError:
            return None

    listener = InboundListener(find)
    host, port = await listener.start("127.0.0.1", 0)
    config = small(2, speed=SPEED, addresses=Addresses(first=FIRST, port=4059),
                   network=Network(wakeup=1.0, call_back=f"{host}:{port}"))  # fmt: skip
    path = tmp_path / "fleet.json"
    path.write_text(commissioning.to_json(config, KEK))
    await import_file(sqlite_store, path, Kek(KEK), now=1)
    meters = await sqlite_store.meters()
    assert {m.path for m in meters} == {"wakeup"}
    fleet = fleet_on(config, WallTime())  # type: ignore[arg-type]
    server = FleetServer(fleet, asyncio.get_running_loop(), idle_s=30.0)
    server.listen()
    server.start()
    pool = await serve_gsm(fleet, config, (("127.0.0.1", 0), ("127.0.0.1", 0)))
    dialler = fleet_dialler(fleet, server, config)
    try:
        modem, lookup = (s.sockets[0].getsockname()[:2] for s in pool.servers)
        gsm = GsmPolicy(f"{modem[0]}:{modem[1]}", f"{lookup[0]}:{lookup[1]}", 30.0, 0.05,
                        inbound=listener, call_grace_s=5.0)  # fmt: skip
        done = await collect_now(
            sqlite_store, Kek(KEK), meters, policy=Policy(max_sessions=2, on_demand_deadline=0.0),
            collect_policy=CollectPolicy(first_days=0.1, gap_days=0.1, timeout=5.0, gsm=gsm),
            now=lambda: dt.datetime.now(dt.UTC),
        )  # fmt: skip
        for c in done:
            assert c.outcome is not None and c.outcome.ok, c.outcome
        assert (listener.taken, listener.handed) == (2, 2) and dialler.connected == 2
    finally:
        await dialler.close()
        await pool.close()
        server.close()
        await listener.close()
