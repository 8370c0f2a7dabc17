"""A stateless push listener: meters' alarm call-backs over TCP in the IEC 62056-47
wrapper (Green Book 7.3.3), each payload published as it came to the push stream of
a :class:`~openamr.headend.queue.base.WorkQueue`; it needs no database and no keys,
so that several can sit behind one load balancer. Reading, verifying against the
inventory and storing is the consumer's work
(:meth:`openamr.headend.listener.AlarmListener.consume`).

A payload that cannot be published (the queue is away) drops its connection: the
meter pushes again later, as it does when no head-end answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from openamr.headend.push_port import PushPort, Receive
from openamr.headend.queue.base import PushMessage, WorkQueue

log = logging.getLogger(__name__)


class PushForwarder:
    def __init__(self, queue: WorkQueue, now: Callable[[], dt.datetime]) -> None:
        self.queue, self.now = queue, now
        self.published = 0
        self.dropped = 0
        self._port = PushPort(self._session)

    async def start(self, host: str = "127.0.0.1", port: int = 4061) -> tuple[str, int]:
        return await self._port.start(host, port)

    async def close(self) -> None:
        await self._port.close()

    def _session(self, peer: str) -> Receive:
        connection = uuid.uuid4().hex  # the consumer keeps one reader per connection

        async def publish(payload: bytes) -> bool:
            received = int(self.now().timestamp())
            try:
                await self.queue.publish_push(PushMessage(connection, peer, received, payload))
            except Exception as e:  # the queue is away: the meter pushes again
                self.dropped += 1
                log.warning("push from %s not published (%s): dropped", peer, e)
                return False
            self.published += 1
            return True

        return publish
