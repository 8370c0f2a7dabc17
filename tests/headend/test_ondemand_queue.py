"""On-demand work through the scheduler: ahead of the scheduled work within the same
global and per-cell limits (stepped clock, no I/O), and its result kept in the
database, fetched by correlation id after a restart (a twin over real sockets)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator

import pytest

from openamr.headend.collector import Collector, Outcome
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Job, Policy, Priority, Scheduler
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.conftest import KEK


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=1)
    yield t
    await stop_twin(t)


T = EPOCH.timestamp()


async def test_on_demand_goes_first_within_the_cells_limit(sqlite_store: Store) -> None:
    store = sqlite_store
    for serial in ("1", "2", "3"):
        await store.put_meter(
            MeterRecord(serial, "tcp://127.0.0.1:1", auth="none", cell=7), None, 0
        )
    meters = {m.serial: m for m in await store.meters()}
    ran: list[str] = []

    async def worker(meter: MeterRecord, job: Job) -> Outcome:
        ran.append(f"{job.kind}:{meter.serial}")
        return Outcome(True)

    policy = Policy(max_sessions=4, per_cell=1)
    runner = Runner(
        store,
        Collector(store, None, lambda: EPOCH),
        Scheduler(policy, random.Random()),
        list(meters.values()),
        lambda: EPOCH,
        workers={"ping": worker, "firmware": worker},
    )
    await runner.schedule(meters["1"], "firmware", "fw-1", T - 60, T + 3600)
    runner.scheduler.plan_day([("2", 7)], EPOCH.date())  # today's collection, due by now
    await runner.on_demand(meters["3"], "ping", "ping-3")
    order = []
    for _ in range(3):
        jobs = runner.scheduler.take(T + 86400 / 2)
        assert len(jobs) == 1  # one session in cell 7 at a time
        order.append((jobs[0].priority, jobs[0].kind))
        runner.report(jobs[0], Outcome(True))
    assert order[0] == (Priority.ON_DEMAND, "ping")
    assert {o[1] for o in order[1:]} == {"firmware", "collect"}
    await runner.flush()
    row = await store.job("ping-3")
    assert row is not None and row.state == "done" and row.priority == 0


async def test_a_result_outlives_the_head_end(sqlite_store: Store, twin: Twin) -> None:
    store = sqlite_store
    await store.put_meter(
        MeterRecord(
            "12345678",
            twin.url("wrapper"),
            cell=1,
            secrets=MeterSecrets(None, DEFAULT_EK, DEFAULT_AK),
        ),
        KEK,
        0,
    )
    await store.put_meter(MeterRecord("2", "tcp://127.0.0.1:1", auth="none", cell=1), KEK, 0)
    meter, gone = await store.meter("12345678"), await store.meter("2")

    def now() -> dt.datetime:
        return EPOCH

    runner = Runner(
        store, Collector(store, KEK, now), Scheduler(Policy(), random.Random()), [meter, gone], now
    )
    ondemand = OnDemand(store, KEK, now, runner=runner, timeout=5)
    read = await ondemand.submit(meter, "read", {"obis": "1.0.1.8.0.255"})
    dead = await ondemand.submit(
        gone,
        "set",
        {"obis": "0.0.96.1.0.255", "value": {"type": "unsigned", "value": 1}},
    )
    queued = await store.job(read)
    assert queued is not None and queued.state == "queued"
    await runner.run()
    # a new head-end (nothing in memory) finds both by correlation id
    later = OnDemand(store, KEK, now)
    value = await later.result(read)
    assert value["obis"] == "1.0.1.8.0.255" and isinstance(value["value"], int)
    done = await store.job(read)
    assert done is not None and done.state == "done" and done.priority == 0
    failed = await store.job(dead)
    assert failed is not None and failed.state == "failed" and failed.attempts == 1  # a write
    assert "cannot connect" in (await later.result(dead))["error"]  # is not retried
    assert await later.result("no-such-id") is None


async def test_work_left_by_a_stopped_head_end_is_failed_at_start(sqlite_store: Store) -> None:
    store = sqlite_store
    await store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1", auth="none"), None, 0)
    meter = await store.meter("1")
    runner = Runner(store, Collector(store, None, lambda: EPOCH),
                    Scheduler(Policy(), random.Random()), [meter], lambda: EPOCH)  # fmt: skip
    first = OnDemand(store, None, lambda: EPOCH, runner=runner)
    read = await first.submit(meter, "read", {"obis": "1.0.1.8.0.255"})
    command = await first.submit(meter, "disconnect", {})
    # the process ends here; a new head-end starts on the same database
    assert await OnDemand(store, None, lambda: EPOCH).abandon_leftovers() == 2
    for cid in (read, command):
        row = await store.job(cid)
        assert row is not None and row.state == "failed" and "submit it again" in row.reason
    assert (await store.command_history(command))[-1][1] == "failed"
