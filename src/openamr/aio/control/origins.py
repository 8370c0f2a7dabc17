"""Who may talk to the control endpoint (issue 11, item 6): it has no
authentication, so a web page must not reach it.

- ``Host`` must be a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``, any
  port), else 403: this defeats DNS rebinding (an HTTP/1.0 request may come without a
  Host; every browser sends one);
- an ``Origin``, when present, must be ``http://`` one of those, else 403;
- a POST must say ``Content-Type: application/json``, else 415: a cross-origin form or
  a "simple" fetch cannot send that without a CORS preflight, and no preflight is
  ever answered.
"""

from __future__ import annotations

from http import HTTPStatus

from openamr.aio.control.http11 import Request

LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
Refusal = tuple[HTTPStatus, object, dict[str, str]]


def _local(authority: str) -> bool:
    """``host[:port]`` names the loopback interface (ports are not checked)."""
    host = authority.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    return host in LOCAL_NAMES


def refused_origin(request: Request) -> Refusal | None:
    """403 for a foreign Host or Origin, 415 for a POST that is not JSON; None for a
    request that may be served."""
    host = request.headers.get("host")
    if host is None and request.version == "HTTP/1.0":
        pass
    elif host is None or not _local(host):
        error = f"Host {host!r} is not this machine's loopback: the endpoint is local only"
        return HTTPStatus.FORBIDDEN, {"error": error, "expected": "Host: 127.0.0.1:<port>"}, {}
    origin = request.headers.get("origin")
    if origin is not None and not (origin.startswith("http://") and _local(origin[7:])):
        error = f"requests from the origin {origin!r} are refused: the endpoint is local only"
        return HTTPStatus.FORBIDDEN, {"error": error}, {}
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method == "POST" and kind != "application/json":
        error = f"a POST body must be JSON, not {kind or 'untyped'}"
        expected = "Content-Type: application/json"
        return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": error, "expected": expected}, {}
    return None
