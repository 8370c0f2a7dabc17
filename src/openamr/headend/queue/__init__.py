"""The head-end's job queue and push stream (:mod:`.base`): in process or on NATS
JetStream, chosen by URL: ``memory://`` or ``nats://HOST:PORT[?name=NAME]``."""

from __future__ import annotations

from openamr.headend.queue.base import QueueError, QueueSettings, WorkQueue


async def open_queue(url: str, settings: QueueSettings | None = None) -> WorkQueue:
    """The queue at ``url``; QueueError saying what to do when it is unusable."""
    if url in ("memory://", "memory"):
        from openamr.headend.queue.inproc import InProcessQueue

        return InProcessQueue(settings)
    if url.startswith(("nats://", "tls://")):
        from openamr.headend.queue.jetstream import JetStreamQueue

        return await JetStreamQueue.open(url, settings)
    raise QueueError(f"queue URL {url!r}: use memory:// or nats://HOST:PORT[?name=NAME]")


__all__ = ["QueueError", "QueueSettings", "WorkQueue", "open_queue"]
