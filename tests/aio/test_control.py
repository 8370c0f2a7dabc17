"""The twin's control endpoint over real loopback sockets, on a stepped clock: every
route, its effect on the twin (and, for a power failure, on the log-book a DLMS client
reads), and the refusals of bad requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from openamr.aio.control import ControlEndpoint, serve_control
from openamr.aio.dlms_server import serve_wrapper
from openamr.client.meter import connect
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.control import Control, Controlled, Route
from openamr.meter.events import EventCode
from openamr.meter.mt372 import build_mt372
from openamr.meter.peripherals import Peripherals
from openamr.meter.twin import Twin

START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)  # a Monday, CET (+01:00)
SECOND = dt.timedelta(seconds=1)


@dataclass
class Meter:
    app: ServerApplication
    twin: Twin
    time: SteppedTime
    endpoint: ControlEndpoint
    peripherals: Peripherals

    @property
    def port(self) -> int:
        assert self.endpoint.server is not None
        return int(self.endpoint.server.sockets[0].getsockname()[1])


@pytest.fixture
async def meter() -> AsyncIterator[Meter]:
    time = SteppedTime(START)
    meter = build_mt372("20261234", time_base=time)
    app = meter.app
    endpoint = await serve_control(Control.of(meter))
    yield Meter(app, meter.twin, time, endpoint, meter.peripherals)
    await endpoint.close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def parse_answer(raw: bytes) -> Answer:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert int(headers["Content-Length"]) == len(body)
    return Answer(int(lines[0].split(" ")[1]), headers, json.loads(body))


async def raw(port: int, data: bytes) -> bytes:
    """Send ``data``, read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()


def request(method: str, path: str, body: bytes = b"", close: bool = True) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
    if method == "POST":
        head += "Content-Type: application/json\r\n"
    return (head + ("Connection: close\r\n" if close else "") + "\r\n").encode() + body


async def call(port: int, method: str, path: str, body: object = None) -> Answer:
    data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    return parse_answer(await raw(port, request(method, path, data)))


async def post(m: Meter, path: str, body: object) -> Any:
    answer = await call(m.port, "POST", path, body)
    assert answer.status == 200, answer.body
    return answer.body


def codes(m: Meter) -> list[int]:
    return [int(r[1]) for r in m.twin.objects.event_log.rows]


# -- state ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/state"])
async def test_state_follows_the_stepped_clock(meter: Meter, path: str) -> None:
    first = await call(meter.port, "GET", path)
    assert first.status == 200 and first.headers["Content-Type"].startswith("application/json")
    assert first.body["clock"]["true_time"] == START.isoformat()
    assert first.body["clock"]["meter_time"] == "2026-01-05T11:00:00+01:00"
    assert (await call(meter.port, "GET", path)).body == first.body  # deterministic
    meter.time.step(3600)
    later = (await call(meter.port, "GET", path)).body
    assert later["clock"]["true_time"] == (START + 3600 * SECOND).isoformat()
    a_plus = later["registers"]["A+"]
    assert a_plus["total"] == meter.twin.a_plus.total > first.body["registers"]["A+"]["total"]
    assert a_plus["total"] == sum(a_plus[f"T{r}"] for r in range(1, 5))
    assert later["rate"] == meter.twin.rate
    assert later["supply"] == {
        "powered": True,
        "voltage": {"L1": "normal", "L2": "normal", "L3": "normal"},
        "sequence_error": False,
    }
    phases = later["instantaneous"]["phases"]
    assert all(200 < phases[p]["voltage_v"] < 260 for p in ("L1", "L2", "L3"))
    assert later["relay"] == {"connected": True, "control_state": "connected", "control_mode": 1}
    assert later["injected"] == {"disturbances": [], "load": []}


async def test_events_route_lists_the_whole_log_book(meter: Meter) -> None:
    for code in (EventCode.CLOCK_CHANGED, EventCode.METER_COVER_OPENED):
        meter.twin.log(START, code)
    body = (await call(meter.port, "GET", "/events")).body
    assert [(e["code"], e["hex"], e["name"]) for e in body["events"]] == [
        (0x0020, "0x0020", "device clock changed"),
        (0x8010, "0x8010", "meter cover opened"),
    ]
    assert body["events"][0]["time"] == "2026-01-05T11:00:00+01:00"


# -- grid events --------------------------------------------------------------------------

#: route, body, the log-book codes at the start and at the end of the disturbance
GRID = [
    ("/power-failure", {}, [EventCode.POWER_FAILURE], [EventCode.POWER_RETURNED]),
    ("/phase-loss", {"phase": 2}, [0x8002], [0x8005]),
    ("/sag", {"phase": 2, "level": 0.7}, [0x8021], [0x8024]),
    ("/sag", {"level": 0.7}, [0x8020, 0x8021, 0x8022], [0x8023, 0x8024, 0x8025]),
    ("/swell", {"phase": 3, "level": 1.2}, [0x8028], [0x802B]),
    ("/phase-sequence", {}, [EventCode.PHASE_SEQUENCE_ERROR], [EventCode.PHASE_SEQUENCE_RESTORED]),
]


@pytest.mark.parametrize(("path", "body", "begin", "end"), GRID, ids=lambda x: str(x))
async def test_grid_events_start_at_the_next_second_and_are_logged(
    meter: Meter, path: str, body: dict[str, object], begin: list[int], end: list[int]
) -> None:
    meter.time.step(100)
    answer = await post(meter, path, {**body, "duration_s": 600})
    injected = answer["injected"]
    assert injected["kind"] == path[1:]
    assert injected["start"] == (START + 101 * SECOND).isoformat()
    assert injected["end"] == (START + 701 * SECOND).isoformat()
    assert injected["phase"] == body.get("phase")
    assert injected["level"] == body.get("level", 0.0)
    assert answer["clock"]["true_time"] == (START + 100 * SECOND).isoformat()
    meter.time.step(300)
    state = (await call(meter.port, "GET", "/state")).body
    assert [e["code"] for e in state["events"]] == begin
    assert state["events"][0]["time"] == "2026-01-05T11:01:41+01:00"
    assert state["injected"]["disturbances"] == [injected]
    meter.time.step(600)
    assert (await call(meter.port, "GET", "/state")).body["injected"]["disturbances"] == []
    assert codes(meter) == begin + end


async def test_a_power_failure_registers_no_energy_and_the_supply_is_down(meter: Meter) -> None:
    await post(meter, "/power-failure", {"duration_s": 3600})
    meter.time.step(1)
    before = meter.twin.a_plus.total
    meter.time.step(1800)
    state = (await call(meter.port, "GET", "/")).body
    assert state["registers"]["A+"]["total"] == before
    assert state["supply"]["powered"] is False
    assert state["instantaneous"]["import_w"] == 0.0 and state["instantaneous"]["led"] == "off"


async def test_a_phase_sag_shows_in_the_voltages(meter: Meter) -> None:
    await post(meter, "/sag", {"phase": 2, "level": 0.7, "duration_s": 60})
    meter.time.step(10)
    state = (await call(meter.port, "GET", "/")).body
    assert state["instantaneous"]["phases"]["L2"]["voltage_v"] == pytest.approx(161.0, abs=0.1)
    assert state["supply"]["voltage"] == {"L1": "normal", "L2": "under", "L3": "normal"}


async def test_a_current_reversal_shows_on_its_phase(meter: Meter) -> None:
    await post(meter, "/reversal", {"phase": 1, "duration_s": 600})
    meter.time.step(10)
    state = (await call(meter.port, "GET", "/")).body
    phases = state["instantaneous"]["phases"]
    assert phases["L1"]["reversed"] is True and phases["L1"]["power_w"] < 0
    assert phases["L2"]["reversed"] is False and phases["L2"]["power_w"] > 0


async def test_power_failure_posted_is_read_from_the_log_book_over_dlms(meter: Meter) -> None:
    """The whole path: HTTP in, the engine, the wrapper, a DLMS client's log-book read."""
    server = await serve_wrapper(meter.app, "127.0.0.1", 0)
    url = f"tcp://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        meter.time.step(59)
        await post(meter, "/power-failure", {"duration_s": 3600})
        meter.time.step(2 * 3600)
        async with connect(url, 32, "low", password="12345678", environ={}, timeout=5) as client:
            events = await client.events("1.0.99.98.0.255")
    finally:
        server.close()
    cet = dt.timezone(dt.timedelta(hours=1))
    failure, back = START + 60 * SECOND, START + 3660 * SECOND
    assert [(e.code, e.time) for e in events] == [
        (EventCode.POWER_FAILURE, failure.astimezone(cet)),
        (EventCode.POWER_RETURNED, back.astimezone(cet)),
    ]
    assert [e.name for e in events] == ["power failure", "power returned"]


# -- load ---------------------------------------------------------------------------------


async def test_a_load_level_then_back_to_the_model(meter: Meter) -> None:
    answer = await post(meter, "/load", {"level_w": 5000})
    assert answer["injected"] == {
        "start": (START + SECOND).isoformat(), "level_w": 5000, "scale": 1.0,
    }  # fmt: skip
    meter.time.step(1)
    before = meter.twin.a_plus.total
    meter.time.step(3600)
    state = (await call(meter.port, "GET", "/")).body
    assert state["instantaneous"]["import_w"] == 5000.0
    assert state["registers"]["A+"]["total"] - before == pytest.approx(5000, abs=5)
    assert state["injected"]["load"] == [answer["injected"]]
    back = await post(meter, "/load", {"scale": 1})
    assert back["injected"]["level_w"] is None
    meter.time.step(10)
    assert (await call(meter.port, "GET", "/")).body["instantaneous"]["import_w"] < 5000


async def test_a_load_scale_of_zero_stops_registering(meter: Meter) -> None:
    await post(meter, "/load", {"scale": 0})
    meter.time.step(1)
    before = meter.twin.a_plus.total
    meter.time.step(3600)
    state = (await call(meter.port, "GET", "/")).body
    assert state["registers"]["A+"]["total"] == before
    assert state["instantaneous"]["import_w"] == 0.0


# -- refusals -------------------------------------------------------------------------------

BAD = [
    ("/power-failure", b"{", "the body is not JSON"),
    ("/power-failure", b"\xff\xfe", "the body is not JSON"),
    ("/power-failure", b'{"duration_s": NaN}', "the body is not JSON"),
    ("/power-failure", b"[3600]", "the body must be a JSON object"),
    ("/power-failure", b"", "missing duration_s"),
    ("/power-failure", b'{"duration_s": "3600"}', 'duration_s is "3600": expected seconds'),
    ("/power-failure", b'{"duration_s": 0}', "duration_s is 0: expected seconds"),
    ("/power-failure", b'{"duration_s": -5}', "duration_s is -5"),
    ("/power-failure", b'{"duration_s": true}', "duration_s is true"),
    ("/power-failure", b'{"duration_s": 1e300}', "duration_s is 1e+300"),
    ("/power-failure", b'{"duration_s": 60, "phase": 1}', "unknown field 'phase'"),
    ("/phase-loss", b'{"duration_s": 60}', "missing phase"),
    ("/phase-loss", b'{"duration_s": 60, "phase": 4}', "phase is 4: expected 1, 2 or 3"),
    ("/phase-loss", b'{"duration_s": 60, "phase": 1.0}', "phase is 1.0"),
    ("/phase-loss", b'{"duration_s": 60, "phase": null}', "phase is null"),
    ("/sag", b'{"duration_s": 60, "level": 1}', "level is 1: expected the voltage as a fraction"),
    ("/sag", b'{"duration_s": 60}', "missing level"),
    ("/swell", b'{"duration_s": 60, "level": 0.9}', "level is 0.9"),
    ("/swell", b'{"duration_s": 60, "level": 2.5}', "level is 2.5"),
    ("/reversal", b'{"duration_s": 60, "phase": "L1"}', 'phase is "L1"'),
    ("/load", b"{}", "give exactly one of level_w and scale"),
    ("/load", b'{"level_w": 100, "scale": 2}', "give exactly one of level_w and scale"),
    ("/load", b'{"level_w": 99.5}', "level_w is 99.5: expected watts"),
    ("/load", b'{"level_w": -1}', "level_w is -1"),
    ("/load", b'{"scale": 101}', "scale is 101"),
]


@pytest.mark.parametrize(("path", "body", "error"), BAD, ids=[f"{p} {b!r}" for p, b, _ in BAD])
async def test_bad_bodies_get_400_saying_what_is_expected(
    meter: Meter, path: str, body: bytes, error: str
) -> None:
    answer = await call(meter.port, "POST", path, body)
    assert answer.status == 400
    assert answer.body["error"].startswith(error)
    assert set(answer.body["expected"]) >= {"duration_s"} or path == "/load"
    assert meter.twin.metrology.disturbances == () and meter.twin.metrology.steps == ()


async def test_unknown_routes_get_404_with_the_routes(meter: Meter) -> None:
    answer = await call(meter.port, "GET", "/nowhere?x=1")
    assert answer.status == 404 and answer.body["error"] == "no route GET /nowhere"
    routes = {r["route"]: r["body"] for r in answer.body["routes"]}
    assert "POST /power-failure" in routes and "GET /state" in routes
    assert routes["POST /sag"] == {
        "phase": "1, 2 or 3; null or left out: all phases",
        "level": "the voltage as a fraction of Un, 0 <= level < 1",
        "duration_s": "seconds, a number > 0 and <= 316224000",
    }


async def test_a_known_path_with_the_wrong_method_gets_405(meter: Meter) -> None:
    answer = await call(meter.port, "GET", "/power-failure")
    assert answer.status == 405 and answer.headers["Allow"] == "POST"
    assert (await call(meter.port, "DELETE", "/state")).headers["Allow"] == "GET"


MALFORMED = [
    (b"GARBAGE\r\n\r\n", 400, "bad request line"),
    (b"GET / HTTP/2.0\r\n\r\n", 505, "'HTTP/2.0' is not HTTP/1.x"),
    (b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "bad header field"),
    (b"GET / HTTP/1.1\r\nX: \xe9\r\n\r\n", 400, "the header is not ASCII"),
    (b"POST /load HTTP/1.1\r\nContent-Length: x\r\n\r\n", 400, "bad Content-Length"),
    (b"POST /load HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413, "body over"),
    (b"POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, "chunked bodies"),
    (b"POST /load HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}", 400, "the body is shorter"),
    (b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", 431, "header over"),
    (b"GET / HTTP/1.1\r\nHost: x", 400, "the request ended inside its header"),
]


GIVES_UP = {"the body is shorter", "the request ended inside its header"}


@pytest.mark.parametrize(("data", "status", "error"), MALFORMED, ids=[e for _, _, e in MALFORMED])
async def test_malformed_requests_get_an_error_and_the_endpoint_goes_on(
    meter: Meter, data: bytes, status: int, error: str
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", meter.port)
    writer.write(data)
    if error in GIVES_UP:
        writer.write_eof()  # the client stops in the middle of its request
    answer = parse_answer(await asyncio.wait_for(reader.read(), 5))
    writer.close()
    assert answer.status == status and answer.body["error"].startswith(error)
    assert answer.headers["Connection"] == "close"
    assert (await call(meter.port, "GET", "/state")).status == 200


async def test_keep_alive_serves_requests_in_order_on_one_connection(meter: Meter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", meter.port)
    body = json.dumps({"duration_s": 60}).encode()
    writer.write(request("POST", "/power-failure", body, close=False))
    writer.write(request("GET", "/nope", close=False) + request("GET", "/events"))
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    answers, rest = [], data
    while rest:
        head, _, tail = rest.partition(b"\r\n\r\n")
        length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        answers.append(parse_answer(head + b"\r\n\r\n" + tail[:length]))
        rest = tail[length:]
    assert [a.status for a in answers] == [200, 404, 200]
    assert [a.headers["Connection"] for a in answers] == ["keep-alive", "keep-alive", "close"]


async def test_http_1_0_closes_after_one_answer(meter: Meter) -> None:
    answer = parse_answer(await raw(meter.port, b"GET /state HTTP/1.0\r\n\r\n"))
    assert answer.status == 200 and answer.headers["Connection"] == "close"


# -- the endpoint's own failures -----------------------------------------------------------


def _boom(m: Controlled, args: Mapping[str, object]) -> dict[str, object]:
    raise RuntimeError("a bug in a handler")


def _not_json(m: Controlled, args: Mapping[str, object]) -> dict[str, object]:
    return {"value": {1, 2}}


def _refused(m: Controlled, args: Mapping[str, object]) -> dict[str, object]:
    raise ValueError("a load change cannot start before the twin's present")


async def test_a_failing_handler_answers_500_and_the_endpoint_goes_on(meter: Meter) -> None:
    routes = {
        ("GET", "/boom"): Route("fails", _boom),
        ("GET", "/refused"): Route("refused", _refused),
        ("GET", "/not-json"): Route("a set is no JSON", _not_json),
    }
    endpoint = ControlEndpoint(Control(Controlled(meter.twin), meter.app.refresh, routes))
    server = await endpoint.start()
    port = server.sockets[0].getsockname()[1]
    try:
        boom = await call(port, "GET", "/boom")
        assert boom.status == 500 and "a bug in a handler" in boom.body["error"]
        refused = await call(port, "GET", "/refused")
        assert refused.status == 409 and "before the twin's present" in refused.body["error"]
        not_json = await call(port, "GET", "/not-json")
        assert not_json.status == 500 and "not JSON serializable" in not_json.body["error"]
        assert (await call(port, "GET", "/state")).status == 404
    finally:
        await endpoint.close()


async def test_a_device_without_a_twin_answers_503(meter: Meter) -> None:
    static = ServerApplication(meter.app.device, meter.app.configs)
    endpoint = await serve_control(Control(None, static.refresh))
    assert endpoint.server is not None
    try:
        answer = await call(endpoint.server.sockets[0].getsockname()[1], "GET", "/state")
        assert answer.status == 503 and answer.body == {"error": "this meter has no twin engine"}
    finally:
        await endpoint.close()


async def test_close_ends_idle_kept_alive_connections(meter: Meter) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", meter.port)
    writer.write(request("GET", "/state", close=False))
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    await asyncio.wait_for(meter.endpoint.close(), 5)
    rest = await asyncio.wait_for(reader.read(), 5)  # the answer's body, then the end
    assert json.loads(rest)["clock"]["true_time"] == START.isoformat()
    writer.close()


# -- origins (issue 11, item 6) ------------------------------------------------------------


async def test_a_cross_origin_post_does_not_inject_an_outage(meter: Meter) -> None:
    """The issue's request: Origin http://evil.example, Content-Type text/plain."""
    body = b'{"duration_s": 3600}'
    attack = (
        b"POST /power-failure HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
        b"Content-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    ) + body
    answer = parse_answer(await raw(meter.port, attack))
    assert answer.status == 403 and "evil.example" in answer.body["error"]
    plain = attack.replace(b"Origin: http://evil.example\r\n", b"")
    assert parse_answer(await raw(meter.port, plain)).status == 415  # not JSON
    assert meter.twin.metrology.disturbances == ()


async def test_a_foreign_host_cannot_read_the_state(meter: Meter) -> None:
    """DNS rebinding: the page's own name in Host, the loopback's address underneath."""
    rebound = b"GET /state HTTP/1.1\r\nHost: evil.example:4060\r\nConnection: close\r\n\r\n"
    answer = parse_answer(await raw(meter.port, rebound))
    assert answer.status == 403 and "clock" not in answer.body
    no_host = b"GET /state HTTP/1.1\r\nConnection: close\r\n\r\n"
    assert parse_answer(await raw(meter.port, no_host)).status == 403


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:4060", "localhost:80", "LOCALHOST", "[::1]:4060"]
)
async def test_loopback_hosts_and_origins_are_served(meter: Meter, host: str) -> None:
    head = f"GET /state HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\n"
    answer = parse_answer(await raw(meter.port, (head + "Connection: close\r\n\r\n").encode()))
    assert answer.status == 200
