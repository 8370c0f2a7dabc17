"""The twin engine's state as JSON, for the state store's ``kv`` table
(:mod:`openamr.meter.persistence`).

Everything is exact: integers stay integers, a register's carry (a Fraction of a
Wh) is stored as ``[numerator, denominator]``, floats go through ``repr`` (JSON
round-trips an IEEE double exactly), instants are ISO 8601 with their UTC offset::

    engine     {"true_t": "2026-01-05T10:15:00+00:00", "offset": [days, s, us],
                "status": 0, "day_status": 0, "rate": 1,
                "powered": true, "billing_counter": 3,
                "a_plus": {"rates": [T1, T2, T3, T4], "carry": [n, d]}, "a_minus": ...}
    demand     DemandState: every field, instants as ISO 8601
    metrology  {"disturbances": [[start, end, phase|null, kind, level], ...],
                "steps": [[start, level_w|null, scale], ...]}

A value that does not have this shape raises :class:`StateError` (a corrupt or
foreign state file), never something else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from typing import TypeVar

from openamr.meter.metrology.model import Disturbance, DisturbanceKind, LoadStep, Phase
from openamr.meter.snapshot import Registers
from openamr.meter.state.store import Json, StateError
from openamr.meter.tariff import DemandEngine, DemandState, MaximumDemand, RateRegisters
from openamr.meter.tariff.registers import Wh

T = TypeVar("T")


# -- small exact pieces ------------------------------------------------------------------


def instant_json(at: dt.datetime) -> str:
    if at.utcoffset() is None:
        raise ValueError(f"the state stores aware instants, got {at}")
    return at.isoformat()


def instant_of(value: Json) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(_str(value))
    except ValueError:
        raise StateError(f"the state holds {value!r} where an instant belongs") from None
    if at.utcoffset() is None:
        raise StateError(f"the state holds a naive instant {value!r}")
    return at


def delta_json(delta: dt.timedelta) -> list[Json]:
    """A timedelta exactly: [days, seconds, microseconds]."""
    return [delta.days, delta.seconds, delta.microseconds]


def delta_of(value: Json) -> dt.timedelta:
    days, seconds, micro = (_int(v) for v in _list(value, 3))
    try:
        return dt.timedelta(days=days, seconds=seconds, microseconds=micro)
    except OverflowError:
        raise StateError(f"the state holds {value!r} where a time offset belongs") from None


def _int(value: Json) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StateError(f"the state holds {value!r} where an integer belongs")
    return value


def _float(value: Json) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateError(f"the state holds {value!r} where a number belongs")
    return float(value)


def _str(value: Json) -> str:
    if not isinstance(value, str):
        raise StateError(f"the state holds {value!r} where a string belongs")
    return value


def _bool(value: Json) -> bool:
    if not isinstance(value, bool):
        raise StateError(f"the state holds {value!r} where a boolean belongs")
    return value


def _list(value: Json, size: int | None = None) -> list[Json]:
    if not isinstance(value, list) or (size is not None and len(value) != size):
        raise StateError(f"the state holds {value!r} where a list of {size} belongs")
    return value


def _dict(value: Json) -> dict[str, Json]:
    if not isinstance(value, dict):
        raise StateError(f"the state holds {value!r} where an object belongs")
    return value


def _optional(value: Json, read: Callable[[Json], T]) -> T | None:
    return None if value is None else read(value)


def field(obj: dict[str, Json], name: str) -> Json:
    if name not in obj:
        raise StateError(f"the state lacks {name!r}")
    return obj[name]


# -- energy registers ---------------------------------------------------------------------


def registers_json(registers: RateRegisters | Registers) -> dict[str, Json]:
    carry = Fraction(registers.carry)
    return {"rates": list(registers.rates), "carry": [carry.numerator, carry.denominator]}


def registers_of(value: Json) -> RateRegisters:
    obj = _dict(value)
    rates = tuple(_int(r) for r in _list(field(obj, "rates")))
    numerator, denominator = (_int(v) for v in _list(field(obj, "carry"), 2))
    try:
        carry = Fraction(numerator, denominator)
        return RateRegisters(len(rates), rates, carry=carry)
    except (ValueError, ZeroDivisionError) as e:
        raise StateError(f"the state holds unusable energy registers: {e}") from None


# -- demand -------------------------------------------------------------------------------


def exact_json(x: Wh) -> Json:
    """An energy or a power, exact: a Fraction as [numerator, denominator]."""
    return [x.numerator, x.denominator] if isinstance(x, Fraction) else x


def exact_of(value: Json) -> Wh:
    if isinstance(value, list):
        numerator, denominator = (_int(v) for v in _list(value, 2))
        try:
            return Fraction(numerator, denominator)
        except ZeroDivisionError:
            raise StateError("the state holds a fraction over zero") from None
    return _float(value)


def _maximum_json(m: MaximumDemand | None) -> Json:
    return None if m is None else [exact_json(m.value), instant_json(m.captured_at)]


def _maximum_of(value: Json) -> MaximumDemand:
    v, at = _list(value, 2)
    return MaximumDemand(exact_of(v), instant_of(at))


def demand_json(s: DemandState) -> dict[str, Json]:
    return {
        "period": s.period,
        "number_of_periods": s.number_of_periods,
        "rates": s.rates,
        "position": instant_json(s.position),
        "started": instant_json(s.started),
        "period_start": instant_json(s.period_start),
        "energy": exact_json(s.energy),
        "rate": s.rate,
        "window": [[exact_json(e), seconds] for e, seconds in s.window],
        "last_average": exact_json(s.last_average),
        "capture_time": None if s.capture_time is None else instant_json(s.capture_time),
        "maxima": [_maximum_json(m) for m in s.maxima],
    }


def demand_of(value: Json) -> DemandState:
    """A DemandState that a DemandEngine accepts."""
    state = _demand_state(_dict(value))
    try:
        DemandEngine.from_state(state)
    except (ValueError, TypeError, OverflowError) as e:
        raise StateError(f"the state holds an unusable demand state: {e}") from None
    return state


def _demand_state(o: dict[str, Json]) -> DemandState:

    def window(v: Json) -> tuple[Wh, float]:
        e, s = _list(v, 2)
        return exact_of(e), _float(s)

    return DemandState(
        period=_int(field(o, "period")),
        number_of_periods=_int(field(o, "number_of_periods")),
        rates=_int(field(o, "rates")),
        position=instant_of(field(o, "position")),
        started=instant_of(field(o, "started")),
        period_start=instant_of(field(o, "period_start")),
        energy=exact_of(field(o, "energy")),
        rate=_optional(field(o, "rate"), _int),
        window=tuple(window(v) for v in _list(field(o, "window"))),
        last_average=exact_of(field(o, "last_average")),
        capture_time=_optional(field(o, "capture_time"), instant_of),
        maxima=tuple(_optional(m, _maximum_of) for m in _list(field(o, "maxima"))),
    )


# -- metrology: the injected events that still matter -------------------------------------


def disturbance_json(d: Disturbance) -> list[Json]:
    return [d.start, d.end, None if d.phase is None else int(d.phase), d.kind.value, d.level]


def disturbance_of(value: Json) -> Disturbance:
    start, end, phase, kind, level = _list(value, 5)
    try:
        return Disturbance(
            _int(start), _int(end), _optional(phase, lambda p: Phase(_int(p))),
            DisturbanceKind(_str(kind)), _float(level),
        )  # fmt: skip
    except ValueError as e:
        raise StateError(f"the state holds an unusable disturbance: {e}") from None


def step_json(s: LoadStep) -> list[Json]:
    return [s.start, s.level_w, s.scale]


def step_of(value: Json) -> LoadStep:
    start, level, scale = _list(value, 3)
    try:
        return LoadStep(_int(start), _optional(level, _int), _float(scale))
    except ValueError as e:
        raise StateError(f"the state holds an unusable load step: {e}") from None


def as_dict(value: Json) -> dict[str, Json]:
    return _dict(value)


def as_list(value: Json) -> list[Json]:
    return _list(value)


def as_int(value: Json) -> int:
    return _int(value)


def as_bool(value: Json) -> bool:
    return _bool(value)
