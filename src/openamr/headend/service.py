"""The head-end's operations as the CLI (and later the API) call them: collect a set
of meters now, serve the daily schedule, read stored readings back as rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from openamr.headend.collector import Collector, CollectPolicy, Outcome
from openamr.headend.model import MeterRecord, Quality
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Job, Policy, Scheduler
from openamr.headend.store import Store
from openamr.headend.vault import Kek


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class Collected:
    meter: MeterRecord
    job: Job
    outcome: Outcome | None


async def collect_now(
    store: Store, kek: Kek | None, meters: list[MeterRecord], *,
    policy: Policy | None = None, collect_policy: CollectPolicy | None = None,
    force_clock: bool = False, now: Callable[[], dt.datetime] = utc_now,
) -> list[Collected]:  # fmt: skip
    """Collect ``meters`` now (on-demand jobs, retried while transient failures fit
    the on-demand deadline), within the concurrency limits."""
    scheduler = Scheduler(policy or Policy(), random.Random())
    collector = Collector(store, kek, now, collect_policy)
    runner = Runner(store, collector, scheduler, meters, now)
    jobs = [await runner.submit(m.serial, str(uuid.uuid4()), force_clock) for m in meters]
    await runner.run()
    return [
        Collected(m, j, runner.outcomes.get(j.correlation_id))
        for m, j in zip(meters, jobs, strict=True)
    ]


async def serve(
    store: Store, kek: Kek | None, policy: Policy, collect_policy: CollectPolicy | None,
    stop: asyncio.Event, now: Callable[[], dt.datetime] = utc_now,
) -> Runner:  # fmt: skip
    """The daily collection of every active meter until ``stop`` is set."""
    meters = await store.meters()
    runner = Runner(store, Collector(store, kek, now, collect_policy),
                    Scheduler(policy, random.Random()), meters, now)  # fmt: skip
    await runner.run(daily=True, stop=stop)
    return runner


def quality_names(flags: int) -> str:
    return ",".join(q.name.lower() for q in Quality if q and flags & q)  # type: ignore[union-attr]
