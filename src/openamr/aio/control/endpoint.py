"""The twin's local control endpoint on asyncio: JSON over HTTP/1.1 (RFC 9112) on the
loopback interface, a thin adapter of the sans-IO :class:`openamr.meter.control.Control`
(the routes, their checks and the state views live there).

``openamr meter serve --control-port 4060`` listens on 127.0.0.1 (the ``--host`` of the
DLMS listener is not used: the endpoint has no authentication and stays local).
Connections persist (HTTP/1.1) and are closed after ``IDLE_S`` without a request; a
request the HTTP layer cannot read is answered 400/413/505 and the connection closed
(:mod:`.http11`). A foreign Host or Origin is refused 403 and a POST that is not
``application/json`` 415 (:mod:`.origins`: DNS rebinding and cross-origin requests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from http import HTTPStatus

from openamr.aio.control.http11 import MAX_HEAD, HttpError, Request, read_request, response
from openamr.aio.control.origins import refused_origin
from openamr.meter.control import Control

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
IDLE_S = 60.0  # a kept-alive connection with no request for this long is closed


class ControlEndpoint:
    """The HTTP/1.1 endpoint of one meter's :class:`~openamr.meter.control.Control`."""

    def __init__(self, control: Control) -> None:
        self.control = control
        self.server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def respond(self, request: Request) -> bytes:
        """The whole response to ``request`` (a payload JSON cannot carry is a 500)."""
        refusal = refused_origin(request)
        status, payload, extra = (
            refusal
            if refusal is not None
            else self.control.answer(request.method, request.path, request.body)
        )
        try:
            return response(status, payload, request.keep_alive, extra)
        except (TypeError, ValueError) as e:
            log.exception("control endpoint: %s %s: no JSON", request.method, request.path)
            error = {"error": f"internal error: {e!r}"}
            return response(HTTPStatus.INTERNAL_SERVER_ERROR, error, request.keep_alive)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: requests answered in order until either side closes it."""
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                async with asyncio.timeout(IDLE_S):
                    request = await read_request(reader)
            except HttpError as e:
                writer.write(response(e.status, e.payload(), keep_alive=False))
                await writer.drain()
                return
            if request is None:
                return
            writer.write(self.respond(request))
            await writer.drain()
            if not request.keep_alive:
                return

    async def start(self, host: str = DEFAULT_HOST, port: int = 0) -> asyncio.Server:
        self.server = await asyncio.start_server(self.serve, host, port, limit=MAX_HEAD)
        return self.server

    async def close(self) -> None:
        """Stop listening and end the open connections."""
        if self.server is not None:
            self.server.close()
        for task in list(self._connections):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.server is not None:
            await self.server.wait_closed()


async def serve_control(
    control: Control, host: str = DEFAULT_HOST, port: int = 0
) -> ControlEndpoint:
    """Start the endpoint of ``control`` on ``host``:``port`` (0: a free port)."""
    endpoint = ControlEndpoint(control)
    await endpoint.start(host, port)
    return endpoint


__all__ = ["DEFAULT_HOST", "ControlEndpoint", "serve_control"]
