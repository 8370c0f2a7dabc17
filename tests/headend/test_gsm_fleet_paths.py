"""Issue 16's end-to-end proof on a fleet (``openamr.fleet``, not twins one by one): a
fleet where some meters are reachable only by CSD data calls and the others only after
a wake-up (``[network] csd`` and ``wakeup`` shares), behind the fleet's own network
and modem. The head-end imports the fleet's commissioning file (each meter's path and
number), collects every meter through the modem by its path (a call answered by the
twin's own Auto answer object; an SMS, then the lookup), and reports completeness per
path. The fleet refuses TCP to a wake-up meter that is not attached: the SMS is what
lets the head-end in."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from pathlib import Path

from openamr.cli.fleet import serve_gsm
from openamr.fleet import commissioning
from openamr.fleet.config import Addresses, Network
from openamr.fleet.serve import FleetServer
from openamr.headend.collector import CollectPolicy
from openamr.headend.inventory import import_file
from openamr.headend.paths import GsmPolicy
from openamr.headend.scheduler import Policy
from openamr.headend.service import collect_now, completeness_by_path
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from tests.fleet.conftest import fleet_on, small

KEK = bytes(range(32))
SPEED = 10.0
METERS = 6  # by the fleet's seed: 2 reached by CSD, 4 after a wake-up
#: a loopback /16 of its own, drawn per run
FIRST = f"127.{random.randrange(100, 250)}.{random.randrange(256)}.1"


class WallTime:
    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


async def test_the_head_end_collects_a_fleet_by_csd_and_after_wake_up(
    tmp_path: Path, sqlite_store: Store
) -> None:
    config = small(METERS, speed=SPEED, addresses=Addresses(first=FIRST, port=4059),
                   network=Network(csd=0.1, wakeup=0.9))  # fmt: skip
    path = tmp_path / "fleet.json"
    path.write_text(commissioning.to_json(config, KEK))
    await import_file(sqlite_store, path, Kek(KEK), now=1)
    meters = await sqlite_store.meters()
    paths = {m.serial: m.path for m in meters}
    assert set(paths.values()) == {"csd", "wakeup"}, paths
    fleet = fleet_on(config, WallTime())  # type: ignore[arg-type]
    server = FleetServer(fleet, asyncio.get_running_loop(), idle_s=30.0)
    server.listen()
    server.start()
    pool = await serve_gsm(fleet, config, (("127.0.0.1", 0), ("127.0.0.1", 0)))
    try:
        modem, lookup = (s.sockets[0].getsockname()[:2] for s in pool.servers)
        for m in meters:  # nobody is attached before the head-end asks
            assert pool.lookup(m.msisdn) is None, m.serial
        gsm = GsmPolicy(f"{modem[0]}:{modem[1]}", f"{lookup[0]}:{lookup[1]}", 30.0, 0.05)
        done = await collect_now(
            sqlite_store, Kek(KEK), meters, policy=Policy(max_sessions=3, on_demand_deadline=0.0),
            collect_policy=CollectPolicy(first_days=0.1, gap_days=0.1, timeout=10.0, gsm=gsm),
            now=lambda: dt.datetime.now(dt.UTC),
        )  # fmt: skip
        for c in done:
            assert c.outcome is not None and c.outcome.ok, (c.meter.serial, c.meter.path, c.outcome)
            assert c.outcome.readings > 0
        by_path = {row["path"]: row for row in completeness_by_path(done)}
        for name in ("csd", "wakeup"):
            count = sum(1 for p in paths.values() if p == name)
            row = by_path[name]
            assert (row["meters"], row["collected"], row["completeness"]) == (count, count, "100 %")
        # the SMS attached the wake-up meters; the CSD meters never were
        for m in meters:
            attached = pool.lookup(m.msisdn) is not None
            assert attached is (m.path == "wakeup"), (m.serial, m.path)
    finally:
        await pool.close()
        server.close()
