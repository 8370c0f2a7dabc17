"""The twin's local control endpoint: JSON over HTTP/1.1 to look at the meter and to
inject what happens around it (ARCHITECTURE.md, "Runtime"; issue 4).

``openamr meter serve --control-port 4060`` listens on 127.0.0.1 (the ``--host`` of the
DLMS listener is not used: the endpoint has no authentication and stays local).
Bodies are JSON objects; answers are JSON objects::

    GET  /                 the meter's state (also GET /state): clock, registers,
                           instantaneous values, supply, rate, relay, components,
                           injected events still running, the last 10 log-book entries
    GET  /events           the whole log-book, oldest first
    POST /power-failure    {"duration_s": 3600}
    POST /phase-loss       {"phase": 1, "duration_s": 600}
    POST /sag              {"phase": 2, "level": 0.7, "duration_s": 60}    level in [0, 1) x Un
    POST /swell            {"phase": 3, "level": 1.2, "duration_s": 60}    level in (1, 2] x Un
    POST /reversal         {"phase": 1, "duration_s": 900}   current reversal (wiring)
    POST /phase-sequence   {"duration_s": 900}               L2 and L3 swapped
    POST /load             {"level_w": 5000} or {"scale": 1.5}; {"scale": 1} = the model

``phase`` is 1, 2 or 3; for /sag, /swell and /reversal it may be left out (or null)
for all phases. ``duration_s`` is a number of seconds > 0 (rounded up to whole
seconds), at most ten years.

Every request first brings the twin up to now (``app.refresh()``). An injection
starts at the next whole second of *true* time (the grid's, which a DLMS clock set
does not move) and answers what it injected, with the clock::

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
injection; 503 when the served device has no twin. A failing handler answers 500 and
the endpoint goes on serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TypeGuard

from openamr.aio.control_http import MAX_HEAD, HttpError, Request, read_request, response
from openamr.aio.control_state import Json, clock, disturbance, events, load_step, state
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, Phase, seconds
from openamr.meter.server import ServerApplication
from openamr.meter.twin import Twin

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
IDLE_S = 60.0  # a kept-alive connection with no request for this long is closed
MAX_DURATION_S = 10 * 366 * 86_400
Args = Mapping[str, object]


def is_number(v: object) -> TypeGuard[int | float]:
    """A JSON number: an int (of any size, not a bool) or a finite float."""
    if isinstance(v, int):
        return not isinstance(v, bool)
    return isinstance(v, float) and math.isfinite(v)


def between(lo: float, hi: float, lo_open: bool = False) -> Callable[[object], bool]:
    """Accepts a number in [lo, hi] ((lo, hi] with ``lo_open``)."""
    return lambda v: is_number(v) and (lo < v if lo_open else lo <= v) and v <= hi


@dataclass(frozen=True)
class Field:
    """A body field: what it takes (in words, for the error answers) and its check."""

    expected: str
    accept: Callable[[object], bool]
    required: bool = True

    def optional(self, expected: str) -> Field:
        return Field(expected, lambda v: v is None or self.accept(v), required=False)


DURATION = Field(
    f"seconds, a number > 0 and <= {MAX_DURATION_S}", between(0, MAX_DURATION_S, lo_open=True)
)
PHASE = Field("1, 2 or 3", lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 3)
ANY_PHASE = PHASE.optional("1, 2 or 3; null or left out: all phases")
SAG_LEVEL = Field(
    "the voltage as a fraction of Un, 0 <= level < 1", lambda v: between(0, 1)(v) and v != 1
)
SWELL_LEVEL = Field("the voltage as a multiple of Un, 1 < level <= 2", between(1, 2, lo_open=True))
LEVEL_W = Field(
    "watts, an integer >= 0 (total over the phases)",
    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
    required=False,
)
SCALE = Field("a factor of the model's load, 0 <= scale <= 100", between(0, 100), required=False)


@dataclass(frozen=True)
class Route:
    summary: str
    handler: Callable[[Twin, Args], Json]
    fields: Mapping[str, Field] = field(default_factory=dict)

    def expected(self) -> dict[str, str]:
        return {name: f.expected for name, f in self.fields.items()}


# -- handlers -------------------------------------------------------------------------


def _number(args: Args, name: str, default: float = 0.0) -> float:
    v = args.get(name)
    return float(v) if is_number(v) else default


def _phase(args: Args) -> Phase | None:
    v = args.get("phase")
    return Phase(v) if isinstance(v, int) else None


def _start(twin: Twin) -> int:
    """The next whole second of true time: an event at the instant the twin has
    reached would fall outside every later advance, (reached, now]."""
    return seconds(twin.true_t) + 1


def _injector(kind: DisturbanceKind) -> Callable[[Twin, Args], Json]:
    def inject(twin: Twin, args: Args) -> Json:
        start = _start(twin)
        duration = max(1, math.ceil(_number(args, "duration_s")))
        d = Disturbance(start, start + duration, _phase(args), kind, _number(args, "level"))
        twin.inject(d)
        return {"injected": disturbance(d), "clock": clock(twin)}

    return inject


def _load(twin: Twin, args: Args) -> Json:
    if ("level_w" in args) == ("scale" in args):
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            "give exactly one of level_w and scale",
            ROUTES["POST", "/load"].expected(),
        )
    level = args.get("level_w")
    step = LoadStep(
        _start(twin),
        level if isinstance(level, int) else None,
        _number(args, "scale", 1.0),
    )
    twin.add_load_step(step)
    return {"injected": load_step(step), "clock": clock(twin)}


def _state(twin: Twin, args: Args) -> Json:
    return state(twin)


def _events(twin: Twin, args: Args) -> Json:
    return {"events": events(twin), "clock": clock(twin)}


def _grid(summary: str, kind: DisturbanceKind, **fields: Field) -> Route:
    return Route(summary, _injector(kind), {**fields, "duration_s": DURATION})


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/"): Route("the meter's state", _state),
    ("GET", "/state"): Route("the meter's state", _state),
    ("GET", "/events"): Route("the whole log-book, oldest first", _events),
    ("POST", "/power-failure"): _grid("no voltage on any phase", DisturbanceKind.POWER_FAILURE),
    ("POST", "/phase-loss"): _grid(
        "no voltage on one phase", DisturbanceKind.PHASE_LOSS, phase=PHASE
    ),
    ("POST", "/sag"): _grid(
        "voltage held below Un", DisturbanceKind.SAG, phase=ANY_PHASE, level=SAG_LEVEL
    ),
    ("POST", "/swell"): _grid(
        "voltage held above Un", DisturbanceKind.SWELL, phase=ANY_PHASE, level=SWELL_LEVEL
    ),
    ("POST", "/reversal"): _grid(
        "current flows backwards on a phase", DisturbanceKind.CURRENT_REVERSAL, phase=ANY_PHASE
    ),
    ("POST", "/phase-sequence"): _grid("L2 and L3 swapped", DisturbanceKind.PHASE_SEQUENCE),
    ("POST", "/load"): Route(
        "a load change from now: give level_w or scale", _load, {"level_w": LEVEL_W, "scale": SCALE}
    ),
}


# -- requests -------------------------------------------------------------------------


def route_list(routes: Mapping[tuple[str, str], Route]) -> list[Json]:
    return [
        {"route": f"{method} {path}", "summary": r.summary, "body": r.expected()}
        for (method, path), r in routes.items()
    ]


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_args(body: bytes, route: Route) -> Args:
    """The request body checked against the route's fields."""
    expected = route.expected()
    if not body.strip():
        args: object = {}
    else:
        try:
            args = json.loads(body, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, bad UTF-8, NaN
            raise HttpError(
                HTTPStatus.BAD_REQUEST, f"the body is not JSON: {e}", expected
            ) from None
    if not isinstance(args, dict):
        raise HttpError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object", expected)
    for name, value in args.items():
        f = route.fields.get(name)
        if f is None:
            raise HttpError(HTTPStatus.BAD_REQUEST, f"unknown field {name!r}", expected)
        if not f.accept(value):
            error = f"{name} is {json.dumps(value)}: expected {f.expected}"
            raise HttpError(HTTPStatus.BAD_REQUEST, error, expected)
    missing = [name for name, f in route.fields.items() if f.required and name not in args]
    if missing:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"missing {', '.join(missing)}", expected)
    return args


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

    def _run(self, route: Route, request: Request) -> Json:
        args = parse_args(request.body, route)
        twin = self.app.twin
        if twin is None:
            raise HttpError(HTTPStatus.SERVICE_UNAVAILABLE, "this meter has no twin engine")
        self.app.refresh()
        return route.handler(twin, args)

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
            status, payload, extra = self.answer(request)
            writer.write(response(status, payload, request.keep_alive, extra))
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
