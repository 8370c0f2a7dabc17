"""The least HTTP/1.1 the twin's control endpoint needs (RFC 9112), on asyncio streams.

A request is a request line, header fields and, when ``Content-Length`` says so, a
body of exactly that many bytes::

    POST /sag HTTP/1.1\\r\\n                 method SP target SP version CRLF
    Host: 127.0.0.1:4060\\r\\n               field-name ":" OWS field-value OWS CRLF
    Content-Length: 43\\r\\n
    \\r\\n                                   end of the header section
    {"phase": 2, "level": 0.7, "duration_s": 60}

Connections persist (HTTP/1.1) unless the client sends ``Connection: close`` or
speaks HTTP/1.0 without ``Connection: keep-alive``. Chunked request bodies are refused
(411: send Content-Length); a header section over 16 KiB or a body over 64 KiB is
refused (431, 413). A request that cannot be parsed is answered 400 and the
connection closed. Nothing here knows the routes: see :mod:`openamr.aio.control`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from http import HTTPStatus

MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class HttpError(Exception):
    """A request the endpoint refuses: the status, what is wrong, what is expected."""

    def __init__(self, status: HTTPStatus, error: str, expected: object = None) -> None:
        super().__init__(error)
        self.status, self.error, self.expected = status, error, expected

    def payload(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.error}
        if self.expected is not None:
            body["expected"] = self.expected
        return body


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # the target without its query
    version: str
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on the connection; None when the client closed it cleanly.
    Raises :class:`HttpError` on a request that cannot be served."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial.strip():
            return None
        raise HttpError(HTTPStatus.BAD_REQUEST, "the request ended inside its header") from None
    except asyncio.LimitOverrunError:
        raise HttpError(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"header over {MAX_HEAD} bytes"
        ) from None
    method, path, version, headers = parse_head(head)
    body = await _read_body(reader, headers)
    return Request(method, path, version, headers, body)


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Request line and header fields (RFC 9112 sections 3 and 5)."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "the header is not ASCII") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[0] or not set(parts[0]) <= TOKEN:
        raise HttpError(
            HTTPStatus.BAD_REQUEST, f"bad request line {lines[0]!r}", "METHOD /path HTTP/1.1"
        )
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise HttpError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"{version!r} is not HTTP/1.x")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, value = _header_field(line)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return method, target.split("?", 1)[0], version, headers


def _header_field(line: str) -> tuple[str, str]:
    name, colon, value = line.partition(":")
    if not colon or not name or not set(name) <= TOKEN:
        raise HttpError(HTTPStatus.BAD_REQUEST, f"bad header field {line!r}", "Name: value")
    return name.lower(), value.strip(" \t")


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "transfer-encoding" in headers:
        raise HttpError(
            HTTPStatus.LENGTH_REQUIRED, "chunked bodies are not accepted", "a Content-Length header"
        )
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise HttpError(
            HTTPStatus.BAD_REQUEST,
            f"bad Content-Length {length_text!r}",
            "a decimal number of bytes",
        )
    length = int(length_text)
    if length > MAX_BODY:
        raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over {MAX_BODY} bytes")
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise HttpError(HTTPStatus.BAD_REQUEST, "the body is shorter than Content-Length") from None


def response(
    status: HTTPStatus,
    payload: object,
    keep_alive: bool,
    extra: dict[str, str] | None = None,
    head_only: bool = False,
) -> bytes:
    """A complete response (status line, fields, body): JSON, or ``payload`` as it is
    when it is bytes (a static file; ``extra`` then names its Content-Type)."""
    if isinstance(payload, bytes):
        body = payload
    else:
        body = (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode()
    fields = {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": str(len(body)),
        "Connection": "keep-alive" if keep_alive else "close",
        "Cache-Control": "no-store",
        **(extra or {}),
    }
    head = f"HTTP/1.1 {status.value} {status.phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return (head + "\r\n").encode("ascii") + (b"" if head_only else body)
