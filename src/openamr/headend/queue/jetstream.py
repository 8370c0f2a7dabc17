"""The :class:`~openamr.headend.queue.base.WorkQueue` on NATS JetStream (nats-py).

For a queue named ``N`` (``nats://HOST:PORT?name=N``, default ``openamr``):

=================  ===========================================================================
stream ``N``       work queue of jobs, subjects ``n.jobs.PRIORITY.CELL`` (one per cell and
                   priority); durable pull consumers ``ondemand`` (``n.jobs.0.>``) and
                   ``scheduled`` (``n.jobs.1.>``), explicit acks, ``ack_wait``, redelivery
                   without limit (tries are counted in the ``N_tries`` bucket instead)
stream ``N_push``  work queue of received pushes, ``n.push.>``; pull consumer ``store``
stream ``N_dead``  the messages moved aside (``n.dead.jobs``, ``n.dead.push``), kept, each
                   with its reason and try count in headers
KV ``N_leases``    leases (a meter in a session, a cell's permit slots), TTL ``lease_s``;
                   taken with create (fails when the key exists), renewed with update at
                   the revision the holder has, released with delete at that revision
KV ``N_tries``     per job id: tries so far and the last reason, TTL ``tries_ttl``
=================  ===========================================================================

The client reconnects by itself for ever (``max_reconnect_attempts=-1``); a publish,
fetch or KV call while the server is away raises, and the worker backs off and tries
again (:mod:`openamr.headend.worker`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import nats
import nats.errors
import nats.js.errors
from nats.js import api

from openamr.headend.queue.base import (
    DeadLetter,
    Delivery,
    JobMessage,
    PushMessage,
    QueueError,
    QueueSettings,
    job_subject,
)

#: errors of a server that is away or restarting: transient for the caller
TRANSIENT = (nats.errors.Error, nats.js.errors.Error, OSError, asyncio.TimeoutError)


class _Delivery:
    def __init__(self, msg: Any) -> None:
        self.msg = msg
        self.data: bytes = msg.data
        self.delivered: int = int(msg.metadata.num_delivered)

    async def ack(self) -> None:
        await self.msg.ack()

    async def nak(self, delay: float) -> None:
        await self.msg.nak(delay=max(0.0, delay))

    async def term(self) -> None:
        await self.msg.term()

    async def in_progress(self) -> None:
        await self.msg.in_progress()


def parse_nats_url(url: str) -> tuple[str, str]:
    """(server URL, queue name) of ``nats://HOST:PORT[?name=NAME]``."""
    parts = urlsplit(url)
    if parts.scheme not in ("nats", "tls") or not parts.hostname:
        raise QueueError(f"queue URL {url!r}: use nats://HOST:PORT[?name=NAME] or memory://")
    query = dict(parse_qsl(parts.query))
    name = query.pop("name", "openamr")
    if query or not name.replace("_", "").replace("-", "").isalnum():
        raise QueueError(f"queue URL {url!r}: the one parameter is name=LETTERS_DIGITS")
    return f"{parts.scheme}://{parts.netloc}", name


class JetStreamQueue:
    """``await JetStreamQueue.open(url, settings)``; streams and buckets are created
    when missing (a second process finds them)."""

    def __init__(self, nc: Any, name: str, settings: QueueSettings) -> None:
        self.nc, self.name, self.settings = nc, name, settings
        self.js = nc.jetstream()
        self.prefix = name.lower()
        self._subs: dict[str, Any] = {}
        self._revisions: dict[tuple[str, str], int] = {}  # (key, holder)
        self.leases: Any = None
        self.tries_kv: Any = None

    @classmethod
    async def open(cls, url: str, settings: QueueSettings | None = None) -> JetStreamQueue:
        server, name = parse_nats_url(url)
        parts = urlsplit(server)
        try:  # a quick answer when nothing listens there
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, parts.port or 4222), 3
            )
            writer.close()
        except (TimeoutError, OSError) as e:
            raise QueueError(f"cannot reach NATS at {server} ({e or type(e).__name__}); "
                             "start nats-server -js or check the URL") from None  # fmt: skip
        try:
            # reconnects for ever once connected; the first connection has 5 s
            nc = await asyncio.wait_for(nats.connect(
                servers=[server], name=f"openamr-{os.getpid()}", connect_timeout=2,
                max_reconnect_attempts=-1, reconnect_time_wait=0.5, allow_reconnect=True,
            ), 5)  # fmt: skip
        except (TimeoutError, OSError, nats.errors.Error) as e:
            raise QueueError(f"cannot reach NATS at {server} ({e or type(e).__name__}); "
                             "start nats-server -js or check the URL") from None  # fmt: skip
        queue = cls(nc, name, settings or QueueSettings())
        try:
            await queue._declare()
        except TRANSIENT as e:
            await nc.close()
            message = (f"NATS at {server}: cannot set up the queue {name} ({e}); "
                       "is JetStream on (nats-server -js)?")  # fmt: skip
            raise QueueError(message) from None
        return queue

    async def _declare(self) -> None:
        p, s = self.prefix, self.settings
        work = api.RetentionPolicy.WORK_QUEUE
        await self._stream(self.name, [f"{p}.jobs.>"], work)
        await self._stream(f"{self.name}_push", [f"{p}.push.>"], work)
        await self._stream(f"{self.name}_dead", [f"{p}.dead.>"], api.RetentionPolicy.LIMITS)
        self.leases = await self._bucket(f"{self.name}_leases", s.lease_s)
        self.tries_kv = await self._bucket(f"{self.name}_tries", s.tries_ttl)

    async def _bucket(self, name: str, ttl: float) -> Any:
        """The bucket, made with this TTL when missing (the first process sets it)."""
        try:
            return await self.js.key_value(name)
        except (nats.js.errors.BucketNotFoundError, nats.js.errors.NotFoundError):
            return await self.js.create_key_value(
                api.KeyValueConfig(bucket=name, ttl=ttl, history=1)
            )

    async def _stream(self, name: str, subjects: list[str], retention: Any) -> None:
        try:
            await self.js.stream_info(name)
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(api.StreamConfig(
                name=name, subjects=subjects, retention=retention,
                storage=api.StorageType.FILE,
            ))  # fmt: skip

    async def _pull(self, durable: str, subject: str, stream: str) -> Any:
        sub = self._subs.get(durable)
        if sub is None:
            config = api.ConsumerConfig(
                durable_name=durable, ack_policy=api.AckPolicy.EXPLICIT,
                ack_wait=self.settings.ack_wait, max_deliver=-1, filter_subject=subject,
                max_ack_pending=-1,
            )  # fmt: skip
            sub = await self.js.pull_subscribe(subject, durable=durable, stream=stream,
                                               config=config)  # fmt: skip
            self._subs[durable] = sub
        return sub

    async def _fetch(self, durable: str, subject: str, stream: str, limit: int,
                     timeout: float) -> list[Delivery]:  # fmt: skip
        sub = await self._pull(durable, subject, stream)
        try:
            msgs = await sub.fetch(limit, timeout=max(timeout, 0.05))
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        return [_Delivery(m) for m in msgs]

    # -- jobs -------------------------------------------------------------------------------

    async def publish_jobs(self, jobs: Sequence[JobMessage]) -> None:
        for job in jobs:  # sequential acks: the stream has each before the next goes
            await self.js.publish(
                job_subject(self.prefix, job),
                job.encode(),
                stream=self.name,
                headers={"Nats-Msg-Id": job.correlation_id},
            )  # dedup window

    async def take_jobs(self, limit: int, timeout: float) -> list[Delivery]:
        out = await self._fetch("ondemand", f"{self.prefix}.jobs.0.>", self.name, limit, 0.05)
        if len(out) < limit:
            out += await self._fetch("scheduled", f"{self.prefix}.jobs.1.>", self.name,
                                     limit - len(out), timeout if not out else 0.05)  # fmt: skip
        return out

    # -- pushes -----------------------------------------------------------------------------

    async def publish_push(self, push: PushMessage) -> None:
        await self.js.publish(f"{self.prefix}.push.in", push.encode(), stream=f"{self.name}_push")

    async def take_pushes(self, limit: int, timeout: float) -> list[Delivery]:
        return await self._fetch("store", f"{self.prefix}.push.>", f"{self.name}_push", limit,
                                 timeout)  # fmt: skip

    # -- dead letters -----------------------------------------------------------------------

    async def set_aside(self, delivery: Delivery, reason: str, tries: int) -> None:
        kind = "push" if isinstance(delivery, _Delivery) and ".push." in delivery.msg.subject \
            else "jobs"  # fmt: skip
        headers = {"Openamr-Reason": reason.replace("\n", " ")[:1000], "Openamr-Tries": str(tries)}
        dead = f"{self.name}_dead"
        await self.js.publish(f"{self.prefix}.dead.{kind}", delivery.data, stream=dead,
                              headers=headers)  # fmt: skip
        await delivery.term()

    async def dead_letters(self) -> list[DeadLetter]:
        stream = f"{self.name}_dead"
        info = await self.js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await self.js.get_msg(stream, seq)
            except nats.js.errors.NotFoundError:
                continue
            headers = msg.headers or {}
            out.append(DeadLetter(msg.data or b"", headers.get("Openamr-Reason", ""),
                                  int(headers.get("Openamr-Tries", "0"))))  # fmt: skip
        return out

    # -- leases, tries ----------------------------------------------------------------------

    async def lease(self, key: str, holder: str) -> bool:
        try:
            self._revisions[key, holder] = await self.leases.create(key, holder.encode())
        except nats.js.errors.KeyWrongLastSequenceError:
            return False
        return True

    async def renew(self, key: str, holder: str) -> bool:
        last = self._revisions.get((key, holder))
        if last is None:
            return False
        try:
            self._revisions[key, holder] = await self.leases.update(key, holder.encode(), last=last)
        except nats.js.errors.KeyWrongLastSequenceError:
            self._revisions.pop((key, holder), None)  # expired and taken by another
            return False
        return True

    async def release(self, key: str, holder: str) -> None:
        last = self._revisions.pop((key, holder), None)
        if last is not None:
            # expired, maybe taken by another since: then it is not ours to delete
            with contextlib.suppress(nats.js.errors.KeyWrongLastSequenceError):
                await self.leases.delete(key, last=last)

    async def _tries_get(self, job_id: str) -> tuple[int, str, int]:
        try:
            entry = await self.tries_kv.get(_key(job_id))
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):
            return 0, "", 0
        raw = json.loads(entry.value or b"{}")
        return int(raw.get("n", 0)), str(raw.get("reason", "")), int(entry.revision or 0)

    async def _tries_set(self, job_id: str, n: int, reason: str, last: int) -> bool:
        value = json.dumps({"n": n, "reason": reason}).encode()
        try:
            if last:
                await self.tries_kv.update(_key(job_id), value, last=last)
            else:
                await self.tries_kv.create(_key(job_id), value)
        except nats.js.errors.KeyWrongLastSequenceError:
            return False
        return True

    async def add_try(self, job_id: str, reason: str) -> int:
        if await self._tries_set(job_id, 1, reason, 0):  # the first try: one round trip
            return 1
        while True:  # compare and set: two workers never count one try
            n, _, last = await self._tries_get(job_id)
            if await self._tries_set(job_id, n + 1, reason, last):
                return n + 1

    async def note_reason(self, job_id: str, reason: str, uncount: bool = False) -> None:
        for _ in range(5):
            n, _, last = await self._tries_get(job_id)
            if await self._tries_set(job_id, max(0, n - 1) if uncount else n, reason, last):
                return

    async def tries(self, job_id: str) -> tuple[int, str]:
        n, reason, _ = await self._tries_get(job_id)
        return n, reason

    async def close(self) -> None:
        if not self.nc.is_closed:
            await self.nc.close()

    async def destroy(self) -> None:
        """Delete this queue's streams and buckets (tests, benchmarks)."""
        for stream in (self.name, f"{self.name}_push", f"{self.name}_dead"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await self.js.delete_stream(stream)
        for bucket in (f"{self.name}_leases", f"{self.name}_tries"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await self.js.delete_key_value(bucket)


def _key(job_id: str) -> str:
    """A KV key of any job id (KV keys allow letters, digits and -/_=.)."""
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in job_id) or "_"
