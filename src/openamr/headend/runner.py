"""The asyncio driver of the sans-IO :class:`~openamr.headend.scheduler.Scheduler`:
it starts the sessions the scheduler hands out, as tasks of one event loop, reports
how each ended, records every job's state in the store, and sleeps until the next job
falls due, a session ends or on-demand work arrives.

Work other than a collection (on-demand operations and commands, a firmware
campaign's transfers) goes through the same scheduler and limits: a ``workers``
entry per job kind runs it and says how it ended (an :class:`Outcome`).

``daily=True`` (``openamr headend serve``) plans each day's collection of the active
meters when the day begins (today's at start, the part of its window still ahead).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from openamr.headend.collector import Collector, Outcome
from openamr.headend.model import JobRow, MeterRecord
from openamr.headend.scheduler import DAILY_PREFIX, Job, JobState, Scheduler
from openamr.headend.store import Store

#: runs one job of a kind other than "collect" with the meter; how it ended
Worker = Callable[[MeterRecord, Job], Awaitable[Outcome]]


class Runner:
    def __init__(
        self, store: Store, collector: Collector, scheduler: Scheduler,
        meters: list[MeterRecord], now: Callable[[], dt.datetime],
        workers: dict[str, Worker] | None = None,
    ) -> None:  # fmt: skip
        self.store, self.collector, self.scheduler, self.now = store, collector, scheduler, now
        self.workers: dict[str, Worker] = dict(workers or {})
        self.meters = {m.serial: m for m in meters}
        self.outcomes: dict[str, Outcome] = {}  # by correlation id, the last attempt
        self.wake = asyncio.Event()
        self._planned: dt.date | None = None
        self._dirty: dict[str, JobRow] = {}
        self._writing: asyncio.Task[None] | None = None  # the jobs' states being written
        self._ended: list[asyncio.Future[Outcome]] = []  # sessions ended, not yet reported

    def _ts(self) -> float:
        return self.now().timestamp()

    async def submit(self, serial: str, correlation_id: str, force_clock: bool = False) -> Job:
        """On-demand collection of one meter, ahead of the scheduled work."""
        meter = self.meters[serial]
        job = self.scheduler.on_demand(serial, meter.cell, self._ts(), correlation_id,
                                       force_clock=force_clock)  # fmt: skip
        self._record(job)
        self.wake.set()
        return job

    async def on_demand(self, meter: MeterRecord, kind: str, correlation_id: str) -> Job:
        """On-demand work of ``kind`` (a worker's), ahead of the scheduled work."""
        self.meters.setdefault(meter.serial, meter)
        job = self.scheduler.on_demand(meter.serial, meter.cell, self._ts(), correlation_id, kind)
        self._record(job)
        self.wake.set()
        return job

    async def schedule(
        self, meter: MeterRecord, kind: str, correlation_id: str, due: float, deadline: float
    ) -> Job:
        """Scheduled work of ``kind`` (a worker's) due at ``due``, until ``deadline``."""
        self.meters.setdefault(meter.serial, meter)
        job = self.scheduler.scheduled(meter.serial, meter.cell, due, deadline, correlation_id,
                                       kind)  # fmt: skip
        self._record(job)
        self.wake.set()
        return job

    def dispatch(self, job: Job) -> Awaitable[Outcome]:
        """The work of a job the scheduler handed out (its worker, or a collection)."""
        meter = self.meters[job.serial]
        worker = self.workers.get(job.kind)
        if worker is not None:
            return worker(meter, job)
        return self.collector.collect(meter, force_clock=job.force_clock)

    def report(self, job: Job, outcome: Outcome) -> None:
        """How a job's attempt ended: done, retried later, or failed."""
        now = self._ts()
        self.outcomes[job.correlation_id] = outcome
        if outcome.ok:
            self.scheduler.succeeded(job, now)
        else:
            self.scheduler.failed(job, now, outcome.reason, outcome.transient)
        self._record(job)

    def _record(self, job: Job) -> None:
        """Note a job's state; written with the others at :meth:`flush`."""
        meter = self.meters[job.serial]
        assert meter.id is not None
        reason = job.failures[-1][1] if job.failures else ""
        self._dirty[job.correlation_id] = (JobRow(
            job.correlation_id, meter.id, job.kind, int(job.priority), str(job.state),
            int(job.due), int(job.deadline), job.attempts, reason, int(self._ts()),
        ))  # fmt: skip

    async def flush(self) -> None:
        """Write every job state noted so far (after the write under way, if any)."""
        if self._writing is not None:
            writing, self._writing = self._writing, None
            await writing  # its error, if it failed
        await self._write()

    def _flush_soon(self) -> None:
        """Write the states noted in the background, unless a write is under way (the
        next call, or :meth:`flush`, takes what was noted meanwhile): the loop does not
        wait for the store to start the next sessions. A failed write fails the run
        here, as an awaited one would."""
        if self._writing is not None:
            if not self._writing.done():
                return
            writing, self._writing = self._writing, None
            writing.result()
        if self._dirty:
            self._writing = asyncio.ensure_future(self._write())

    async def _write(self) -> None:
        rows, self._dirty = self._dirty, {}
        try:
            await self.store.put_jobs(list(rows.values()))
        except BaseException:
            self._dirty = rows | self._dirty  # kept for the next write (newer states win)
            raise

    async def _plan(self) -> None:
        """Plan the day once; meters whose job of the day is done already (a head-end
        restarted that day) are not collected again."""
        today = self.now().astimezone(dt.UTC).date()
        if self._planned != today:
            self._planned = today
            done = await self.store.jobs_done(f"{DAILY_PREFIX}{today.isoformat()}-")
            active = [(m.serial, m.cell) for m in self.meters.values()
                      if m.state == "active" and m.id not in done]  # fmt: skip
            self.scheduler.plan_day(active, today)

    async def run(self, *, daily: bool = False, stop: asyncio.Event | None = None) -> None:
        """Run until nothing is left to do (or, ``daily``, until ``stop`` is set)."""
        tasks: dict[asyncio.Future[Outcome], Job] = {}
        try:
            while not (stop is not None and stop.is_set()):
                if daily:
                    await self._plan()
                for job in self.scheduler.take(self._ts()):
                    task = asyncio.ensure_future(self.dispatch(job))
                    task.add_done_callback(self._end)
                    tasks[task] = job
                    self._record(job)
                self._flush_soon()
                if not tasks and self.scheduler.pending == 0 and not daily:
                    return
                await self._wait(tasks, stop)
        finally:
            for future in tasks:
                future.cancel()
            await self.flush()

    async def _wait(
        self, tasks: dict[asyncio.Future[Outcome], Job], stop: asyncio.Event | None
    ) -> None:
        """Until a session ends, work arrives, ``stop`` is set or the next job is due;
        then report the sessions that ended (each session's task says so itself: no
        waiting on every running task at each turn)."""
        if not self._ended:
            due = self.scheduler.next_due()
            timeout = 60.0 if due is None else min(60.0, max(0.0, due - self._ts()))
            self.wake.clear()
            extras: list[asyncio.Future[Any]] = [asyncio.ensure_future(self.wake.wait())]
            if stop is not None:
                extras.append(asyncio.ensure_future(stop.wait()))
            await asyncio.wait(extras, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for extra in extras:
                extra.cancel()
        ended, self._ended = self._ended, []
        for task in ended:
            job = tasks.pop(task, None)
            if job is not None:
                await self._finished(job, task)

    def _end(self, task: asyncio.Future[Outcome]) -> None:
        self._ended.append(task)
        self.wake.set()

    async def _finished(self, job: Job, task: asyncio.Future[Outcome]) -> None:
        try:
            outcome = task.result()
        except Exception as e:  # the store failed under the collector: not the meter's fault
            outcome = Outcome(False, f"head-end: {e}", transient=True)
        self.report(job, outcome)

    def finished(self) -> list[Job]:
        return [j for j in self.scheduler.finished if j.state in (JobState.DONE, JobState.FAILED)]
