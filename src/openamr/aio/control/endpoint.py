"""The twin's local control endpoint: JSON over HTTP/1.1 to look at the meter and to
inject what happens around it (ARCHITECTURE.md, "Runtime"; issue 4).

``openamr meter serve --control-port 4060`` listens on 127.0.0.1 (the ``--host`` of the
DLMS listener is not used: the endpoint has no authentication and stays local).
Bodies are JSON objects; answers are JSON objects::

    GET  /                 the meter's state (also GET /state): clock, registers,
                           instantaneous values, supply, rate, relay, peripherals, LCD,
                           injected events still running, the last 10 log-book entries
    GET  /events           the whole log-book, oldest first
    GET  /lcd              what the LCD shows (mode, page, digits, indicators)
    POST /power-failure    {"duration_s": 3600}
    POST /phase-loss       {"phase": 1, "duration_s": 600}
    POST /sag              {"phase": 2, "level": 0.7, "duration_s": 60}    level in [0, 1) x Un
    POST /swell            {"phase": 3, "level": 1.2, "duration_s": 60}    level in (1, 2] x Un
    POST /reversal         {"phase": 1, "duration_s": 900}   current reversal (wiring)
    POST /phase-sequence   {"duration_s": 900}               L2 and L3 swapped
    POST /load             {"level_w": 5000} or {"scale": 1.5}; {"scale": 1} = the model
                           (held while the contactor is open)
    POST /cover            {"which": "main"}   "main" (or "meter") | "terminal";
                           {"which": "terminal", "action": "close"} closes it
    POST /pulses           {"input": 1, "count": 10}   S0 pulses on P1 (water) or P2 (gas)
    POST /alarm-input      {}                  the alarm input P3 becomes active
    POST /button           {} or {"long": true}   scroll; a long press reconnects a
                           contactor that is ready for reconnection
    POST /load-limit       {"watts": 3000}     the limiter's normal threshold (0: off)

``phase`` is 1, 2 or 3; for /sag, /swell and /reversal it may be left out (or null)
for all phases. ``duration_s`` is a number of seconds > 0 (rounded up to whole
seconds), at most ten years.

Every request first brings the twin up to now (``app.refresh()``). A grid event or a
load change starts at the next whole second of *true* time (the grid's, which a DLMS
clock set does not move) and answers what it injected, with the clock; the
peripherals act at the twin's present and answer their state::

    $ curl -s -d '{"duration_s": 3600}' 127.0.0.1:4060/power-failure
    {"injected": {"kind": "power-failure", "phase": null, "level": 0.0,
                  "start": "2026-01-05T10:00:01+00:00", "end": "2026-01-05T11:00:01+00:00"},
     "clock": {"meter_time": "2026-01-05T11:00:00+01:00", ...}}

The meter logs the power failure when it begins and the return when it ends; a DLMS
client reads them from the log-book 1.0.99.98.0.255.

Errors are JSON too: 400 for a body that is not a JSON object, an unknown or missing
field, or a value of the wrong type or range (``error`` says what is wrong,
``expected`` what each field takes); 404 for an unknown path (``routes`` lists them
all); 405 for a known path with the wrong method; 409 when the twin refuses the
injection; 501 for a peripheral route on a twin without peripherals; 503 when the
served device has no twin. A failing handler answers 500 and the endpoint goes on
serving. Modules: :mod:`.http11` (the HTTP/1.1 subset), :mod:`.schema`
(routes and body fields as data), :mod:`.grid`, :mod:`.peripherals`,
:mod:`.state` (the JSON views).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from http import HTTPStatus

from openamr.aio.control.grid import GRID_ROUTES
from openamr.aio.control.http11 import MAX_HEAD, HttpError, Request, read_request, response
from openamr.aio.control.peripherals import PERIPHERAL_ROUTES
from openamr.aio.control.schema import Args, Field, Route, parse_args, route_list
from openamr.aio.control.state import Json, clock, events, state
from openamr.meter.application import ServerApplication
from openamr.meter.twin import Twin

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
IDLE_S = 60.0  # a kept-alive connection with no request for this long is closed


def _state(twin: Twin, args: Args) -> Json:
    return state(twin)


def _events(twin: Twin, args: Args) -> Json:
    return {"events": events(twin), "clock": clock(twin)}


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/"): Route("the meter's state", _state),
    ("GET", "/state"): Route("the meter's state", _state),
    ("GET", "/events"): Route("the whole log-book, oldest first", _events),
    **GRID_ROUTES,
    **PERIPHERAL_ROUTES,
}


# -- requests -------------------------------------------------------------------------


class ControlEndpoint:
    """The endpoint of one served meter (``app``); ``routes`` defaults to :data:`ROUTES`."""

    def __init__(
        self, app: ServerApplication, routes: Mapping[tuple[str, str], Route] | None = None
    ) -> None:
        self.app = app
        self.routes = dict(ROUTES if routes is None else routes)
        self.server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def answer(self, request: Request) -> tuple[HTTPStatus, object, dict[str, str]]:
        """Status, JSON payload and extra header fields for one request."""
        methods = {m: r for (m, p), r in self.routes.items() if p == request.path}
        route = methods.get(request.method)
        if not methods:
            error = f"no route {request.method} {request.path}"
            return HTTPStatus.NOT_FOUND, {"error": error, "routes": route_list(self.routes)}, {}
        if route is None:
            allow = ", ".join(sorted(methods))
            error = f"{request.path} takes {allow}, not {request.method}"
            return HTTPStatus.METHOD_NOT_ALLOWED, {"error": error}, {"Allow": allow}
        try:
            return HTTPStatus.OK, self._run(route, request), {}
        except HttpError as e:
            return e.status, e.payload(), {}
        except ValueError as e:  # the twin refuses (a past start, a bad value)
            return HTTPStatus.CONFLICT, {"error": str(e)}, {}
        except Exception as e:
            log.exception("control endpoint: %s %s failed", request.method, request.path)
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {e!r}"}, {}

    def respond(self, request: Request) -> bytes:
        """The whole response to ``request`` (a payload JSON cannot carry is a 500)."""
        status, payload, extra = self.answer(request)
        try:
            return response(status, payload, request.keep_alive, extra)
        except (TypeError, ValueError) as e:
            log.exception("control endpoint: %s %s: no JSON", request.method, request.path)
            error = {"error": f"internal error: {e!r}"}
            return response(HTTPStatus.INTERNAL_SERVER_ERROR, error, request.keep_alive)

    def _run(self, route: Route, request: Request) -> Json:
        args = parse_args(request.body, route)
        twin = self.app.twin
        if twin is None:
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "this meter has no twin engine")
        self.app.refresh()
        answer = route.handler(twin, args)
        twin.checkpoint()  # an injected event is committed before the answer (--state)
        return answer

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
    app: ServerApplication, host: str = DEFAULT_HOST, port: int = 0
) -> ControlEndpoint:
    """Start the control endpoint of ``app`` on ``host``:``port`` (0: a free port)."""
    endpoint = ControlEndpoint(app)
    await endpoint.start(host, port)
    return endpoint


__all__ = [
    "DEFAULT_HOST",
    "ROUTES",
    "Args",
    "ControlEndpoint",
    "Field",
    "Route",
    "parse_args",
    "serve_control",
]
