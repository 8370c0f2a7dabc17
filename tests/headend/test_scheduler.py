"""The scheduler on a stepped clock: a day of collection of an in-memory fleet, in
simulated time (each session takes a few simulated seconds), in well under a second."""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections import Counter

import pytest

from openamr.headend.scheduler import Job, JobState, Policy, Priority, Scheduler

DAY = dt.date(2026, 3, 1)
MIDNIGHT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp()


class Fleet:
    """In-memory meters: each cell refuses a session over its capacity; some meters
    fail transiently a number of times, some always, some permanently."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.open: Counter[int | None] = Counter()
        self.flaky: dict[str, int] = {}
        self.dead: set[str] = set()
        self.refused_keys: set[str] = set()
        self.refusals = 0
        self.collected: list[tuple[float, str]] = []

    def start(self, job: Job) -> None:
        self.open[job.cell] += 1
        if self.open[job.cell] > self.capacity:
            self.refusals += 1

    def finish(self, job: Job, now: float) -> tuple[bool, str, bool]:
        self.open[job.cell] -= 1
        if job.serial in self.refused_keys:
            return False, "association refused: authentication failed", False
        if job.serial in self.dead:
            return False, "no answer (timed out)", True
        if self.flaky.get(job.serial, 0) > 0:
            self.flaky[job.serial] -= 1
            return False, "connection refused", True
        self.collected.append((now, job.serial))
        return True, "", False


def run(sched: Scheduler, fleet: Fleet, start: float, until: float, duration: float = 3.0,
        extra: dict[float, tuple[str, int]] | None = None) -> float:  # fmt: skip
    """Drive the scheduler on a stepped clock: events are job starts and ends."""
    now, ends, seq = start, [], 0
    extra = dict(extra or {})
    while now <= until:
        for at in [t for t in extra if t <= now]:
            serial, cell = extra.pop(at)
            sched.on_demand(serial, cell, now, f"req-{serial}")
        for job in sched.take(now):
            fleet.start(job)
            seq += 1
            heapq.heappush(ends, (now + duration, seq, job))
        if sched.idle() and not extra:
            return now
        steps = [
            t for t in (sched.next_due(), ends[0][0] if ends else None, *extra) if t is not None
        ]
        now = max(now, min(steps))
        while ends and ends[0][0] <= now:
            _, _, job = heapq.heappop(ends)
            ok, reason, transient = fleet.finish(job, now)
            if ok:
                sched.succeeded(job, now)
            else:
                sched.failed(job, now, reason, transient)
    return now


def fleet_of(n: int, cells: int) -> list[tuple[str, int]]:
    return [(f"{10000000 + i}", i % cells) for i in range(n)]


def test_a_day_of_collection() -> None:
    policy = Policy(max_sessions=20, per_cell=4, retry_base=60, retry_max=600)
    sched = Scheduler(policy, random.Random(1))
    fleet = Fleet(capacity=4)
    meters = fleet_of(2000, cells=10)
    fleet.flaky = {s: 2 for s, _ in meters[::10]}  # 10 % fail twice, then answer
    fleet.dead = {meters[1][0]}
    fleet.refused_keys = {meters[2][0]}
    jobs = sched.plan_day(meters, DAY)
    starts = sorted(j.due - MIDNIGHT for j in jobs)
    assert policy.window_start <= starts[0] and starts[-1] < policy.window_start + policy.spread
    assert starts[len(starts) // 2] == pytest.approx(
        policy.window_start + policy.spread / 2, rel=0.1
    )
    end = run(sched, fleet, MIDNIGHT, MIDNIGHT + 86400)
    assert fleet.refusals == 0  # no cell was ever asked for more than it takes
    collected = {s for _, s in fleet.collected}
    assert len(fleet.collected) == len(collected) == 1998  # each once
    by_serial = {j.serial: j for j in sched.finished}
    assert all(by_serial[s].attempts == 3 for s in fleet.flaky)
    permanent = by_serial[meters[2][0]]
    assert (permanent.state, permanent.attempts) == (JobState.FAILED, 1)
    assert permanent.failures[0][1] == "association refused: authentication failed"
    dead = by_serial[meters[1][0]]
    assert dead.state is JobState.FAILED and dead.attempts > 5
    assert all(reason == "no answer (timed out)" for _, reason in dead.failures)
    gaps = [b[0] - a[0] for a, b in zip(dead.failures, dead.failures[1:], strict=False)]
    assert gaps[1] > gaps[0] and max(gaps) <= policy.retry_max + policy.per_cell * 3 + 3
    assert dead.failures[-1][0] <= dead.deadline
    assert end <= MIDNIGHT + policy.window_start + policy.window_length


def test_on_demand_goes_first() -> None:
    sched = Scheduler(Policy(max_sessions=2, per_cell=2, spread=0), random.Random(2))
    sched.plan_day(fleet_of(10, cells=1), DAY)
    t = MIDNIGHT + 3600
    first = sched.take(t)
    assert [j.priority for j in first] == [Priority.SCHEDULED] * 2
    urgent = sched.on_demand("99999999", 0, t + 1, "req-1")
    assert sched.take(t + 1) == []  # no free slot yet
    sched.succeeded(first[0], t + 2)
    assert sched.take(t + 2) == [urgent]


def test_limits_per_cell_and_global() -> None:
    sched = Scheduler(Policy(max_sessions=5, per_cell=2, spread=0), random.Random(3))
    sched.plan_day(fleet_of(30, cells=3), DAY)
    taken = sched.take(MIDNIGHT + 3600)
    assert len(taken) == 5
    assert max(Counter(j.cell for j in taken).values()) == 2
    assert sched.take(MIDNIGHT + 3600) == []


def test_permanent_failure_and_deadline() -> None:
    sched = Scheduler(Policy(spread=0, retry_base=100, retry_max=100), random.Random(4))
    (job,) = sched.plan_day([("1", None)], DAY)
    (taken,) = sched.take(job.due)
    retry_at = job.deadline - 10
    assert sched.failed(taken, retry_at, "timed out", transient=True) is JobState.FAILED
    assert job.failures == [(retry_at, "timed out")]
    assert sched.idle()


def test_plan_day_skips_meters_already_waiting() -> None:
    sched = Scheduler(Policy(), random.Random(5))
    assert len(sched.plan_day(fleet_of(3, 1), DAY)) == 3
    assert sched.plan_day(fleet_of(4, 1), DAY)[0].serial == "10000003"


def test_one_session_per_meter() -> None:
    sched = Scheduler(Policy(max_sessions=5, per_cell=5, spread=0), random.Random(6))
    (scheduled,) = sched.plan_day([("1", 0)], DAY)
    t = MIDNIGHT + 3600
    assert sched.take(t) == [scheduled]
    urgent = sched.on_demand("1", 0, t, "req-1")
    other = sched.on_demand("2", 0, t, "req-2")
    assert sched.take(t) == [other]  # meter 1 is in a session: its job waits
    sched.succeeded(scheduled, t + 5)
    assert sched.take(t + 5) == [urgent]
