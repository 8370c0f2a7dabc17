"""The twin's local control endpoint, JSON over HTTP/1.1 (ARCHITECTURE.md "Runtime";
issue 4): the public face of the package.

``endpoint.py`` listens and dispatches; ``http11.py`` is the least HTTP/1.1 it needs
(RFC 9112); ``schema.py`` the routes as data; ``state.py`` the twin's state as JSON;
``grid.py`` and ``peripherals.py`` the routes that inject events. Import from here.
"""

from openamr.aio.control.endpoint import (
    DEFAULT_HOST,
    ROUTES,
    Args,
    ControlEndpoint,
    Field,
    Route,
    parse_args,
    serve_control,
)

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
