"""Collectors through the queue: a dispatcher publishes, workers take, each cell
throttled on its own over all workers, every meter collected and stored once; a
job that keeps failing is moved aside with its reason after max_tries; a message
that is no job is moved aside at once. In process with SQLite, and on NATS
JetStream with PostgreSQL (two workers, two connections: as on two machines)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from openamr.headend.collector import Collector, Outcome
from openamr.headend.model import MeterRecord
from openamr.headend.queue.base import JobMessage, QueueSettings, WorkQueue
from openamr.headend.queue.inproc import InProcessQueue, _Message
from openamr.headend.queue.jetstream import JetStreamQueue
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.store import Store
from openamr.headend.worker import Dispatcher, Worker, WorkerPolicy
from tests.headend.conftest import KEK
from tests.headend.queues import (
    NATS,
    add_meters,
    free_port,
    open_test_queue,
    pg_url,
    twins,
    unique,
    wall,
)
from tests.services import require

N = 6
SETTINGS = QueueSettings(ack_wait=5.0, lease_s=5.0, max_tries=2, busy_delay=0.05)


class Counting(Collector):
    """A collector that notes how many sessions run at once per cell."""

    running: Counter[int | None] = Counter()
    peak: Counter[int | None] = Counter()

    async def collect(self, meter: MeterRecord, **kw: Any) -> Outcome:
        self.running[meter.cell] += 1
        self.peak[meter.cell] = max(self.peak[meter.cell], self.running[meter.cell])
        try:
            return await super().collect(meter, **kw)
        finally:
            self.running[meter.cell] -= 1


@contextlib.asynccontextmanager
async def setup(kind: str, tmp: Any) -> AsyncIterator[tuple[Store, list[WorkQueue]]]:
    """(store, two queues of one name: one per worker)."""
    if kind == "memory":
        store = await Store.open(f"sqlite:///{tmp / 'he.db'}")
        async with open_test_queue("memory", SETTINGS) as q:
            try:
                yield store, [q, q]
            finally:
                await store.close()
        return
    require("nats")
    async with pg_url() as url:
        store = await Store.open(url)
        name = unique("w")
        a = await JetStreamQueue.open(f"{NATS}?name={name}", SETTINGS)
        b = await JetStreamQueue.open(f"{NATS}?name={name}", SETTINGS)
        try:
            yield store, [a, b]
        finally:
            await a.destroy()
            await a.close()
            await b.close()
            await store.close()


@pytest.mark.parametrize("kind", ["memory", "nats"])
async def test_workers_collect_each_meter_once_within_cell_limits(kind: str, tmp_path: Any
                                                                  ) -> None:  # fmt: skip
    with twins(N) as (_, urls):
        async with setup(kind, tmp_path) as (store, queues):
            await add_meters(store, urls, cells=2)
            dispatcher = Dispatcher(store, queues[0], Scheduler(Policy(), random.Random()), wall)
            jobs = [
                await dispatcher.submit(m.serial, str(uuid.uuid4())) for m in await store.meters()
            ]
            assert await dispatcher.publish_due() == N
            collector = Counting(store, KEK, wall)
            Counting.running.clear()
            Counting.peak.clear()
            policy = WorkerPolicy(max_sessions=4, per_cell=1)
            workers = [
                Worker(store, q, collector, policy, name=f"w{i}") for i, q in enumerate(queues)
            ]
            stop = asyncio.Event()
            await asyncio.wait_for(
                asyncio.gather(*(w.run(stop, until_idle=1.5) for w in workers)), 60
            )
            assert sum(w.stats.done for w in workers) == N
            assert max(Counting.peak.values()) == 1  # per cell, over both workers
            assert sum(w.stats.busy for w in workers) > 0  # the other cell's slot was asked for
            for j in jobs:
                row = await store.job(j.correlation_id)
                assert row is not None and (row.state, row.attempts) == ("done", 1)
            async with store.engine.connect() as conn:
                per_meter = dict((await conn.execute(text(
                    "SELECT meter_id, count(DISTINCT ts) FROM readings "
                    "WHERE channel LIKE '1.0.99.1.0.255/%' GROUP BY meter_id"))).all())  # fmt: skip
            assert len(per_meter) == N and min(per_meter.values()) >= 96
            assert await store.count("sessions") == N


async def test_a_poison_job_is_moved_aside_with_its_reason(tmp_path: Any) -> None:
    async with setup("memory", tmp_path) as (store, (q, _)):
        (meter,) = await add_meters(store, [f"tcp://127.0.0.1:{free_port()}"], cells=1)
        dispatcher = Dispatcher(store, q, Scheduler(Policy(), random.Random()), wall)
        job = await dispatcher.submit(meter.serial, "poison-1")
        await dispatcher.publish_due()
        assert isinstance(q, InProcessQueue)
        q._jobs.put(_Message(b"not json", 1), 0.0)  # a message that is no job
        collector = Collector(store, KEK, wall)
        worker = Worker(store, q, collector, WorkerPolicy(retry_base=0.05, retry_max=0.1))
        await asyncio.wait_for(worker.run(asyncio.Event(), until_idle=1.0), 30)
        dead = {d.data: d for d in await q.dead_letters()}
        assert dead[b"not json"].reason.startswith("not a job message")
        poison = next(d for d in dead.values() if d.data != b"not json")
        assert JobMessage.decode(poison.data).correlation_id == job.correlation_id
        assert poison.tries == SETTINGS.max_tries and "cannot connect" in poison.reason
        row = await store.job(job.correlation_id)
        assert row is not None and row.state == "failed" and "2 tries" in row.reason
        assert await store.count("sessions") == SETTINGS.max_tries  # never an endless retry


def test_worker_cli_says_what_to_do_with_a_bad_queue(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from openamr.cli.main import cli

    env = {"OPENAMR_DB": f"sqlite:///{tmp_path / 'he.db'}", "OPENAMR_QUEUE": ""}
    bad = CliRunner().invoke(cli, ["headend", "worker", "--queue", "amqp://h"], env=env)
    assert bad.exit_code == 1 and "use memory:// or nats://HOST:PORT" in bad.output
    away = CliRunner().invoke(cli, ["headend", "worker", "--queue", "nats://127.0.0.1:9"], env=env)
    assert away.exit_code == 1 and "cannot reach NATS at nats://127.0.0.1:9" in away.output
    assert "Traceback" not in bad.output + away.output
