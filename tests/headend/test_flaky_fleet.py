"""Issue 13 "Reliability": with part of the fleet flaky (the fleet's fault model:
sessions cut mid-transfer, meters that accept a call and never answer), every reading
is stored exactly once after retries. The fleet runs on real loopback sockets; what the
head-end stored is compared with each twin's own load profile and log-book."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from dataclasses import replace
from pathlib import Path

from openamr.client.values import as_datetime
from openamr.codec.obis import Obis
from openamr.fleet.commissioning import to_json
from openamr.fleet.config import Addresses
from openamr.fleet.faults import FaultRates
from openamr.fleet.serve import FleetServer
from openamr.headend.collector import LOAD_PROFILE, LOGBOOK, CollectPolicy
from openamr.headend.inventory import import_file
from openamr.headend.scheduler import Policy
from openamr.headend.service import collect_now
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from tests.addresses import loopback_block
from tests.fleet.conftest import START, fleet_on, small

METERS = 16
KEK_BYTES = bytes(range(50, 66))


async def test_a_flaky_fleet_is_stored_exactly_once_after_retries(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    faults = replace(FaultRates.none(), drop=0.25, no_answer=0.08)
    config = small(METERS, faults=faults, addresses=Addresses(first=loopback_block()))
    began = time.monotonic()

    def now() -> dt.datetime:  # one clock for the fleet and the head-end, in real time
        return START + dt.timedelta(seconds=time.monotonic() - began)

    fleet = fleet_on(config, now)  # type: ignore[arg-type]
    server = FleetServer(fleet, asyncio.get_running_loop())
    server.listen()
    try:
        path = tmp_path / "fleet.json"
        path.write_text(to_json(config, KEK_BYTES))
        await import_file(store, path, Kek(KEK_BYTES), now=1)
        meters = await store.meters()
        policy = Policy(max_sessions=8, per_cell=8, retry_base=0.1, retry_max=0.4,
                        on_demand_deadline=90)  # fmt: skip
        done = await collect_now(store, Kek(KEK_BYTES), meters, policy=policy,
                                 collect_policy=CollectPolicy(timeout=1.0), now=now)  # fmt: skip
        failed = [c.meter.serial for c in done if not (c.outcome and c.outcome.ok)]
        assert failed == []
        sessions = await store.sessions()
        broken = [s for s in sessions if s.outcome != "ok"]
        assert broken, "the fault model cut no session: the test proves nothing"
        assert sum(c.job.attempts > 1 for c in done) >= 2
        for record in meters:
            assert record.id is not None
            index = fleet.index_of(record.serial)
            assert index is not None
            device = fleet.app(index).device
            lp = device.find(Obis.parse(LOAD_PROFILE))
            log = device.find(Obis.parse(LOGBOOK))
            assert lp is not None and log is not None
            a_plus = await store.readings(record.id, f"{LOAD_PROFILE}/1.0.1.8.0.255:2")
            expected = [(int(as_datetime(row[0]).timestamp()), row[2]) for row in lp.rows]  # type: ignore[union-attr]
            assert [(r.ts, r.value) for r in a_plus] == expected, record.serial
            events = await store.events(record.id)
            assert len(events) == len({(as_datetime(r[0]), r[1]) for r in log.rows})
        async with store.engine.connect() as conn:
            dupes = await conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT meter_id, channel, ts FROM readings"
                " GROUP BY meter_id, channel, ts HAVING count(*) > 1)"
            )
            assert dupes.scalar() == 0
    finally:
        server.close()
