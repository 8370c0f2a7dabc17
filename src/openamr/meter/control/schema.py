"""The control endpoint's routes as data: each route declares its body fields (what
each takes, in words, and the check), and :func:`parse_args` checks a request body
against them, so a bad request is answered with what is wrong and what is expected.

Sans-IO: a route is a function of the meter (:class:`Controlled`) and the checked
body; a refusal is a :class:`ControlError` carrying its HTTP status (RFC 9110 15),
which the adapter (:mod:`openamr.aio.control`) writes as it is.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TypeGuard

from openamr.meter.peripherals import Peripherals
from openamr.meter.twin import Twin

#: A JSON object, as the routes answer it.
Json = dict[str, object]

Args = Mapping[str, object]


class ControlError(Exception):
    """A request the endpoint refuses: the status, what is wrong, what is expected."""

    def __init__(self, status: HTTPStatus, error: str, expected: object = None) -> None:
        super().__init__(error)
        self.status, self.error, self.expected = status, error, expected

    def payload(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.error}
        if self.expected is not None:
            body["expected"] = self.expected
        return body


@dataclass(frozen=True, slots=True)
class Controlled:
    """What the routes act on: the engine and its peripherals (None: not installed)."""

    twin: Twin
    peripherals: Peripherals | None = None


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


@dataclass(frozen=True)
class Route:
    summary: str
    handler: Callable[[Controlled, Args], Json]
    fields: Mapping[str, Field] = field(default_factory=dict)

    def expected(self) -> dict[str, str]:
        return {name: f.expected for name, f in self.fields.items()}


def is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def number(args: Args, name: str, default: float = 0.0) -> float:
    """A checked number field of a body, or ``default`` when it is absent."""
    v = args.get(name)
    return float(v) if is_number(v) else default


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
            raise ControlError(
                HTTPStatus.BAD_REQUEST, f"the body is not JSON: {e}", expected
            ) from None
    if not isinstance(args, dict):
        raise ControlError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object", expected)
    for name, value in args.items():
        f = route.fields.get(name)
        if f is None:
            raise ControlError(HTTPStatus.BAD_REQUEST, f"unknown field {name!r}", expected)
        if not f.accept(value):
            error = f"{name} is {json.dumps(value)}: expected {f.expected}"
            raise ControlError(HTTPStatus.BAD_REQUEST, error, expected)
    missing = [name for name, f in route.fields.items() if f.required and name not in args]
    if missing:
        raise ControlError(HTTPStatus.BAD_REQUEST, f"missing {', '.join(missing)}", expected)
    return args
