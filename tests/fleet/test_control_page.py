"""The fleet's page through its sans-IO control (the HTTP adapter writes what
``answer`` returns): the static files as bytes with their type, nothing outside the
page's directory, a page of LCDs as each twin shows them, an injected cover opening
on the next LCD, errors that say what to send."""

from __future__ import annotations

import json
from http import HTTPStatus

from openamr.aio.control.http11 import response
from openamr.fleet.control import FleetControl
from openamr.meter.clock import SteppedTime
from tests.fleet.conftest import START, fleet_on, small


def control() -> FleetControl:
    return FleetControl(fleet_on(small(5), SteppedTime(START)))


def test_the_page_s_files_are_served_with_their_type_and_nothing_else() -> None:
    c = control()
    status, body, extra = c.answer("GET", "/ui/")
    assert status == HTTPStatus.OK and isinstance(body, bytes) and b"fleet.js" in body
    assert extra["Content-Type"].startswith("text/html")
    assert c.answer("GET", "/ui/fleet.js")[2]["Content-Type"].startswith("text/javascript")
    assert c.answer("GET", "/ui")[2] == {"Location": "/ui/"}
    for bad in ("/ui/../control.py", "/ui/control.py", "/ui/missing.js", "/ui/static/x.css"):
        assert c.answer("GET", bad)[0] == HTTPStatus.NOT_FOUND, bad
    wire = response(HTTPStatus.OK, body, True, extra)
    assert wire.endswith(body) and b"Content-Type: text/html" in wire


def test_a_page_of_lcds_and_an_injected_cover_on_it() -> None:
    c = control()
    status, page, _ = c.answer("GET", "/lcds/1/3")
    assert status == HTTPStatus.OK and isinstance(page, dict)
    assert page["total"] == 5 and [m["serial"] for m in page["meters"]] == [
        "10000002", "10000003", "10000004"]  # fmt: skip
    lcd, scroll = page["meters"][0]["lcd"], page["meters"][0]["scroll"]
    assert lcd["mode"] == "auto" and 0 <= lcd["signal"] <= 3 and len(lcd["phases"]) == 3
    assert scroll[lcd["page"]]["address"] == lcd["address"]
    assert scroll[0] == {"address": "C.1.0", "value": "10000002", "unit": ""}
    assert list(lcd["covers_open"]) == [False, False]
    body = json.dumps({"meter": "10000002", "which": "main"}).encode()
    assert c.answer("POST", "/inject/cover", body)[0] == HTTPStatus.OK
    _, again, _ = c.answer("GET", "/lcds/1/1")
    assert isinstance(again, dict) and list(again["meters"][0]["lcd"]["covers_open"]) == [
        True,
        False,
    ]
    assert c.answer("GET", "/lcds/4/48")[1]["meters"][0]["serial"] == "10000005"  # type: ignore[index]


def test_bad_page_requests_say_what_to_send() -> None:
    c = control()
    status, answer, _ = c.answer("GET", "/lcds/x/3")
    assert status == HTTPStatus.BAD_REQUEST and "/lcds/0/12" in json.dumps(answer)
    assert c.answer("GET", "/meters/10000004/index")[1] == {"serial": "10000004", "index": 3}
    assert c.answer("GET", "/meters/999/index")[0] == HTTPStatus.NOT_FOUND
