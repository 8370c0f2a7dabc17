"""When to talk to which meter: the head-end's scheduler, sans-IO (it is given the
time and a random generator; it never reads a clock or sleeps).

- Daily collection: every active meter gets one job in the day's window, at a start
  drawn uniformly in ``[window_start, window_start + spread)`` so that a fleet does
  not call at once; its deadline is the window's end.
- On demand: a job due now, ahead of every scheduled job that is due (priority 0
  before 1), with its own deadline.
- Concurrency: at most ``max_sessions`` at once, at most ``per_cell`` in one GSM cell
  (a cell over its capacity refuses connections: the head-end must not hammer it), and
  one session per meter (an on-demand job waits for the scheduled one under way).
- Failures: a transient one (no answer, connection refused, cell busy) is retried after
  ``retry_base * 2**(attempt-1)`` seconds (at most ``retry_max``, times a random factor
  in [0.5, 1) against synchronised retries) while that is before the deadline; a
  permanent one (refused association, wrong keys) is not retried. Every failure's
  reason is kept on the job.
"""

from __future__ import annotations

import datetime as dt
import enum
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

DAY = 86400.0
#: a daily job's correlation id: ``collect-YYYY-MM-DD-SERIAL``
DAILY_PREFIX = "collect-"


class Priority(enum.IntEnum):
    ON_DEMAND = 0
    SCHEDULED = 1


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Policy:
    window_start: float = 3600.0  # seconds after midnight UTC
    window_length: float = 4 * 3600.0
    spread: float = 3600.0  # starts are drawn in [window_start, window_start + spread)
    retry_base: float = 60.0
    retry_max: float = 1800.0
    max_sessions: int = 64
    per_cell: int = 8
    on_demand_deadline: float = 900.0

    def __post_init__(self) -> None:
        if not 0 <= self.spread <= self.window_length:
            raise ValueError("spread must be between 0 and the window's length")
        if self.max_sessions < 1 or self.per_cell < 1:
            raise ValueError("max_sessions and per_cell must be at least 1")


@dataclass(slots=True, eq=False)
class Job:
    id: int
    serial: str
    cell: int | None
    priority: Priority
    due: float
    deadline: float
    correlation_id: str
    kind: str = "collect"
    state: JobState = JobState.QUEUED
    attempts: int = 0
    failures: list[tuple[float, str]] = field(default_factory=list)
    force_clock: bool = False


class Scheduler:
    """The queue of jobs with its limits; ``take(now)`` hands out what may start."""

    def __init__(self, policy: Policy, rng: random.Random) -> None:
        self.policy, self.rng = policy, rng
        self._ids = itertools.count(1)
        self._waiting: list[tuple[float, int, Job]] = []  # not yet due, by due time
        self._ready: dict[int | None, list[tuple[int, float, int, Job]]] = {}
        self._running: dict[int, Job] = {}
        self._per_cell: Counter[int | None] = Counter()
        self._busy: set[str] = set()  # meters in a session now
        self._queued_serials: set[tuple[str, Priority]] = set()
        self.finished: list[Job] = []

    # -- adding work -------------------------------------------------------------------

    def _add(self, job: Job) -> Job:
        heapq.heappush(self._waiting, (job.due, job.id, job))
        if job.kind == "collect":  # a meter's daily collection is planned once
            self._queued_serials.add((job.serial, job.priority))
        return job

    def plan_day(self, meters: Iterable[tuple[str, int | None]], day: dt.date) -> list[Job]:
        """One collection job per meter in ``day``'s window (a meter that already has
        a scheduled job waiting is skipped)."""
        p = self.policy
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
        start, end = midnight + p.window_start, midnight + p.window_start + p.window_length
        jobs = []
        for serial, cell in meters:
            if (serial, Priority.SCHEDULED) in self._queued_serials:
                continue
            due = start + self.rng.random() * p.spread
            jid = next(self._ids)
            jobs.append(self._add(Job(jid, serial, cell, Priority.SCHEDULED, due, end,
                                      f"{DAILY_PREFIX}{day.isoformat()}-{serial}")))  # fmt: skip
        return jobs

    def on_demand(
        self, serial: str, cell: int | None, now: float, correlation_id: str,
        kind: str = "collect", force_clock: bool = False,
    ) -> Job:  # fmt: skip
        """A job due now, ahead of the scheduled ones."""
        jid = next(self._ids)
        deadline = now + self.policy.on_demand_deadline
        job = Job(jid, serial, cell, Priority.ON_DEMAND, now, deadline, correlation_id, kind,
                  force_clock=force_clock)  # fmt: skip
        return self._add(job)

    def scheduled(
        self, serial: str, cell: int | None, due: float, deadline: float, correlation_id: str,
        kind: str,
    ) -> Job:  # fmt: skip
        """Scheduled work of another kind (a firmware campaign's transfer or
        activation) due at ``due``, retried like a collection until ``deadline``."""
        jid = next(self._ids)
        job = Job(jid, serial, cell, Priority.SCHEDULED, due, deadline, correlation_id, kind)
        return self._add(job)

    # -- handing out work -----------------------------------------------------------------

    def take(self, now: float) -> list[Job]:
        """The jobs that may start now, best first, within the limits."""
        while self._waiting and self._waiting[0][0] <= now:
            _, _, job = heapq.heappop(self._waiting)
            ready = self._ready.setdefault(job.cell, [])
            heapq.heappush(ready, (job.priority, job.due, job.id, job))
        out: list[Job] = []
        blocked: list[tuple[int, float, int, Job]] = []  # their meter is in a session
        p = self.policy
        while len(self._running) < p.max_sessions:
            best: tuple[int, float, int, Job] | None = None
            for cell, ready in self._ready.items():
                if (
                    ready
                    and self._per_cell[cell] < p.per_cell
                    and (best is None or ready[0] < best)
                ):
                    best = ready[0]
            if best is None:
                break
            job = best[3]
            heapq.heappop(self._ready[job.cell])
            if job.serial in self._busy:
                blocked.append(best)
                continue
            if job.kind == "collect":
                self._queued_serials.discard((job.serial, job.priority))
            job.state, job.attempts = JobState.RUNNING, job.attempts + 1
            self._running[job.id] = job
            self._per_cell[job.cell] += 1
            self._busy.add(job.serial)
            out.append(job)
        for item in blocked:
            heapq.heappush(self._ready[item[3].cell], item)
        return out

    def release_due(self, now: float) -> list[Job]:
        """Hand every job due by ``now`` over, in due order, to a queue whose
        collectors apply the limits (:class:`openamr.headend.worker.Dispatcher`);
        the scheduler forgets them."""
        out = []
        while self._waiting and self._waiting[0][0] <= now:
            _, _, job = heapq.heappop(self._waiting)
            self._queued_serials.discard((job.serial, job.priority))
            out.append(job)
        return out

    def _release(self, job: Job) -> None:
        del self._running[job.id]
        self._per_cell[job.cell] -= 1
        self._busy.discard(job.serial)

    def succeeded(self, job: Job, now: float) -> None:
        self._release(job)
        job.state = JobState.DONE
        self.finished.append(job)

    def failed(self, job: Job, now: float, reason: str, transient: bool) -> JobState:
        """Record the failure; requeue a transient one if a retry fits the deadline."""
        self._release(job)
        job.failures.append((now, reason))
        p = self.policy
        delay = min(p.retry_max, p.retry_base * 2 ** (job.attempts - 1))
        delay *= 0.5 + self.rng.random() / 2
        if transient and now + delay <= job.deadline:
            job.state, job.due = JobState.QUEUED, now + delay
            self._add(job)
        else:
            job.state = JobState.FAILED
            self.finished.append(job)
        return job.state

    # -- looking ---------------------------------------------------------------------------

    @property
    def running(self) -> int:
        return len(self._running)

    def running_in(self, cell: int | None) -> int:
        return self._per_cell[cell]

    @property
    def pending(self) -> int:
        return len(self._waiting) + sum(len(r) for r in self._ready.values())

    def pending_by_cell(self) -> dict[int | None, int]:
        """Jobs waiting (not yet due, or due and waiting for a slot) per cell."""
        out: Counter[int | None] = Counter()
        for _, _, job in self._waiting:
            out[job.cell] += 1
        for cell, ready in self._ready.items():
            out[cell] += len(ready)
        return dict(out)

    def next_due(self) -> float | None:
        """When a waiting job falls due (None: nothing waits; ready jobs wait for a slot)."""
        return self._waiting[0][0] if self._waiting else None

    def idle(self) -> bool:
        return not self._running and self.pending == 0
