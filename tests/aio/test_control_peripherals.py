"""The control endpoint's peripheral routes over loopback sockets, on a stepped clock:
covers, S0 pulses, the alarm input, the button, the load limit and the LCD, and the
contactor's hold on /load."""

from __future__ import annotations

from typing import Any

import pytest

from openamr.aio.control import serve_control
from openamr.codec.obis import Obis
from openamr.cosem.classes.register import Register
from openamr.meter.control import Control, Controlled
from openamr.meter.events import EventCode
from openamr.meter.peripherals import PeripheralEvent
from tests.aio.test_control import Meter, call, post
from tests.aio.test_control import meter as meter  # the fixture


def names(body: Any) -> list[str]:
    return [e["name"] for e in body["events"]]


@pytest.mark.parametrize(
    ("which", "key", "code"),
    [
        ("main", "main", EventCode.METER_COVER_OPENED),
        ("meter", "main", EventCode.METER_COVER_OPENED),
        ("terminal", "terminal", EventCode.TERMINAL_COVER_OPENED),
    ],
)
async def test_a_cover_opens_is_logged_then_closes(
    meter: Meter, which: str, key: str, code: int
) -> None:
    meter.time.step(30)
    opened = await post(meter, "/cover", {"which": which})
    assert opened["peripherals"]["covers_open"][key] is True
    state = (await call(meter.port, "GET", "/state")).body
    assert [(e["code"], e["time"]) for e in state["events"]] == [
        (code, "2026-01-05T11:00:30+01:00")
    ]
    assert state["lcd"]["covers_open"] == [key == "main", key == "terminal"]
    closed = await post(meter, "/cover", {"which": which, "action": "close"})
    assert closed["peripherals"]["covers_open"] == {"main": False, "terminal": False}


@pytest.mark.parametrize(("number", "obis"), [(1, "8.0.1.0.0.255"), (2, "7.0.3.0.0.255")])
async def test_pulses_count_litres_in_the_input_register(
    meter: Meter, number: int, obis: str
) -> None:
    answer = await post(meter, "/pulses", {"input": number, "count": 2500})
    inputs = answer["peripherals"]["inputs"]
    assert inputs[f"P{number}"] == {"litres": 2500.0, "pulses_per_m3": 1000}
    assert inputs[f"P{3 - number}"]["litres"] == 0.0
    register = meter.app.device.find(Obis.parse(obis))
    assert isinstance(register, Register) and register.value == 2500  # litres (scaler -3 m3)


async def test_the_alarm_input_is_logged(meter: Meter) -> None:
    await post(meter, "/alarm-input", {})
    body = (await call(meter.port, "GET", "/events")).body
    assert [e["code"] for e in body["events"]] == [EventCode.ALARM_INPUT]


async def test_the_lcd_scrolls_by_itself_and_by_the_button(meter: Meter) -> None:
    auto = (await call(meter.port, "GET", "/lcd")).body["lcd"]
    assert auto["mode"] == "auto" and auto["phases"] == [True, True, True]
    assert auto["text"] == " ".join(p for p in (auto["address"], auto["value"], auto["unit"]) if p)
    meter.time.step(10)  # the scroll period
    assert (await call(meter.port, "GET", "/lcd")).body["lcd"]["page"] == (auto["page"] + 1) % 23
    pressed = (await post(meter, "/button", {}))["lcd"]
    assert pressed["mode"] == "manual" and pressed["page"] == 0 and pressed["address"] == "C.1.0"
    assert (await post(meter, "/button", {"long": False}))["lcd"]["page"] == 1


async def test_the_lcd_is_off_in_a_power_failure(meter: Meter) -> None:
    await post(meter, "/power-failure", {"duration_s": 60})
    meter.time.step(10)
    lcd = (await call(meter.port, "GET", "/lcd")).body["lcd"]
    assert lcd["mode"] == "off" and lcd["phases"] == [False, False, False]


async def test_the_limiter_opens_the_contactor_and_a_long_press_closes_it(meter: Meter) -> None:
    await post(meter, "/load", {"level_w": 5000})
    limited = await post(meter, "/load-limit", {"watts": 1000})
    meter.time.step(600)
    state = (await call(meter.port, "GET", "/state")).body
    assert state["peripherals"]["load_limit_w"] == 1000
    assert state["peripherals"]["contactor"] == "ready_for_reconnection"
    assert state["relay"]["connected"] is False and state["instantaneous"]["import_w"] == 0.0
    assert {"limiter over threshold", "contactor ready for reconnection"} <= set(names(state))
    assert limited["peripherals"]["contactor"] == "connected"
    await post(meter, "/load-limit", {"watts": 0})
    meter.time.step(60)
    await post(meter, "/button", {"long": True})
    meter.time.step(10)
    state = (await call(meter.port, "GET", "/state")).body
    assert state["peripherals"]["contactor"] == "connected"
    assert state["instantaneous"]["import_w"] == 5000.0
    assert names(state)[-1] == "contactor connected"


async def test_a_load_change_is_held_while_the_contactor_is_open(meter: Meter) -> None:
    contactor = meter.peripherals.contactor
    contactor.remote_disconnect()
    assert meter.twin.objects.event_log.rows[-1][1] == PeripheralEvent.CONTACTOR_DISCONNECTED
    await post(meter, "/load", {"level_w": 3000})
    meter.time.step(60)
    assert (await call(meter.port, "GET", "/")).body["instantaneous"]["import_w"] == 0.0
    contactor.remote_reconnect()  # mode 1: ready for reconnection
    await post(meter, "/button", {"long": True})
    meter.time.step(60)
    assert (await call(meter.port, "GET", "/")).body["instantaneous"]["import_w"] == 3000.0


BAD = [
    ("/cover", {"which": "lid"}, 'which is "lid": expected "main" (or "meter") or "terminal"'),
    ("/cover", {}, "missing which"),
    ("/cover", {"which": "main", "action": "shut"}, 'action is "shut"'),
    ("/pulses", {"input": 3, "count": 1}, "input is 3: expected 1 (P1, water) or 2 (P2, gas)"),
    ("/pulses", {"input": 1, "count": 0}, "count is 0: expected pulses"),
    ("/pulses", {"input": 1}, "missing count"),
    ("/pulses", {"input": True, "count": 1}, "input is true"),
    ("/alarm-input", {"input": 3}, "unknown field 'input'"),
    ("/button", {"long": "yes"}, 'long is "yes"'),
    ("/load-limit", {"watts": -1}, "watts is -1"),
    ("/load-limit", {"watts": 2**32}, "watts is 4294967296"),
]


@pytest.mark.parametrize(("path", "body", "error"), BAD, ids=[e for _, _, e in BAD])
async def test_bad_peripheral_bodies_get_400(
    meter: Meter, path: str, body: dict[str, object], error: str
) -> None:
    answer = await call(meter.port, "POST", path, body)
    assert answer.status == 400 and answer.body["error"].startswith(error)
    assert meter.twin.objects.event_log.rows == []


async def test_a_twin_without_peripherals_answers_501_on_their_routes(meter: Meter) -> None:
    meter.twin.components.clear()
    endpoint = await serve_control(Control(Controlled(meter.twin), meter.app.refresh))
    assert endpoint.server is not None
    port = endpoint.server.sockets[0].getsockname()[1]
    try:
        requests: list[tuple[str, str, object]] = [
            ("GET", "/lcd", None),
            ("POST", "/cover", {"which": "main"}),
        ]
        for method, path, body in requests:
            answer = await call(port, method, path, body)
            assert answer.status == 501
            assert answer.body == {"error": "this twin has no peripherals"}
        state = (await call(port, "GET", "/state")).body
        assert state["peripherals"] is None and state["lcd"] is None
        assert (await call(port, "POST", "/load", {"level_w": 10})).status == 200
    finally:
        await endpoint.close()
