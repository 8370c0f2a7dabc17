"""Faults of the scaled-out head-end, with the real services: a worker killed with
SIGKILL mid-collection (its job is redelivered, nothing lost, nothing stored twice),
NATS restarted under load (a private nats-server on its own port and store
directory, so that nobody else's stream is touched) and PostgreSQL restarted under
load (the shared server, for a second or two: ``pg_ctlcluster ... restart``); the
workers back off and resume, and every meter ends collected once."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from openamr.headend.collector import Collector
from openamr.headend.queue.base import QueueSettings
from openamr.headend.queue.jetstream import JetStreamQueue
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.store import Store
from openamr.headend.worker import Dispatcher, Worker, WorkerPolicy
from tests.headend.conftest import KEK
from tests.headend.queues import NATS, add_meters, pg_url, private_nats, twins, unique, wall
from tests.services import require

KEK_HEX = "00112233445566778899aabbccddeeff"  # tests.headend.conftest.KEK
OPENAMR = str(Path(sys.executable).parent / "openamr")


async def publish_all(store: Store, queue: JetStreamQueue, meters: slice = slice(None)
                      ) -> list[str]:  # fmt: skip
    """On-demand jobs for the meters, published (retried while the queue is away)."""
    dispatcher = Dispatcher(store, queue, Scheduler(Policy(), random.Random()), wall)
    ids: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:  # the store or the queue may be restarting
            if not ids:
                ids = [(await dispatcher.submit(m.serial, str(uuid.uuid4()))).correlation_id
                       for m in (await store.meters())[meters]]  # fmt: skip
            await dispatcher.publish_due()
            return ids
        except Exception:
            await asyncio.sleep(0.2)
    raise AssertionError("the jobs could not be published in 30 s")


async def check_once(store: Store, ids: list[str], meters: int) -> list[int]:
    """Every job done, a day of profile per meter, no reading twice; the attempts."""
    attempts = []
    for cid in ids:
        row = await store.job(cid)
        assert row is not None and row.state == "done", row
        attempts.append(row.attempts)
    async with store.engine.connect() as conn:
        per_meter = dict((await conn.execute(text(
            "SELECT meter_id, count(DISTINCT ts) FROM readings "
            "WHERE channel LIKE '1.0.99.1.0.255/%' GROUP BY meter_id"))).all())  # fmt: skip
        query = "SELECT count(*), count(DISTINCT (meter_id, channel, ts)) FROM readings"
        total, distinct = (await conn.execute(text(query))).one()
    assert len(per_meter) == meters and min(per_meter.values()) >= 96
    assert total == distinct
    return attempts


async def sessions(store: Store) -> int:
    try:
        return await store.count("sessions")
    except Exception:
        return 0


async def test_kill9_of_a_worker_mid_collection(tmp_path: Path) -> None:
    require("nats")
    n = 5
    with twins(n) as (_, urls):
        async with pg_url() as db:
            store = await Store.open(db)
            name = unique("k")
            queue = await JetStreamQueue.open(
                f"{NATS}?name={name}", QueueSettings(ack_wait=2, lease_s=2)
            )
            try:
                await add_meters(store, urls, cells=1)
                ids = await publish_all(store, queue)
                env = {**os.environ, "OPENAMR_KEK": KEK_HEX, "OPENAMR_DB": db}
                command = [OPENAMR, "headend", "worker", "--queue", f"{NATS}?name={name}",
                           "--max-sessions", "1", "--ack-wait", "2"]  # fmt: skip
                first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)  # fmt: skip
                deadline = time.monotonic() + 60
                while await sessions(store) < 2 and time.monotonic() < deadline:
                    assert first.poll() is None, first.stderr.read() if first.stderr else ""
                    await asyncio.sleep(0.01)
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                assert 2 <= await sessions(store) < n, "the kill did not land mid-collection"
                second = subprocess.run([*command, "--until-idle", "3"], env=env,
                                        capture_output=True, text=True, timeout=120)  # fmt: skip
                assert second.returncode == 0, second.stderr
                attempts = await check_once(store, ids, n)
                assert sorted(attempts)[-1] <= 2  # the job under way was tried again, once
            finally:
                await queue.destroy()
                await queue.close()
                await store.close()


async def _under_load(store: Store, url: str, name: str, fault: Any, n: int) -> dict[str, int]:
    """Workers collecting ``n`` meters, one session at a time each; once two are done
    ``fault()`` starts (in a thread) and the other half of the jobs is published
    while it runs: they are taken after it. What the fault did: the queue client's
    reconnects, the errors the workers met."""
    settings = QueueSettings(ack_wait=3, lease_s=3)
    queue = await JetStreamQueue.open(f"{url}?name={name}", settings)
    try:
        ids = await publish_all(store, queue, slice(0, n // 2))
        collector = Collector(store, KEK, wall)
        policy = WorkerPolicy(max_sessions=1, per_cell=2, retry_base=0.2, max_pause=1.0)
        workers = [Worker(store, queue, collector, policy, name=f"w{i}") for i in range(2)]
        stop = asyncio.Event()
        running = [asyncio.create_task(w.run(stop)) for w in workers]
        deadline = time.monotonic() + 60
        while sum(w.stats.done for w in workers) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        faulting = asyncio.create_task(asyncio.to_thread(fault))
        await asyncio.sleep(0.3)
        ids += await publish_all(store, queue, slice(n // 2, n))
        await faulting
        while time.monotonic() < deadline:
            try:
                rows = [await store.job(cid) for cid in ids]
            except Exception:  # restarting
                rows = []
            if rows and all(r is not None and r.state == "done" for r in rows):
                break
            await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*running), 40)
        await check_once(store, ids, n)
        return {"reconnects": int(queue.nc.stats["reconnects"]),
                "store_errors": sum(w.stats.store_errors for w in workers)}  # fmt: skip
    finally:
        await queue.close()


async def test_nats_restarted_under_load(tmp_path: Path) -> None:
    n = 8
    with twins(n) as (_, urls), private_nats(tmp_path) as server:
        async with pg_url() as db:
            store = await Store.open(db)
            try:
                await add_meters(store, urls, cells=2)

                def restart() -> None:
                    server.stop()
                    time.sleep(1.0)  # the workers see it away
                    server.start()  # the same -sd: the streams and the consumers come back

                seen = await _under_load(store, server.url, unique("r"), restart, n)
                assert seen["reconnects"] >= 1
            finally:
                await store.close()


async def _started(store: Store) -> object:
    async with store.engine.connect() as conn:
        return await conn.scalar(text("SELECT pg_postmaster_start_time()"))


def _cluster() -> str | None:
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        return None
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1] if versions else None


async def test_postgresql_restarted_under_load(tmp_path: Path) -> None:
    """Restarts the machine's shared PostgreSQL once (pg_ctlcluster ... restart,
    1-2 s): other sessions' connections drop for that moment."""
    require("nats")
    require("postgresql")
    version = _cluster()
    if version is None or os.geteuid() != 0:
        pytest.skip("pg_ctlcluster (Debian's PostgreSQL, as root) is needed to restart it")
    n = 8
    with twins(n) as (_, urls):
        async with pg_url() as db:
            store = await Store.open(db)
            try:
                await add_meters(store, urls, cells=2)

                def restart() -> None:
                    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version,
                                    "main", "restart"], check=True, timeout=60)  # fmt: skip

                before = await _started(store)
                await _under_load(store, NATS, unique("p"), restart, n)
                assert await _started(store) != before  # it did restart, under the workers
            finally:
                await store.close()
