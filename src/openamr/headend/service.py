"""The head-end's operations as the CLI (and later the API) call them: collect a set
of meters now, serve the daily schedule, read stored readings back as rows."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

    def as_row(self) -> dict[str, Any]:
        out = self.outcome
        return {
            "serial": self.meter.serial, "outcome": "ok" if out and out.ok else "failed",
            "attempts": self.job.attempts, "readings": out.readings if out else 0,
            "events": out.events if out else 0, "reason": out.reason if out else "not started",
            "correlation_id": self.job.correlation_id, "path": self.meter.path,
        }  # fmt: skip


def completeness_by_path(done: list[Collected]) -> list[dict[str, Any]]:
    """Per path (tcp, csd, wakeup): meters, how many were collected, the share, and
    the readings stored."""
    rows: dict[str, dict[str, Any]] = {}
    for c in done:
        row = rows.setdefault(c.meter.path, {"path": c.meter.path, "meters": 0, "collected": 0,
                                             "readings": 0})  # fmt: skip
        row["meters"] += 1
        if c.outcome is not None and c.outcome.ok:
            row["collected"] += 1
        row["readings"] += c.outcome.readings if c.outcome is not None else 0
    for row in rows.values():
        row["completeness"] = f"{100 * row['collected'] / row['meters']:.0f} %"
    return [rows[p] for p in sorted(rows)]


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


READING_COLUMNS = ("meter", "channel", "time", "value", "unit", "status", "quality")


def iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


async def reading_rows(
    store: Store, serial: str | None = None, start: int | None = None, end: int | None = None,
    channel: str | None = None, limit: int | None = None,
) -> list[list[Any]]:  # fmt: skip
    """Stored readings as rows of :data:`READING_COLUMNS` (time in ISO 8601 UTC,
    status in hex, quality flags by name)."""
    serials = {m.id: m.serial for m in await store.meters(state=None)}
    meter_id = None if serial is None else (await store.meter(serial)).id
    found = await store.readings(meter_id, channel, start, end, limit)
    return [[serials[r.meter_id], r.channel, iso(r.ts), r.value, r.unit,
             "" if r.status is None else f"0x{r.status:02x}", quality_names(r.quality)]
            for r in found]  # fmt: skip
