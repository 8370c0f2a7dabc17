"""The twin's local control endpoint, sans-IO: the routes that look at the meter and
inject what happens around it (ARCHITECTURE.md, "Runtime"; issue 4). The HTTP/1.1
adapter (:mod:`openamr.aio.control`) parses a request, calls :meth:`Control.answer` and
writes what it returns.

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
    POST /sim              {"action": "swap"} SIM hot swap: "remove" (logs 0x8050),
                           "insert" (0x8051) or "swap"; insert and swap take "iccid",
                           "imsi", "msisdn" (default: the meter's next card;
                           docs/gsm-meter.md)

``phase`` is 1, 2 or 3; for /sag, /swell and /reversal it may be left out (or null)
for all phases. ``duration_s`` is a number of seconds > 0 (rounded up to whole
seconds), at most ten years.

Every request first brings the twin up to now (the meter's refresh). A grid event or a
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
serving. Modules: :mod:`.schema` (routes and body fields as data), :mod:`.grid`,
:mod:`.peripherals`, :mod:`.views` (the JSON views).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus

from openamr.meter.assembly import TwinMeter
from openamr.meter.control.grid import GRID_ROUTES
from openamr.meter.control.peripherals import PERIPHERAL_ROUTES
from openamr.meter.control.schema import (
    Args,
    ControlError,
    Controlled,
    Json,
    Route,
    parse_args,
    route_list,
)
from openamr.meter.control.views import clock, events, state

log = logging.getLogger(__name__)


def _state(m: Controlled, args: Args) -> Json:
    return state(m)


def _events(m: Controlled, args: Args) -> Json:
    return {"events": events(m.twin), "clock": clock(m.twin)}


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/"): Route("the meter's state", _state),
    ("GET", "/state"): Route("the meter's state", _state),
    ("GET", "/events"): Route("the whole log-book, oldest first", _events),
    **GRID_ROUTES,
    **PERIPHERAL_ROUTES,
}

#: Status, JSON payload and extra header fields of one answer.
Answer = tuple[HTTPStatus, object, dict[str, str]]


def _static() -> None:
    """A device without a twin has nothing to bring up to date."""


class Control:
    """The control of one meter: ``subject`` (None: a device without a twin engine,
    every route answers 503), ``refresh`` brings it up to now before each request;
    ``routes`` defaults to :data:`ROUTES`."""

    def __init__(
        self,
        subject: Controlled | None,
        refresh: Callable[[], None] = _static,
        routes: Mapping[tuple[str, str], Route] | None = None,
    ) -> None:
        self.subject, self.refresh = subject, refresh
        self.routes = dict(ROUTES if routes is None else routes)

    @classmethod
    def of(cls, meter: TwinMeter, routes: Mapping[tuple[str, str], Route] | None = None) -> Control:
        """The control of an assembled twin."""
        return cls(Controlled(meter.twin, meter.peripherals), meter.app.refresh, routes)

    def answer(self, method: str, path: str, body: bytes = b"") -> Answer:
        """Status, JSON payload and extra header fields for one request."""
        methods = {m: r for (m, p), r in self.routes.items() if p == path}
        route = methods.get(method)
        if not methods:
            error = f"no route {method} {path}"
            return HTTPStatus.NOT_FOUND, {"error": error, "routes": route_list(self.routes)}, {}
        if route is None:
            allow = ", ".join(sorted(methods))
            error = f"{path} takes {allow}, not {method}"
            return HTTPStatus.METHOD_NOT_ALLOWED, {"error": error}, {"Allow": allow}
        try:
            return HTTPStatus.OK, self._run(route, body), {}
        except ControlError as e:
            return e.status, e.payload(), {}
        except ValueError as e:  # the twin refuses (a past start, a bad value)
            return HTTPStatus.CONFLICT, {"error": str(e)}, {}
        except Exception as e:
            log.exception("control endpoint: %s %s failed", method, path)
            return HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {e!r}"}, {}

    def _run(self, route: Route, body: bytes) -> Json:
        args = parse_args(body, route)
        subject = self.subject
        if subject is None:
            raise ControlError(HTTPStatus.SERVICE_UNAVAILABLE, "this meter has no twin engine")
        self.refresh()
        answer = route.handler(subject, args)
        subject.twin.checkpoint()  # an injected event is committed before the answer (--state)
        return answer
