"""The control endpoint's request parsing: whatever bytes or JSON a client sends, the
parsers answer a request or an :class:`HttpError` (a 4xx/5xx answer), never another
exception; what they accept satisfies every field's check."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.aio.control.http11 import HttpError, Request, parse_head, response
from openamr.meter.control import ROUTES, ControlError, Route, parse_args

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
POSTS = [route for (method, _), route in ROUTES.items() if method == "POST"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_heads_parse_or_raise_http_error(head: bytes) -> None:
    try:
        method, path, version, headers = parse_head(head)
    except HttpError as e:
        assert 400 <= e.status < 600 and e.error
        return
    assert version in ("HTTP/1.1", "HTTP/1.0") and "?" not in path and method
    assert all(name == name.lower() for name in headers)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(POSTS),
    st.dictionaries(
        st.sampled_from(["duration_s", "phase", "level", "level_w", "scale", "x"]), JSON, max_size=4
    ),
)
def test_random_bodies_are_accepted_only_when_every_field_is(
    route: Route, body: dict[str, object]
) -> None:
    try:
        args = parse_args(json.dumps(body).encode(), route)
    except ControlError as e:
        assert e.status == 400 and e.expected == route.expected()
        return
    assert args == body
    assert all(route.fields[name].accept(value) for name, value in args.items())
    assert all(name in args for name, f in route.fields.items() if f.required)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(POSTS), st.binary(max_size=64))
def test_random_body_bytes_raise_only_http_error(route: Route, body: bytes) -> None:
    try:
        parse_args(body, route)
    except ControlError as e:
        assert e.status == 400


@pytest.mark.parametrize("number", [b"1" + b"0" * 400, b"-1" + b"0" * 400, b"1e400"])
def test_numbers_beyond_a_float_are_a_400(number: bytes) -> None:
    with pytest.raises(ControlError, match=r"duration_s is|the body is not JSON"):
        parse_args(b'{"duration_s": ' + number + b"}", ROUTES["POST", "/power-failure"])


def test_deeply_nested_json_is_a_400() -> None:
    with pytest.raises(ControlError, match="the body is not JSON"):
        parse_args(b"[" * 100_000, ROUTES["POST", "/load"])


@pytest.mark.parametrize(
    ("version", "connection", "kept"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, Close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
    ],
)
def test_keep_alive_follows_version_and_connection(
    version: str, connection: str | None, kept: bool
) -> None:
    headers = {} if connection is None else {"connection": connection}
    assert Request("GET", "/", version, headers).keep_alive is kept


def test_response_layout() -> None:
    data = response(HTTPStatus.NOT_FOUND, {"error": "é"}, keep_alive=False, extra={"Allow": "GET"})
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"HTTP/1.1 404 Not Found",
        b"Content-Type: application/json; charset=utf-8",
        b"Content-Length: %d" % len(body),
        b"Connection: close",
        b"Cache-Control: no-store",
        b"Allow: GET",
    ]
    assert json.loads(body) == {"error": "é"}


def test_repeated_header_fields_are_joined() -> None:
    head = b"GET /state?x=1 HTTP/1.1\r\nConnection: keep-alive\r\nconnection: close\r\n\r\n"
    assert parse_head(head) == ("GET", "/state", "HTTP/1.1", {"connection": "keep-alive, close"})
