"""The twin's control, sans-IO (issue 4, "Persistence and control"): the routes of the
local control endpoint as data, their checks, the state views and the grid and
peripheral verbs; the public face of the package (see :mod:`.routes`). The HTTP/1.1
adapter is :mod:`openamr.aio.control`.
"""

from openamr.meter.control.routes import ROUTES, Answer, Control
from openamr.meter.control.schema import (
    Args,
    ControlError,
    Controlled,
    Field,
    Json,
    Route,
    parse_args,
)

__all__ = [
    "ROUTES",
    "Answer",
    "Args",
    "Control",
    "ControlError",
    "Controlled",
    "Field",
    "Json",
    "Route",
    "parse_args",
]
