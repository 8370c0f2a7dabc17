"""The job queue and the push stream behind one interface, sans-IO parts.

Two implementations share :class:`WorkQueue`: :mod:`.inproc` (one process, nothing to
install) and :mod:`.jetstream` (NATS JetStream: collectors on any machine). What goes
through them is plain bytes, made and read here:

- a :class:`JobMessage`: one collection of one meter (its correlation id, serial,
  cell, priority, due time and deadline), JSON;
- a :class:`PushMessage`: one wrapper payload a push listener received (IEC 62056-47,
  Green Book 7.3.3), with the listener's connection id, the peer and the time.

Delivery is at least once: a consumer acknowledges (``ack``) what it finished, asks
for a later redelivery (``nak(delay)``) or drops a message for good (``term``); one
that was neither acknowledged nor refused within ``ack_wait`` (its worker died) is
delivered again. The head-end makes that exactly once where it matters: readings,
events and alarms are unique in the store (``INSERT ... ON CONFLICT DO NOTHING``).

Leases (a meter in a session, a slot of a cell's permits) are keys that exist for
``lease_s`` unless renewed: a worker that dies frees them by doing nothing. Tries are
counted per job id in a key (sessions started, whoever started them), so that a job
whose every try kills its worker is still moved aside after ``max_tries``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol


class QueueError(Exception):
    """The queue's URL is unusable or its server cannot be reached."""


@dataclass(frozen=True, slots=True)
class QueueSettings:
    ack_wait: float = 60.0  # s a delivery may go unanswered before it is redelivered
    lease_s: float = 60.0  # s a lease lives unless renewed (renewed every lease_s / 3)
    max_tries: int = 5  # sessions started for one job before it is moved aside
    busy_delay: float = 2.0  # s before a job of a full cell (or a busy meter) is offered again
    tries_ttl: float = 2 * 86400.0  # s a job's try count is kept

    def __post_init__(self) -> None:
        if self.ack_wait <= 0 or self.lease_s <= 0 or self.max_tries < 1:
            raise ValueError("ack_wait and lease_s must be positive, max_tries at least 1")


@dataclass(frozen=True, slots=True)
class JobMessage:
    """One job for any collector (``priority`` 0: on demand, 1: scheduled)."""

    correlation_id: str
    serial: str
    cell: int | None
    priority: int
    due: float
    deadline: float
    kind: str = "collect"
    force_clock: bool = False

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> JobMessage:
        """The job, or ValueError saying what is wrong with the message."""
        try:
            raw = json.loads(data)
            job = cls(**raw)
        except (ValueError, TypeError) as e:
            raise ValueError(f"not a job message: {e}") from None
        if not isinstance(job.serial, str) or not job.serial or job.priority not in (0, 1):
            raise ValueError("not a job message: serial or priority missing")
        return job


@dataclass(frozen=True, slots=True)
class PushMessage:
    """One wrapper payload as received by a push listener."""

    connection: str  # unique per TCP connection (the reader's state is per connection)
    peer: str
    received: int  # UTC seconds
    payload: bytes

    def encode(self) -> bytes:
        body = {"c": self.connection, "p": self.peer, "r": self.received,
                "d": base64.b64encode(self.payload).decode()}  # fmt: skip
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> PushMessage:
        try:
            raw = json.loads(data)
            return cls(str(raw["c"]), str(raw["p"]), int(raw["r"]), base64.b64decode(raw["d"]))
        except (ValueError, TypeError, KeyError) as e:
            raise ValueError(f"not a push message: {e}") from None


def retry_delay(base: float, maximum: float, tries: int, r: float) -> float:
    """Exponential backoff with jitter: ``base * 2**(tries-1)``, at most ``maximum``,
    times ``0.5 + r/2`` for ``r`` in [0, 1) (retries of a fleet do not synchronise)."""
    return min(maximum, base * 2.0 ** max(0, tries - 1)) * (0.5 + r / 2)


def subject_token(value: object) -> str:
    """A cell or serial as one token of a subject or key (``none`` for no cell)."""
    text = "none" if value is None else str(value)
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text) or "_"


def job_subject(prefix: str, job: JobMessage) -> str:
    """``PREFIX.jobs.PRIORITY.CELL``: a subject per cell and priority."""
    return f"{prefix}.jobs.{job.priority}.{subject_token(job.cell)}"


def cell_slots(cell: int | None, per_cell: int) -> list[str]:
    """The lease keys of a cell's permits, one per session it admits at once."""
    return [f"cell.{subject_token(cell)}.{i}" for i in range(per_cell)]


def meter_lease(serial: str) -> str:
    return f"meter.{subject_token(serial)}"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message moved aside, with why."""

    data: bytes
    reason: str
    tries: int


class Delivery(Protocol):
    """One delivered message; answer it once with ack, nak or term."""

    data: bytes
    delivered: int  # how often it was delivered, this time included

    async def ack(self) -> None: ...

    async def nak(self, delay: float) -> None: ...

    async def term(self) -> None: ...

    async def in_progress(self) -> None:
        """Still working on it: restart its ack wait."""


class WorkQueue(Protocol):
    """The job queue, the push stream, leases and try counts."""

    settings: QueueSettings

    async def publish_jobs(self, jobs: Sequence[JobMessage]) -> None: ...

    async def take_jobs(self, limit: int, timeout: float) -> list[Delivery]:
        """Up to ``limit`` jobs, on-demand ones first; [] after ``timeout`` s."""

    async def publish_push(self, push: PushMessage) -> None: ...

    async def take_pushes(self, limit: int, timeout: float) -> list[Delivery]: ...

    async def set_aside(self, delivery: Delivery, reason: str, tries: int) -> None:
        """Move a message to the dead letters with its reason, and drop it."""

    async def dead_letters(self) -> list[DeadLetter]: ...

    async def lease(self, key: str, holder: str) -> bool:
        """Take the lease ``key`` for ``holder``; False when someone holds it."""

    async def renew(self, key: str, holder: str) -> bool: ...

    async def release(self, key: str, holder: str) -> None: ...

    async def add_try(self, job_id: str, reason: str) -> int:
        """Count one more try of a job (and why the last ended); the new count."""

    async def note_reason(self, job_id: str, reason: str, uncount: bool = False) -> None:
        """Keep why a try ended (shown when the job is moved aside); ``uncount``: the
        try did not count (the head-end's store failed, not the meter)."""

    async def tries(self, job_id: str) -> tuple[int, str]:
        """(tries so far, the last reason noted)."""

    async def close(self) -> None: ...
