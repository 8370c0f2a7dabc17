"""The head-end spread over processes and machines, through a
:class:`~openamr.headend.queue.base.WorkQueue`:

- :class:`Dispatcher` (in ``openamr headend serve --queue URL``): the sans-IO
  :class:`~openamr.headend.scheduler.Scheduler` plans each day's collection as
  ever, and every job that falls due is published to the queue (on-demand jobs at
  once); the limits are applied where the sessions run;
- :class:`Worker` (``openamr headend worker``): stateless, any number of them. Each
  takes jobs, holds the meter's lease (one session per meter) and one of its cell's
  ``per_cell`` permit slots (each cell throttled on its own, whichever workers
  serve it), runs the :class:`~openamr.headend.collector.Collector`, records the
  job's state, and answers the queue: ``ack`` when done or failed for good,
  ``nak(backoff)`` for a transient failure within the deadline, ``nak(busy)`` when
  the cell is full or the meter busy. A job whose ``max_tries`` sessions all ended
  without success (or killed their worker: the try is counted before the session
  starts) is moved aside with its last reason, never retried for ever. The jobs
  table gets each job's end (and, for an on-demand job, that it runs): a scheduled
  job goes from queued to its end without a write between (one per meter a night).

A store that fails (PostgreSQL restarting) is not the meter's fault: the try is not
counted, the job offered again later, and the worker pauses, doubling the pause up
to ``max_pause`` while the store or the queue stay away.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from openamr.headend.collector import Collector, Outcome
from openamr.headend.model import JobRow, MeterRecord
from openamr.headend.queue.base import (
    Delivery,
    JobMessage,
    WorkQueue,
    cell_slots,
    meter_lease,
    retry_delay,
)
from openamr.headend.scheduler import DAILY_PREFIX, Job, Scheduler
from openamr.headend.store import Store, StoreError

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True, slots=True)
class WorkerPolicy:
    max_sessions: int = 64  # sessions at once in this worker
    per_cell: int = 8  # sessions at once in one cell, over all workers
    retry_base: float = 60.0
    retry_max: float = 1800.0
    max_pause: float = 5.0  # s between tries while the store or the queue is away
    meters_ttl: float = 60.0  # s the worker keeps an inventory row before re-reading it


@dataclass(slots=True)
class WorkerStats:
    done: int = 0
    failed: int = 0
    retried: int = 0
    busy: int = 0
    set_aside: int = 0
    store_errors: int = 0
    queue_errors: int = 0


class Worker:
    def __init__(
        self, store: Store, queue: WorkQueue, collector: Collector,
        policy: WorkerPolicy | None = None, now: Callable[[], dt.datetime] | None = None,
        name: str | None = None, rng: random.Random | None = None,
    ) -> None:  # fmt: skip
        self.store, self.queue, self.collector = store, queue, collector
        self.policy = policy or WorkerPolicy()
        self.now = now or collector.now
        self.name = name or worker_name()
        self.rng = rng or random.Random()
        self.stats = WorkerStats()
        self._meters: dict[str, tuple[MeterRecord, float]] = {}
        self._pause = 0.0
        #: cells found full, until when (monotonic): their jobs go back at once,
        #: without asking the store or the queue's buckets again
        self._full: dict[int | None, float] = {}

    def _ts(self) -> float:
        return self.now().timestamp()

    async def run(self, stop: asyncio.Event, until_idle: float | None = None) -> None:
        """Take and run jobs until ``stop`` is set (or, ``until_idle``, once no job
        came for that many seconds and none runs)."""
        tasks: set[asyncio.Task[None]] = set()
        idle_since = time.monotonic()
        try:
            while not stop.is_set():
                if self._pause:
                    await _sleep_or(stop, self._pause)
                free = self.policy.max_sessions - len(tasks)
                if free <= 0:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    deliveries = await self.queue.take_jobs(free, 0.5 if tasks else 1.0)
                except Exception as e:  # the queue is away: back off, it reconnects
                    self.stats.queue_errors += 1
                    self._backoff(f"queue: {e or type(e).__name__}")
                    continue
                self._pause = 0.0 if deliveries else self._pause
                for d in deliveries:
                    task = asyncio.create_task(self._handle(d))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if deliveries or tasks:
                    idle_since = time.monotonic()
                elif until_idle is not None and time.monotonic() - idle_since >= until_idle:
                    return
        finally:
            if tasks:
                await asyncio.wait(tasks, timeout=30)
            for task in tasks:
                task.cancel()

    def _busy_delay(self, d: Delivery) -> float:
        """Longer for a job offered often already (up to 8 x ``busy_delay``), jittered."""
        base = self.queue.settings.busy_delay * min(8, max(1, d.delivered))
        return base * (0.5 + self.rng.random())

    def _backoff(self, why: str) -> None:
        self._pause = min(self.policy.max_pause, max(0.1, self._pause * 2))
        log.warning("worker %s: %s; pausing %.1f s", self.name, why, self._pause)

    async def _meter(self, serial: str) -> MeterRecord | None:
        cached = self._meters.get(serial)
        if cached is not None and time.monotonic() - cached[1] < self.policy.meters_ttl:
            return cached[0]
        try:
            meter = await self.store.meter(serial)
        except StoreError:
            return None
        self._meters[serial] = (meter, time.monotonic())
        return meter

    async def _record(self, job: JobMessage, meter: MeterRecord, state: str, tries: int,
                      reason: str) -> None:  # fmt: skip
        assert meter.id is not None
        row = JobRow(job.correlation_id, meter.id, job.kind, job.priority, state, int(job.due),
                     int(job.deadline), tries, reason, int(self._ts()))  # fmt: skip
        await self.store.put_jobs([row])

    async def _handle(self, d: Delivery) -> None:
        try:
            await self._handle_job(d)
        except Exception as e:  # the store or the queue failed under us: offered again later
            self.stats.store_errors += 1
            self._backoff(f"{type(e).__name__}: {e}")
            with contextlib.suppress(Exception):
                await d.nak(self._pause)

    async def _handle_job(self, d: Delivery) -> None:
        q = self.queue
        try:
            job = JobMessage.decode(d.data)
        except ValueError as e:
            self.stats.set_aside += 1
            await q.set_aside(d, str(e), 0)
            return
        cid = job.correlation_id
        if self._full.get(job.cell, 0.0) > time.monotonic():
            self.stats.busy += 1
            await d.nak(self._busy_delay(d))
            return
        # a first delivery has not been run by anyone: no end recorded, no try counted
        # (what the queue keeps once a session starts); only a redelivery asks
        first = d.delivered <= 1
        row = None if first else await self.store.job(cid)
        if row is not None and row.state in ("done", "failed"):  # redelivered after its end
            await d.ack()
            return
        meter = await self._meter(job.serial)
        if meter is None or meter.state != "active":
            self.stats.set_aside += 1
            await q.set_aside(d, f"no active meter {job.serial} in the inventory", 0)
            return
        tries, last_reason = (0, "") if first else await q.tries(cid)
        if tries >= q.settings.max_tries:
            reason = f"{tries} tries without success; the last: {last_reason or 'unknown'}"
            await self._give_up(d, job, meter, reason, tries)
            return
        if self._ts() > job.deadline:
            self.stats.failed += 1
            await self._record(job, meter, "failed", tries, last_reason or "deadline passed")
            await d.term()
            return
        outcome, tries = await self._session(d, job, meter)
        if outcome is None:  # busy: offered again soon, no try counted
            self.stats.busy += 1
            await d.nak(self._busy_delay(d))
            return
        await self._answer(d, job, meter, outcome, tries)

    async def _session(
        self, d: Delivery, job: JobMessage, meter: MeterRecord
    ) -> tuple[Outcome | None, int]:
        """The session under the meter's lease and a cell permit; (None, 0) when busy."""
        q = self.queue
        held = [meter_lease(meter.serial)]
        if not await q.lease(held[0], self.name):
            return None, 0
        try:
            slots = cell_slots(meter.cell, self.policy.per_cell)
            start = self.rng.randrange(len(slots))  # not all from slot 0: fewer refusals
            for slot in slots[start:] + slots[:start]:
                if await q.lease(slot, self.name):
                    held.append(slot)
                    break
            else:
                return None, 0
            unanswered = f"a session by {self.name} ended without an answer"
            tries = await q.add_try(job.correlation_id, unanswered)
            if job.priority == 0:  # on demand: someone may be watching its state
                try:  # the jobs table informs; a failure to write it does not stop the session
                    await self._record(job, meter, "running", tries, "")
                except Exception as e:
                    log.warning("job %s: its state not recorded: %s", job.correlation_id, e)
            keep = asyncio.create_task(self._keepalive(d, held))
            try:
                outcome = await self.collector.collect(meter, force_clock=job.force_clock)
            except Exception as e:  # the store failed under the collector
                outcome = Outcome(False, f"head-end: {type(e).__name__}: {e}", transient=True)
            finally:
                keep.cancel()
            return outcome, tries
        finally:
            for key in held:
                with contextlib.suppress(Exception):
                    await q.release(key, self.name)

    async def _keepalive(self, d: Delivery, held: list[str]) -> None:
        s = self.queue.settings
        every = min(s.ack_wait, s.lease_s) / 3
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await d.in_progress()
                for key in held:
                    await self.queue.renew(key, self.name)

    async def _answer(
        self, d: Delivery, job: JobMessage, meter: MeterRecord, outcome: Outcome, tries: int
    ) -> None:
        q, p, cid = self.queue, self.policy, job.correlation_id
        if outcome.ok:
            self.stats.done += 1
            await self._record(job, meter, "done", tries, "")
            await d.ack()
            return
        ours = outcome.reason.startswith("head-end:")  # the store failed, not the meter
        await q.note_reason(cid, outcome.reason, uncount=ours)
        if ours:
            self.stats.store_errors += 1
            self._backoff(outcome.reason)
            await d.nak(self._pause)
            return
        delay = retry_delay(p.retry_base, p.retry_max, tries, self.rng.random())
        fits = self._ts() + delay <= job.deadline
        if outcome.transient and tries < q.settings.max_tries and fits:
            self.stats.retried += 1
            await self._record(job, meter, "queued", tries, outcome.reason)
            await d.nak(delay)
            return
        if outcome.transient and tries >= q.settings.max_tries:
            reason = f"{tries} tries without success; the last: {outcome.reason}"
            await self._give_up(d, job, meter, reason, tries)
            return
        self.stats.failed += 1
        await self._record(job, meter, "failed", tries, outcome.reason)
        await d.term()

    async def _give_up(
        self, d: Delivery, job: JobMessage, meter: MeterRecord, reason: str, tries: int
    ) -> None:
        """Move a job aside first (never retried again), then record it."""
        self.stats.set_aside += 1
        await self.queue.set_aside(d, reason, tries)
        try:
            await self._record(job, meter, "failed", tries, reason)
        except Exception as e:
            log.warning("job %s set aside (%s); its state not recorded: %s",
                        job.correlation_id, reason, e)  # fmt: skip


async def _sleep_or(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class Dispatcher:
    """Plans the days (``daily``) and publishes each job when it falls due."""

    def __init__(
        self, store: Store, queue: WorkQueue, scheduler: Scheduler,
        now: Callable[[], dt.datetime],
    ) -> None:  # fmt: skip
        self.store, self.queue, self.scheduler, self.now = store, queue, scheduler, now
        self.meters: dict[str, MeterRecord] = {}
        self.outcomes: dict[str, Outcome] = {}  # results are in the jobs table
        self.wake = asyncio.Event()
        self.published = 0
        self._planned: dt.date | None = None
        self._unpublished: list[Job] = []

    def _message(self, job: Job) -> JobMessage:
        return JobMessage(job.correlation_id, job.serial, job.cell, int(job.priority), job.due,
                          job.deadline, job.kind, job.force_clock)  # fmt: skip

    async def submit(self, serial: str, correlation_id: str, force_clock: bool = False) -> Job:
        """On-demand collection of one meter, published at once."""
        meter = self.meters.get(serial) or await self.store.meter(serial)
        self.meters[serial] = meter
        job = self.scheduler.on_demand(serial, meter.cell, self.now().timestamp(),
                                       correlation_id, force_clock=force_clock)  # fmt: skip
        self.wake.set()
        return job

    async def plan(self) -> None:
        today = self.now().astimezone(dt.UTC).date()
        if self._planned == today:
            return
        meters = await self.store.meters()
        self.meters = {m.serial: m for m in meters}
        done = await self.store.jobs_done(f"{DAILY_PREFIX}{today.isoformat()}-")
        self.scheduler.plan_day([(m.serial, m.cell) for m in meters if m.id not in done], today)
        self._planned = today

    async def publish_due(self) -> int:
        """Publish what fell due (and what a failed publish left); how many went."""
        self._unpublished += self.scheduler.release_due(self.now().timestamp())
        if not self._unpublished:
            return 0
        due = self._unpublished
        await self.queue.publish_jobs([self._message(j) for j in due])  # kept if it fails
        self._unpublished = []
        now = int(self.now().timestamp())
        rows = [JobRow(j.correlation_id, self.meters[j.serial].id or 0, j.kind, int(j.priority),
                       "queued", int(j.due), int(j.deadline), 0, "", now)
                for j in due if j.serial in self.meters]  # fmt: skip
        self.published += len(due)
        with contextlib.suppress(Exception):  # the jobs table is informative; the queue has them
            await self.store.put_jobs(rows)
        return len(due)

    async def run(self, stop: asyncio.Event, daily: bool = True) -> None:
        pause = 0.0
        while not stop.is_set():
            try:
                if daily:
                    await self.plan()
                await self.publish_due()
                pause = 0.0
            except Exception as e:  # the store or the queue is away: try again
                pause = min(5.0, max(0.1, pause * 2))
                log.warning("dispatcher: %s: %s; again in %.1f s", type(e).__name__, e, pause)
                await _sleep_or(stop, pause)
                continue
            if not daily and self.scheduler.pending == 0 and not self._unpublished:
                return
            due = self.scheduler.next_due()
            wait = 60.0 if due is None else min(60.0, max(0.0, due - self.now().timestamp()))
            self.wake.clear()
            waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
