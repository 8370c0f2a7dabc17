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

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from openamr.headend.queue.base import PushMessage, WorkQueue
from openamr.link.wrapper import ApduTooLong, WrapperConnection, WrapperFailed

log = logging.getLogger(__name__)


class PushForwarder:
    def __init__(self, queue: WorkQueue, now: Callable[[], dt.datetime]) -> None:
        self.queue, self.now = queue, now
        self.published = 0
        self.dropped = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.Task[Any]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 4061) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._connection, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._open):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link, peer = WrapperConnection(), str(writer.get_extra_info("peername"))
        connection = uuid.uuid4().hex
        task = asyncio.current_task()
        if task is not None:
            self._open.add(task)
        try:
            while data := await reader.read(65536):
                for event in link.receive_data(data):
                    if isinstance(event, ApduTooLong):
                        log.warning("push of %d bytes from %s skipped: too long", event.length,
                                    peer)  # fmt: skip
                    elif isinstance(event, WrapperFailed):
                        log.warning("push from %s dropped: %s", peer, event.reason)
                        return
                    else:
                        received = int(self.now().timestamp())
                        try:
                            await self.queue.publish_push(
                                PushMessage(connection, peer, received, event.payload)
                            )
                        except Exception as e:  # the queue is away: the meter pushes again
                            self.dropped += 1
                            log.warning("push from %s not published (%s): dropped", peer, e)
                            return
                        self.published += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._open.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
