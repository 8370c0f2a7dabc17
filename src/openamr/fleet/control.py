"""The fleet's control endpoint (issue 12, "Control"): local JSON over HTTP on
127.0.0.1, as the single twin's. Sans-IO: :class:`FleetControl` is a
:class:`openamr.meter.control.Control` whose answers come from the fleet (the single
twin's routes, checks and views reused); :func:`openamr.aio.control.serve_control`
is its HTTP/1.1 adapter. ::

    GET  /                        the fleet at a glance (also GET /status)
    GET  /meters                  every meter: serial, url, cell, group, condition,
                                  offline, outage
    GET  /meters/<serial>         one meter's state (the single twin's GET /)
    GET  /meters/<serial>/lcd     what its LCD shows
    GET  /meters/<serial>/events  its log-book
    GET  /meters/<serial>/index   its place in the fleet (for the page's "go to")
    POST /meters/<serial>/sim     SIM hot swap: {"action": "remove" | "insert" | "swap"},
                                  insert and swap take iccid, imsi, msisdn (default:
                                  the meter's next card, Sim.next)
    POST /inject/<event>          any POST route of the single twin (power-failure,
                                  sag, cover, pulses, ...) into the meters the body's
                                  target names: "meter": "<serial>", "group":
                                  "feeder-03", "cell": 1001, or none (all); the other
                                  fields are the single twin's
    POST /scenario/feeder-outage  {"group": "feeder-01", "duration_s": 600}
    POST /scenario/cell-outage    {"cell": 1001, "duration_s": 600}
    POST /scenario/dst            {"before_s": 60}: the fleet's clock skips to a minute
                                  before the next summer-time change
    GET  /lcds/<offset>/<limit>   a page of meters (at most 48) with what each LCD
                                  shows and its whole scroll list (wakes those twins)
    GET  /ui/                     the fleet's web page (static files of fleet/static/)

Errors as the single twin's: 400 (a body it cannot use), 404 (no such route or
meter), 409 (a twin refuses).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from http import HTTPStatus
from importlib.resources import files

from openamr.fleet.meters import Fleet
from openamr.meter.control import ROUTES, Answer, Control, Controlled, Json, Route, parse_args
from openamr.meter.control import ControlError as HttpError
from openamr.meter.control.views import events, lcd, state

TARGETS = ("meter", "group", "cell")


def status(fleet: Fleet) -> Json:
    """The counts ``openamr fleet status`` prints."""
    s, size = fleet.stats, fleet.config.size
    t = fleet.now().timestamp()
    offline = sum(1 for i in range(size) if fleet.faults.offline(i, t))
    outage = len({i for o in fleet.outages for i in o.meters if fleet.in_outage(i)})
    return {
        "meters": size,
        "online": size - offline - outage,
        "offline": offline,
        "in_outage": outage,
        "awake": len(fleet.awake),
        "hibernated": len(fleet.sleeping),
        "connections": s.connections,
        "sessions": s.sessions,
        "refused": s.refused,
        "alarms_pushed": s.alarms,
        "time": fleet.now().isoformat(),
    }


def meters(fleet: Fleet) -> list[object]:
    t = fleet.now().timestamp()
    out: list[object] = []
    for index in range(fleet.config.size):
        m, outage = fleet.meter(index), fleet.in_outage(index)
        out.append({
            "serial": m.serial, "url": m.url, "cell": m.cell, "group": m.group,
            "firmware": m.firmware, "condition": fleet.condition(index),
            "offline": fleet.faults.offline(index, t),
            "outage": None if outage is None else outage.kind,
            "csq_base": fleet.faults.signal_base(index),
            "msisdn": m.msisdn, "reach": m.reach,
        })  # fmt: skip
    return out


def _no_time() -> float:
    return 0.0


class FleetControl(Control):
    """Answers the control requests of one fleet; ``monotonic`` is the adapter's clock
    (a meter reached through the endpoint counts as used then)."""

    def __init__(self, fleet: Fleet, monotonic: Callable[[], float] = _no_time) -> None:
        super().__init__(None)
        self.fleet, self.monotonic = fleet, monotonic
        self.singles: Mapping[str, Route] = {p: r for (m, p), r in ROUTES.items() if m == "POST"}

    def answer(self, method: str, path: str, body: bytes = b"") -> Answer:
        if method == "GET" and path == "/ui":
            return HTTPStatus.MOVED_PERMANENTLY, {"location": "/ui/"}, {"Location": "/ui/"}
        if method == "GET" and path.startswith("/ui/"):
            return page_file(path[len("/ui/") :] or "index.html")
        try:
            return HTTPStatus.OK, self._route(method, path, body, self.monotonic()), {}
        except HttpError as e:
            return e.status, e.payload(), {}
        except LookupError as e:
            return HTTPStatus.NOT_FOUND, {"error": str(e).strip("'\"")}, {}
        except ValueError as e:
            return HTTPStatus.CONFLICT, {"error": str(e)}, {}

    def _route(self, method: str, path: str, raw: bytes, now: float) -> Json:
        parts = [p for p in path.split("/") if p]
        fleet = self.fleet
        if method == "GET" and parts in ([], ["status"]):
            return status(fleet)
        if method == "GET" and parts == ["meters"]:
            return {"meters": meters(fleet)}
        if method == "GET" and len(parts) in (2, 3) and parts[0] == "meters":
            return self._meter(parts[1], parts[2] if len(parts) == 3 else "", now)
        if method == "GET" and len(parts) == 3 and parts[0] == "lcds":
            return lcd_page(fleet, _whole(parts[1]), min(MAX_LCDS, _whole(parts[2])), now)
        if method == "POST" and len(parts) == 3 and parts[0] == "meters" and parts[2] == "sim":
            return self._sim(parts[1], raw, now)
        if method == "POST" and len(parts) == 2 and parts[0] == "inject":
            return self._inject(parts[1], raw, now)
        if method == "POST" and parts == ["scenario", "feeder-outage"]:
            body = _body(raw, {"group": str, "duration_s": int})
            o = fleet.feeder_outage(str(body["group"]), _int(body["duration_s"]), now)
            return {"scenario": "feeder-outage", "meters": len(o.meters),
                    "start": o.start.isoformat(), "end": o.end.isoformat()}  # fmt: skip
        if method == "POST" and parts == ["scenario", "cell-outage"]:
            body = _body(raw, {"cell": int, "duration_s": int})
            o = fleet.cell_outage(_int(body["cell"]), _int(body["duration_s"]))
            return {"scenario": "cell-outage", "meters": len(o.meters),
                    "start": o.start.isoformat(), "end": o.end.isoformat()}  # fmt: skip
        if method == "POST" and parts == ["scenario", "dst"]:
            body = _body(raw, {})
            before = _int(body.get("before_s", 60))
            change = fleet.dst_change(before)
            return {"scenario": "dst", "change": change.isoformat(),
                    "time": fleet.now().isoformat()}  # fmt: skip
        raise HttpError(HTTPStatus.NOT_FOUND, f"no route {method} {path}", ROUTE_LIST)

    def _meter(self, serial: str, what: str, now: float) -> Json:
        index = self.fleet.index_of(serial)
        if index is None:
            raise LookupError(f"no meter {serial} in this fleet")
        if what == "index":  # where the page finds it (without waking it)
            return {"serial": serial, "index": index}
        meter = self.fleet.reach(index, now)
        if what == "":
            return state(Controlled(meter.twin, meter.peripherals))
        if what == "lcd":
            return {"lcd": lcd(meter.peripherals)}
        if what == "events":
            return {"events": events(meter.twin)}
        raise HttpError(HTTPStatus.NOT_FOUND, f"no view {what!r} of a meter", ROUTE_LIST)

    def _sim(self, serial: str, raw: bytes, now: float) -> Json:
        index = self.fleet.index_of(serial)
        if index is None:
            raise LookupError(f"no meter {serial} in this fleet")
        route = self.singles["/sim"]
        args = parse_args(raw, route)
        meter = self.fleet.reach(index, now)
        answer = route.handler(Controlled(meter.twin, meter.peripherals), args)
        meter.twin.checkpoint()
        if meter.persistence is not None:  # the card is in the meter's memory at once
            meter.persistence.commit()
        return {"serial": serial, **answer}

    def _inject(self, event: str, raw: bytes, now: float) -> Json:
        route = self.singles.get("/" + event)
        if route is None:
            raise HttpError(HTTPStatus.NOT_FOUND, f"no event {event!r}", sorted(self.singles))
        body = _body(raw, {})
        target = {k: body.pop(k) for k in TARGETS if k in body}
        args = parse_args(json.dumps(body).encode(), route)
        chosen = self.fleet.select(
            meter=_str(target.get("meter")), group=_str(target.get("group")),
            cell=_int(target["cell"]) if "cell" in target else None,
        )  # fmt: skip
        if not chosen:
            raise LookupError(f"no meter matches {target}")
        answers: list[object] = []
        for index in chosen:
            meter = self.fleet.reach(index, now)
            answer = route.handler(Controlled(meter.twin, meter.peripherals), args)
            answers.append({"serial": meter.serial, "answer": answer})
            meter.twin.checkpoint()
        return {"event": event, "meters": len(answers), "answers": answers}


ROUTE_LIST = [
    "GET /", "GET /status", "GET /meters", "GET /meters/<serial>", "GET /meters/<serial>/lcd",
    "GET /meters/<serial>/events", "GET /meters/<serial>/index", "POST /meters/<serial>/sim",
    "POST /inject/<event>", "POST /scenario/feeder-outage", "POST /scenario/cell-outage",
    "POST /scenario/dst", "GET /lcds/<offset>/<limit>", "GET /ui/",
]  # fmt: skip
MAX_LCDS = 48
PAGE_FILES = files("openamr.fleet") / "static"
PAGE_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
}  # fmt: skip


def page_file(name: str) -> Answer:
    """A file of the fleet's page (a flat directory: no other path is served)."""
    kind = PAGE_TYPES.get(name[name.rfind(".") :] if "." in name else "")
    file = PAGE_FILES / name
    if "/" in name or kind is None or not file.is_file():
        return HTTPStatus.NOT_FOUND, {"error": f"no file {name!r} on the fleet's page"}, {}
    return HTTPStatus.OK, file.read_bytes(), {"Content-Type": kind}


def lcd_page(fleet: Fleet, offset: int, limit: int, now: float) -> Json:
    """Meters ``offset`` to ``offset + limit``: who, where, and their LCD (the page
    shown now and every page of the scroll list, datasheet "programmable data set")."""
    t = fleet.now().timestamp()
    out: list[object] = []
    for index in range(offset, min(offset + limit, fleet.config.size)):
        identity = fleet.meter(index)
        meter = fleet.reach(index, now)
        p = meter.peripherals
        pages = [] if p is None else p.lcd.readout.readout()
        out.append({
            "serial": identity.serial, "url": identity.url, "cell": identity.cell,
            "group": identity.group, "offline": fleet.faults.offline(index, t),
            "outage": None if (o := fleet.in_outage(index)) is None else o.kind,
            "lcd": lcd(p),
            "scroll": [{"address": r.address, "value": r.value, "unit": r.unit} for r in pages],
        })  # fmt: skip
    return {"total": fleet.config.size, "offset": offset, "meters": out}


def _whole(text: str) -> int:
    if not text.isdigit():
        raise HttpError(HTTPStatus.BAD_REQUEST, f"{text!r}: expected a whole number",
                        "GET /lcds/<offset>/<limit>, e.g. /lcds/0/12")  # fmt: skip
    return int(text)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise HttpError(HTTPStatus.BAD_REQUEST, f"expected a whole number, not {value!r}")
    return value


def _body(raw: bytes, fields: Mapping[str, type]) -> dict[str, object]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"the body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise HttpError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
    for name, kind in fields.items():
        value = body.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            expected = {n: k.__name__ for n, k in fields.items()}
            raise HttpError(HTTPStatus.BAD_REQUEST, f"{name}: expected {kind.__name__}", expected)
    return body
