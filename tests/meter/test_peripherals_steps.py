"""The peripherals are exact in time like the engine: the same history whatever the
steps the clock takes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.assembly import TwinMeter
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.model import LoadStep, seconds
from openamr.meter.mt372 import build_mt372

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
LOG = Obis.parse("1.0.99.98.0.255")


def scripted() -> tuple[TwinMeter, SteppedTime]:
    """A limiter in mode 6 against a load that comes and goes, pulses, a cover."""
    time = SteppedTime(START)
    meter = build_mt372("20261234", time_base=time)
    twin, p = meter.twin, meter.peripherals
    p.contactor.control.set_control_mode(6)
    p.limiter.set_durations(over_s=180, under_s=120)
    p.set_load_limit(3500)
    t0 = seconds(twin.true_t)
    for start, level in ((600, 6000), (2400, None), (4000, 8000), (5000, 500)):
        p.contactor.load_step(LoadStep(t0 + start, level))
    p.pulses(1, 17, START + dt.timedelta(seconds=1234))
    p.open_cover("terminal", START + dt.timedelta(seconds=4321))
    return meter, time


def history(meter: TwinMeter) -> tuple[object, ...]:
    twin, p = meter.twin, meter.peripherals
    log = twin.device.find(LOG)
    assert isinstance(log, ProfileGeneric)
    return tuple(log.rows), twin.a_plus.total, p.contactor.state, p.inputs.litres(1)


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 1500), min_size=1, max_size=12))
def test_the_history_does_not_depend_on_the_steps(steps: list[int]) -> None:
    whole = 7200
    one, t1 = scripted()
    t1.step(whole)
    one.twin.advance()
    many, t2 = scripted()
    done = 0
    for s in steps:
        s = min(s, whole - done)
        t2.step(s)
        many.twin.advance()
        done += s
    t2.step(whole - done)
    many.twin.advance()
    assert history(one) == history(many)
    codes = [int(r[1]) for r in history(one)[0]]  # type: ignore[attr-defined]
    assert codes.count(0x8043) >= 2 and codes.count(0x8044) >= 2  # it did limit, twice
