"""The control endpoint's grid routes: power failure, phase loss, sag, swell, current
reversal, phase sequence (:class:`Disturbance`), and load changes (:class:`LoadStep`).

A grid event starts at the next whole second of true time: the quality events of an
advance are those at instants in (reached, now], so an event at the very instant the
twin has reached would never be logged. A load change goes through the contactor
when the twin has one (held while it is open, see
:meth:`openamr.meter.peripherals.relays.Contactor.load_step`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from http import HTTPStatus

from openamr.meter.control.schema import (
    Args,
    ControlError,
    Controlled,
    Field,
    Json,
    Route,
    between,
    is_int,
    is_number,
    number,
)
from openamr.meter.control.views import clock, disturbance, load_step
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, Phase, seconds
from openamr.meter.twin import Twin

MAX_DURATION_S = 10 * 366 * 86_400


DURATION = Field(
    f"seconds, a number > 0 and <= {MAX_DURATION_S}", between(0, MAX_DURATION_S, lo_open=True)
)
PHASE = Field("1, 2 or 3", lambda v: is_int(v) and 1 <= v <= 3)
ANY_PHASE = PHASE.optional("1, 2 or 3; null or left out: all phases")
SAG_LEVEL = Field(
    "the voltage as a fraction of Un, 0 <= level < 1", lambda v: is_number(v) and 0 <= v < 1
)
SWELL_LEVEL = Field("the voltage as a multiple of Un, 1 < level <= 2", between(1, 2, lo_open=True))
LEVEL_W = Field(
    "watts, an integer >= 0 (total over the phases)",
    lambda v: is_int(v) and v >= 0,
    required=False,
)
SCALE = Field("a factor of the model's load, 0 <= scale <= 100", between(0, 100), required=False)


def _phase(args: Args) -> Phase | None:
    v = args.get("phase")
    return Phase(v) if isinstance(v, int) else None


def _start(twin: Twin) -> int:
    """The next whole second of true time: an event at the instant the twin has
    reached would fall outside every later advance, (reached, now]."""
    return seconds(twin.true_t) + 1


def _injector(kind: DisturbanceKind) -> Callable[[Controlled, Args], Json]:
    def inject(m: Controlled, args: Args) -> Json:
        twin = m.twin
        start = _start(twin)
        duration = max(1, math.ceil(number(args, "duration_s")))
        d = Disturbance(start, start + duration, _phase(args), kind, number(args, "level"))
        twin.inject(d)
        return {"injected": disturbance(d), "clock": clock(twin)}

    return inject


def _load(m: Controlled, args: Args) -> Json:
    twin = m.twin
    if ("level_w" in args) == ("scale" in args):
        expected = {"level_w": LEVEL_W.expected, "scale": SCALE.expected}
        raise ControlError(
            HTTPStatus.BAD_REQUEST, "give exactly one of level_w and scale", expected
        )
    level = args.get("level_w")
    step = LoadStep(_start(twin), level if is_int(level) else None, number(args, "scale", 1.0))
    if m.peripherals is None:
        twin.add_load_step(step)
    else:
        m.peripherals.contactor.load_step(step)  # held while the contactor is open
    return {"injected": load_step(step), "clock": clock(twin)}


def _grid(summary: str, kind: DisturbanceKind, **fields: Field) -> Route:
    return Route(summary, _injector(kind), {**fields, "duration_s": DURATION})


GRID_ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/power-failure"): _grid("no voltage on any phase", DisturbanceKind.POWER_FAILURE),
    ("POST", "/phase-loss"): _grid(
        "no voltage on one phase", DisturbanceKind.PHASE_LOSS, phase=PHASE
    ),
    ("POST", "/sag"): _grid(
        "voltage held below Un", DisturbanceKind.SAG, phase=ANY_PHASE, level=SAG_LEVEL
    ),
    ("POST", "/swell"): _grid(
        "voltage held above Un", DisturbanceKind.SWELL, phase=ANY_PHASE, level=SWELL_LEVEL
    ),
    ("POST", "/reversal"): _grid(
        "current flows backwards on a phase", DisturbanceKind.CURRENT_REVERSAL, phase=ANY_PHASE
    ),
    ("POST", "/phase-sequence"): _grid("L2 and L3 swapped", DisturbanceKind.PHASE_SEQUENCE),
    ("POST", "/load"): Route(
        "a load change from now: give level_w or scale", _load, {"level_w": LEVEL_W, "scale": SCALE}
    ),
}
