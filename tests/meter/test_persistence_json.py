"""The engine state's JSON: exact round trips; anything else raises StateError only."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, Phase
from openamr.meter.persistence import json_codec as pj
from openamr.meter.state import Json, StateError
from openamr.meter.tariff import DemandEngine, RateRegisters

T0 = dt.datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=dt.UTC)


def through_json(value: Json) -> Json:
    loaded: Json = json.loads(json.dumps(value, allow_nan=False))
    return loaded


def test_registers_keep_their_exact_carry() -> None:
    r = RateRegisters(carry=Fraction(0))
    r.add(Fraction(12_345_678_901, 3_600_000), 2)
    r.add(Fraction(1, 3_600_000), 4)
    back = pj.registers_of(through_json(pj.registers_json(r)))
    assert back.rates == r.rates and back.carry == r.carry
    assert isinstance(back.carry, Fraction)


def test_demand_state_round_trips_exactly() -> None:
    engine = DemandEngine(T0, 900, number_of_periods=3)
    for i in range(1, 9):
        engine.add(0.1 + i / 7, 1 + i % 4, T0 + dt.timedelta(seconds=400 * i))
    state = engine.state()
    assert state.maxima[0] is not None and len(state.window) == 3
    assert pj.demand_of(through_json(pj.demand_json(state))) == state


@pytest.mark.parametrize(
    "item",
    [
        Disturbance(10, 20, None, DisturbanceKind.POWER_FAILURE),
        Disturbance(10, 20, Phase.L2, DisturbanceKind.SAG, 0.61),
        Disturbance(10, 20, Phase.L3, DisturbanceKind.SWELL, 1.2),
        LoadStep(99, 4200),
        LoadStep(99, None, 0.5),
    ],
    ids=["failure", "sag", "swell", "level", "scale"],
)
def test_injected_events_round_trip(item: Disturbance | LoadStep) -> None:
    if isinstance(item, Disturbance):
        assert pj.disturbance_of(through_json(pj.disturbance_json(item))) == item
    else:
        assert pj.step_of(through_json(pj.step_json(item))) == item


def test_time_keeps_its_microseconds() -> None:
    offset = dt.timedelta(days=-1, seconds=86_399, microseconds=123_456)
    assert pj.delta_of(through_json(pj.delta_json(offset))) == offset
    assert pj.instant_of(through_json(pj.instant_json(T0))) == T0
    with pytest.raises(StateError, match="naive"):
        pj.instant_of("2026-01-01T00:00:00")


LEAF = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["2026-01-01T00:00:00+00:00", "sag", "power-failure", "2026-13-01"])
)  # fmt: skip
JSON = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)
DEMAND_KEYS = (
    "period", "number_of_periods", "rates", "position", "started", "period_start", "energy",
    "rate", "window", "last_average", "capture_time", "maxima",
)  # fmt: skip
#: Each reader with values of nearly its own shape (the right keys and lengths).
SHAPED: list[tuple[Callable[[Json], object], st.SearchStrategy[Json]]] = [
    (pj.registers_of, st.fixed_dictionaries({"rates": st.lists(LEAF), "carry": st.lists(LEAF)})),
    (pj.demand_of, st.fixed_dictionaries({k: LEAF | JSON for k in DEMAND_KEYS})),
    (pj.disturbance_of, st.lists(LEAF, min_size=5, max_size=5)),
    (pj.step_of, st.lists(LEAF, min_size=3, max_size=3)),
    (pj.delta_of, st.lists(LEAF, min_size=3, max_size=3)),
    (pj.instant_of, LEAF),
]


@settings(max_examples=60, deadline=None)
@given(st.data())
@pytest.mark.parametrize(("read", "shape"), SHAPED, ids=lambda x: getattr(x, "__name__", "v"))
def test_a_foreign_value_raises_only_state_error(
    read: Callable[[Json], object], shape: st.SearchStrategy[Json], data: st.DataObject
) -> None:
    for value in (data.draw(shape), data.draw(JSON)):
        with contextlib.suppress(StateError):
            read(value)


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (pj.instant_of, "abc"),
        (pj.delta_of, [10**12, 0, 0]),
        (pj.registers_of, {"rates": [1], "carry": [1, 0]}),
        (pj.registers_of, {"rates": [-1], "carry": [0, 1]}),
        (pj.disturbance_of, [1, 2, None, "sag", 5.0]),
        (pj.disturbance_of, [1, 2, 4, "sag", 0.5]),
        (pj.step_of, [1, -5, 1.0]),
    ],
    ids=["instant", "delta", "zero-denominator", "negative", "level", "phase", "step"],
)
def test_foreign_values(read: Callable[[Json], object], value: Json) -> None:
    with pytest.raises(StateError):
        read(value)
