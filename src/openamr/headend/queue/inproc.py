"""The in-process :class:`~openamr.headend.queue.base.WorkQueue`: the same semantics
as JetStream (ack, nak with delay, redelivery after ``ack_wait``, leases that expire,
dead letters), in memory, for one process; nothing to install. ``now`` is the clock
(monotonic seconds), given so that tests can step it."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from openamr.headend.queue.base import (
    DeadLetter,
    Delivery,
    JobMessage,
    PushMessage,
    QueueSettings,
)


@dataclass(eq=False)
class _Message:
    data: bytes
    priority: int
    delivered: int = 0
    answered: bool = False


@dataclass(eq=False)
class _Delivery:
    queue: _Lane
    message: _Message
    data: bytes = b""
    delivered: int = 0
    _answered: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.data, self.delivered = self.message.data, self.message.delivered

    def _answer(self) -> bool:
        if self._answered or self.message.delivered != self.delivered:
            return False  # answered already, or redelivered since: this copy is stale
        self._answered = True
        self.message.answered = True
        self.queue.in_flight.pop(id(self.message), None)
        return True

    async def ack(self) -> None:
        self._answer()

    async def term(self) -> None:
        self._answer()

    async def nak(self, delay: float) -> None:
        if self._answer():
            self.message.answered = False
            self.queue.put(self.message, self.queue.now() + delay)

    async def in_progress(self) -> None:
        if not self._answered and id(self.message) in self.queue.in_flight:
            self.queue.in_flight[id(self.message)] = (
                self.message,
                self.queue.now() + self.queue.ack_wait,
            )


class _Lane:
    """One stream: messages by (priority, ready time, order); in flight until answered."""

    def __init__(self, now: Callable[[], float], ack_wait: float) -> None:
        self.now, self.ack_wait = now, ack_wait
        self._heap: list[tuple[int, float, int, _Message]] = []
        self._order = itertools.count()
        self.in_flight: dict[int, tuple[_Message, float]] = {}
        self.arrived = asyncio.Event()

    def put(self, message: _Message, ready: float) -> None:
        heapq.heappush(self._heap, (message.priority, ready, next(self._order), message))
        self.arrived.set()

    def _redeliver_expired(self, now: float) -> None:
        for key, (message, until) in list(self.in_flight.items()):
            if until <= now:  # its consumer went quiet: offer it again
                del self.in_flight[key]
                self.put(message, now)

    def take(self, limit: int) -> list[Delivery]:
        now = self.now()
        self._redeliver_expired(now)
        out: list[Delivery] = []
        later = []
        while self._heap and len(out) < limit:
            item = heapq.heappop(self._heap)
            if item[1] > now:
                later.append(item)
                continue
            message = item[3]
            message.delivered += 1
            self.in_flight[id(message)] = (message, now + self.ack_wait)
            out.append(_Delivery(self, message))
        for item in later:
            heapq.heappush(self._heap, item)
        return out

    def next_ready(self) -> float | None:
        times = [t for _, (_, t) in self.in_flight.items()] + [i[1] for i in self._heap]
        return min(times) if times else None

    async def wait_take(self, limit: int, timeout: float) -> list[Delivery]:
        deadline = self.now() + timeout
        while True:
            out = self.take(limit)
            if out:
                return out
            left = deadline - self.now()
            if left <= 0:
                return []
            ready = self.next_ready()
            wait = left if ready is None else max(0.0, min(left, ready - self.now()))
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), max(wait, 0.001))


class InProcessQueue:
    """Everything in this process's memory (lost when it stops)."""

    def __init__(
        self, settings: QueueSettings | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or QueueSettings()
        self.now = now
        self._jobs = _Lane(now, self.settings.ack_wait)
        self._pushes = _Lane(now, self.settings.ack_wait)
        self._dead: list[DeadLetter] = []
        self._leases: dict[str, tuple[str, float]] = {}
        self._tries: dict[str, tuple[int, str]] = {}

    async def publish_jobs(self, jobs: Sequence[JobMessage]) -> None:
        for job in jobs:
            self._jobs.put(_Message(job.encode(), job.priority), self.now())

    async def take_jobs(self, limit: int, timeout: float) -> list[Delivery]:
        return await self._jobs.wait_take(limit, timeout)

    async def publish_push(self, push: PushMessage) -> None:
        self._pushes.put(_Message(push.encode(), 0), self.now())

    async def take_pushes(self, limit: int, timeout: float) -> list[Delivery]:
        return await self._pushes.wait_take(limit, timeout)

    async def set_aside(self, delivery: Delivery, reason: str, tries: int) -> None:
        self._dead.append(DeadLetter(delivery.data, reason, tries))
        await delivery.term()

    async def dead_letters(self) -> list[DeadLetter]:
        return list(self._dead)

    def _held(self, key: str) -> str | None:
        held = self._leases.get(key)
        if held is None or held[1] <= self.now():
            return None
        return held[0]

    async def lease(self, key: str, holder: str) -> bool:
        if self._held(key) is not None:
            return False
        self._leases[key] = (holder, self.now() + self.settings.lease_s)
        return True

    async def renew(self, key: str, holder: str) -> bool:
        if self._held(key) != holder:
            return False
        self._leases[key] = (holder, self.now() + self.settings.lease_s)
        return True

    async def release(self, key: str, holder: str) -> None:
        if self._held(key) == holder:
            del self._leases[key]

    async def add_try(self, job_id: str, reason: str) -> int:
        count = self._tries.get(job_id, (0, ""))[0] + 1
        self._tries[job_id] = (count, reason)
        return count

    async def note_reason(self, job_id: str, reason: str, uncount: bool = False) -> None:
        count = self._tries.get(job_id, (0, ""))[0]
        self._tries[job_id] = (max(0, count - 1) if uncount else count, reason)

    async def tries(self, job_id: str) -> tuple[int, str]:
        return self._tries.get(job_id, (0, ""))

    async def close(self) -> None:
        pass
