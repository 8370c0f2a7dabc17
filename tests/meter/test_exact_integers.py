"""The integer forms of issue 9 against the exact Fraction forms they replace: rate
registers and demand fed whole millijoules, LP1 stamps, and the refresh that returns
at once within the second the twin has reached."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

from hypothesis import example, given, settings
from hypothesis import strategies as st

from openamr.codec.datetime import CosemDateTime
from openamr.cosem.classes.clock import Clock
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
from openamr.meter.profiles import stamp
from openamr.meter.stamps import LpStamps, lp_stamp
from openamr.meter.tariff.demand import DemandEngine
from openamr.meter.tariff.registers import MJ_PER_WH, RateRegisters

T0 = dt.datetime(2026, 3, 29, 0, 7, 30, tzinfo=dt.UTC)
#: (mJ, rate, seconds later) steps of energy
STEPS = st.lists(
    st.tuples(st.integers(0, 40 * MJ_PER_WH), st.integers(1, 4), st.integers(1, 2_000)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(STEPS)
def test_registers_in_millijoules_equal_the_fraction_registers(
    steps: list[tuple[int, int, int]],
) -> None:
    exact, ints = RateRegisters(carry=Fraction(0)), RateRegisters(carry=Fraction(0))
    for mj, rate, _ in steps:
        assert ints.add_mj(mj, rate) == exact.add(Fraction(mj, MJ_PER_WH), rate)
        assert (ints.rates, ints.carry) == (exact.rates, exact.carry)
        assert type(ints.carry) is type(exact.carry)


@settings(max_examples=40, deadline=None)
@given(STEPS, st.sampled_from([(900, 1), (300, 3)]))
def test_demand_in_millijoules_equals_the_fraction_demand(
    steps: list[tuple[int, int, int]], shape: tuple[int, int]
) -> None:
    period, n = shape
    exact, ints = DemandEngine(T0, period, n), DemandEngine(T0, period, n)
    now = T0
    for mj, rate, seconds in steps:
        now += dt.timedelta(seconds=seconds)
        position = ints.position
        while position < now:  # cut at every period end, a share of the energy each
            stop = min(now, ints.next_boundary())
            part = mj * int((stop - position).total_seconds()) // seconds
            ints.add_mj(part, rate, stop)
            exact.add(Fraction(part, MJ_PER_WH), rate, stop)
            position = stop
        assert ints.state() == exact.state()
        assert ints.current_average == exact.current_average
    exact.clock_set(now + dt.timedelta(minutes=5))
    ints.clock_set(now + dt.timedelta(minutes=5))  # back to Wh values, and on again
    ints.add_mj(7, 1, ints.next_boundary())
    exact.add(Fraction(7, MJ_PER_WH), 1, exact.next_boundary())
    assert ints.state() == exact.state()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 366 * 86_400 * 1_000_000), st.sampled_from([0, 0x01, 0x81]))
def test_lp_stamps_equal_the_clock_stamps(microseconds: int, flags: int) -> None:
    clock = Clock("0.0.1.0.0.255", lambda: T0, lambda _: None)
    clock.flags = flags
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=microseconds)
    local = at.astimezone(clock.zone(at))
    dataclass_form = CosemDateTime.from_datetime(local, clock.clock_status(at)).to_bytes()
    assert lp_stamp(clock, at, clock.dst_active(at), clock.flags) == dataclass_form
    assert stamp(clock, at) == dataclass_form


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 366 * 86_400),
    st.sampled_from([0, 250_000]),
    st.sampled_from([900, 3_600, 86_400]),
    st.sampled_from([0, 0x01]),
)
@example(87 * 86_400, 0, 3_600, 0)  # 2026-03-29 from 00:00 UTC: summer time at 01:00
def test_a_run_of_lp_stamps_equals_the_clock_stamps(
    second: int, microsecond: int, step: int, flags: int
) -> None:
    """LpStamps.run over a day and more (a DST change, a new day on the way) gives
    the clock's stamp of each instant."""
    clock = Clock("0.0.1.0.0.255", lambda: T0, lambda _: None)
    clock.flags = flags
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        seconds=second, microseconds=microsecond
    )
    instants = [first + k * dt.timedelta(seconds=step) for k in range(30)]
    dsts = [clock.dst_active(at) for at in instants]
    assert LpStamps(clock).run(first, step, dsts, flags) == [stamp(clock, at) for at in instants]


def test_within_the_second_the_twin_returns_at_once_and_loses_nothing() -> None:
    time, at_once = SteppedTime(T0), SteppedTime(T0)
    meter, other = (
        build_mt372("20269999", time_base=time),
        build_mt372("20269999", time_base=at_once),
    )
    app, twin, reference = meter.app, meter.twin, other.twin
    time.step(0.25)
    app.refresh()
    assert twin.true_t == T0  # nothing is due within the second: no advance at all
    time.step(3_599.75)
    app.refresh()
    at_once.step(3_600)
    other.refresh()
    assert twin.true_t == reference.true_t == T0 + dt.timedelta(hours=1)
    assert twin.a_plus.snapshot() == reference.a_plus.snapshot()
    assert twin.demand.state() == reference.demand.state()
    assert twin.objects.lp1.rows == reference.objects.lp1.rows
