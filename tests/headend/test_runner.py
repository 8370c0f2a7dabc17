"""The runner over real sockets: on-demand jobs collected within the limits, a meter
that does not answer retried until its deadline, every job's state and each failure's
reason stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections.abc import AsyncIterator

import pytest

from openamr.headend.collector import Collector
from openamr.headend.model import MeterRecord
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.service import collect_now
from openamr.headend.store import Store
from openamr.headend.vault import Kek, MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin

KEK = Kek(bytes(range(16)))
SECRETS = MeterSecrets(None, DEFAULT_EK, DEFAULT_AK)


@pytest.fixture
async def twins() -> AsyncIterator[list[Twin]]:
    started = [await start_twin(history_days=1) for _ in range(3)]
    yield started
    for t in started:
        await stop_twin(t)


async def test_collect_now_with_a_dead_meter(sqlite_store: Store, twins: list[Twin]) -> None:
    store = sqlite_store
    urls = [t.url("wrapper") for t in twins] + ["tcp://127.0.0.1:1"]
    for i, url in enumerate(urls):
        await store.put_meter(MeterRecord(f"{i + 1}", url, cell=0, secrets=SECRETS), KEK, 0)
    meters = await store.meters()
    policy = Policy(max_sessions=2, per_cell=2, retry_base=0.2, on_demand_deadline=1.5)
    began = time.monotonic()  # the twins' clocks stand at EPOCH: the head-end's starts there

    def now() -> dt.datetime:
        return EPOCH + dt.timedelta(seconds=time.monotonic() - began)

    done = await collect_now(store, KEK, meters, policy=policy, now=now)
    ok = [c for c in done if c.outcome and c.outcome.ok]
    assert [c.meter.serial for c in ok] == ["1", "2", "3"]
    assert all(c.job.attempts == 1 and c.outcome and c.outcome.readings > 100 for c in ok)
    (dead,) = [c for c in done if c not in ok]
    assert dead.outcome is not None and dead.outcome.transient
    assert dead.job.attempts >= 2 and all("cannot connect" in r for _, r in dead.job.failures)
    stored = await store.job(dead.job.correlation_id)
    assert stored is not None and stored.state == "failed" and "cannot connect" in stored.reason
    assert stored.attempts == dead.job.attempts
    for c in ok:
        row = await store.job(c.job.correlation_id)
        assert row is not None and (row.state, row.attempts) == ("done", 1)
    sessions = await store.sessions()
    assert len(sessions) == 3 + dead.job.attempts
    assert sum(s.outcome == "failed" for s in sessions) == dead.job.attempts


async def test_daily_schedule_collects_every_active_meter_once(
    sqlite_store: Store, twins: list[Twin]
) -> None:
    store = sqlite_store
    for i, t in enumerate(twins):
        await store.put_meter(
            MeterRecord(f"{i + 1}", t.url("hdlc"), cell=i, secrets=SECRETS), KEK, 0
        )
    await store.put_meter(MeterRecord("9", "tcp://127.0.0.1:1", state="decommissioned"), KEK, 0)
    began = time.monotonic()

    def now() -> dt.datetime:  # the day starts at EPOCH, midnight, and runs in real time
        return EPOCH + dt.timedelta(seconds=time.monotonic() - began)

    policy = Policy(window_start=0, window_length=60, spread=1)
    runner = Runner(store, Collector(store, KEK, now), Scheduler(policy, random.Random(7)),
                    await store.meters(), now)  # fmt: skip
    stop = asyncio.Event()
    serving = asyncio.create_task(runner.run(daily=True, stop=stop))
    while len(runner.finished()) < len(twins) and not serving.done():
        await asyncio.sleep(0.05)
    stop.set()
    await serving
    assert sorted(j.serial for j in runner.finished()) == ["1", "2", "3"]
    for serial in "123":
        row = await store.job(f"collect-2026-01-01-{serial}")
        assert row is not None and row.state == "done" and row.priority == 1
    assert len(await store.sessions()) == 3
    # restarted the same day: the meters done today are not collected again
    again = Runner(store, Collector(store, KEK, now), Scheduler(policy, random.Random(8)),
                   await store.meters(), now)  # fmt: skip
    stop = asyncio.Event()
    serving = asyncio.create_task(again.run(daily=True, stop=stop))
    await asyncio.sleep(1.5)  # past every start the day's plan could draw
    stop.set()
    await serving
    assert again.finished() == [] and len(await store.sessions()) == 3
