"""The TCP side of receiving pushes, shared by the push listener
(:class:`openamr.headend.listener.AlarmListener`) and the stateless forwarder
(:class:`openamr.headend.pushes.PushForwarder`): meters' call-backs in the IEC
62056-47 wrapper (Green Book 7.3.3), one connection per call.

Each connection is cut into wrapper PDUs by a :class:`WrapperConnection`: an APDU
longer than the link takes is skipped and the connection goes on; a bad header
(the wrapper cannot resynchronise) drops the connection; each payload goes to
the receiver ``session(peer)`` made for that connection, which returns False to
drop it (the forwarder's queue is away: the meter pushes again later).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from openamr.link.wrapper import ApduTooLong, WrapperConnection, WrapperFailed

log = logging.getLogger(__name__)
#: one connection's receiver: ``await receive(payload)``; False drops the connection
Receive = Callable[[bytes], Awaitable[bool]]


class PushPort:
    """``await start(host, port)`` (the address bound), then ``close()``;
    ``skipped()`` is called for each APDU too long to take."""

    def __init__(
        self, session: Callable[[str], Receive], skipped: Callable[[], None] | None = None
    ) -> None:
        self.session, self.skipped = session, skipped
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.Task[Any]] = set()

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._connection, host, port)
        bound = self._server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening and end the open connections."""
        if self._server is None:
            return
        self._server.close()
        for task in list(self._open):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link, peer = WrapperConnection(), str(writer.get_extra_info("peername"))
        receive = self.session(peer)
        task = asyncio.current_task()
        if task is not None:
            self._open.add(task)
        try:
            while data := await reader.read(65536):
                for event in link.receive_data(data):
                    if isinstance(event, ApduTooLong):  # skipped by the link; go on
                        if self.skipped is not None:
                            self.skipped()
                        log.warning("push of %d bytes from %s skipped: too long", event.length,
                                    peer)  # fmt: skip
                    elif isinstance(event, WrapperFailed):
                        log.warning("push from %s dropped: %s", peer, event.reason)
                        return
                    elif not await receive(event.payload):
                        return
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._open.discard(task)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
