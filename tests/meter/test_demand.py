"""Demand: block and sliding averages, period boundaries, maximum demand per rate."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.tariff.demand import DemandEngine, DemandPeriodEnd, MaximumDemand, align

UTC = dt.UTC
T0 = dt.datetime(2024, 1, 8, 0, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def peak(watts: float, when: dt.datetime) -> tuple[object, dt.datetime]:
    """What a maximum demand should be (the value within 1e-6 relative)."""
    return (pytest.approx(watts), when)


def same(found: MaximumDemand | None, expected: tuple[object, dt.datetime]) -> bool:
    return found is not None and (found.value, found.captured_at) == expected


def feed(
    engine: DemandEngine, watts: float, rate: int, until: float, step: float = 1
) -> list[DemandPeriodEnd]:
    """Constant power from the engine's position to ``until`` minutes, in steps."""
    events: list[DemandPeriodEnd] = []
    now = (engine.position - T0).total_seconds() / 60
    while now < until:
        nxt = min(now + step, until)
        events += engine.add(watts * (nxt - now) / 60, rate, at(nxt))
        now = nxt
    return events


def test_block_demand_under_constant_load() -> None:
    engine = DemandEngine(T0, period=900)
    assert engine.next_boundary() == at(15)
    events = feed(engine, 2000, 1, 7.5)
    assert events == [] and engine.current_average == pytest.approx(2000)
    assert engine.start_time_current == T0 and engine.last_average == 0
    events = feed(engine, 2000, 1, 15)
    assert len(events) == 1 and engine.last_average == pytest.approx(2000)
    assert engine.capture_time == at(15) and engine.start_time_current == at(15)
    assert engine.current_average == 0  # no time elapsed in the new period


def test_a_delta_spanning_boundaries_is_split_pro_rata() -> None:
    engine = DemandEngine(T0, period=900)
    events = engine.add(1500.0, 2, at(37.5))  # 2400 W for 37.5 minutes
    assert [(e.start, e.end) for e in events] == [(T0, at(15)), (at(15), at(30))]
    assert [e.energy_wh for e in events] == pytest.approx([600, 600])
    assert [e.average_w for e in events] == pytest.approx([2400, 2400])
    assert engine.energy == pytest.approx(300)
    assert engine.current_average == pytest.approx(2400)


def test_a_delta_ending_exactly_at_the_boundary_closes_the_period() -> None:
    engine = DemandEngine(T0, period=900)
    events = engine.add(250.0, 1, at(15))
    assert len(events) == 1 and events[0].end == at(15) and events[0].average_w == 1000
    assert engine.add(0.0, 1, at(15)) == []  # nothing more to close at the same instant


def test_start_in_the_middle_of_a_period() -> None:
    engine = DemandEngine(at(10), period=900)
    assert engine.start_time_current == at(10) and engine.period_start == T0
    feed(engine, 3000, 1, 14)
    assert engine.current_average == pytest.approx(3000)  # over the elapsed 4 minutes
    (event,) = feed(engine, 3000, 1, 15)
    assert event.start == at(10)
    assert event.average_w == pytest.approx(1000)  # 250 Wh over the full 15 minutes


def test_maximum_demand_per_rate_with_capture_time() -> None:
    engine = DemandEngine(T0, period=900)
    feed(engine, 1000, 2, 6 * 60)  # night, T2, 1 kW
    feed(engine, 1500, 1, 10 * 60 + 15)  # day, T1
    feed(engine, 4000, 1, 10 * 60 + 30)  # a peak 10:15-10:30
    feed(engine, 1500, 1, 22 * 60)
    feed(engine, 3000, 2, 23 * 60)
    feed(engine, 3500, 2, 23 * 60 + 15)  # the night's peak 23:00-23:15
    feed(engine, 500, 2, 24 * 60)
    assert same(engine.maximum(), peak(4000, at(10 * 60 + 30)))
    assert same(engine.maximum(1), peak(4000, at(10 * 60 + 30)))
    assert same(engine.maximum(2), peak(3500, at(23 * 60 + 15)))
    assert engine.maximum(3) is None and engine.maximum(4) is None


def test_period_ending_at_a_rate_switch_counts_for_the_rate_before_it() -> None:
    engine = DemandEngine(at(5 * 60 + 45), period=900)
    (event,) = engine.add(1000.0, 2, at(6 * 60))  # 4 kW 05:45-06:00 in T2; T1 from 06:00
    assert event.rate == 2 and engine.maximum(2) is not None and engine.maximum(1) is None
    feed(engine, 100, 1, 6 * 60 + 15)
    assert same(engine.maximum(1), peak(100, at(6 * 60 + 15)))


def test_equal_demand_keeps_the_first_capture_time() -> None:
    engine = DemandEngine(T0, period=900)
    feed(engine, 2000, 1, 60)
    assert same(engine.maximum(), peak(2000, at(15)))


def test_sliding_demand_over_three_periods() -> None:
    engine = DemandEngine(T0, period=300, number_of_periods=3)
    events = []
    for minutes, watts in ((5, 600), (10, 1200), (15, 1800), (20, 2400)):
        events += feed(engine, watts, 1, minutes)
    # the window counts the periods before the start as zero
    assert [e.average_w for e in events] == pytest.approx([200, 600, 1200, 1800])
    assert same(engine.maximum(), peak(1800, at(20)))
    feed(engine, 3000, 1, 22.5)  # 2.5 minutes into the next period
    # current: the last 2 periods and the running part, over their time
    expected = (1800 * 5 + 2400 * 5 + 3000 * 2.5) / 12.5
    assert engine.current_average == pytest.approx(expected)


def test_reset_and_next_period_methods() -> None:
    engine = DemandEngine(T0, period=900)
    feed(engine, 2000, 1, 20)
    engine.reset(at(20))
    assert engine.last_average == 0 and engine.current_average == 0
    assert engine.capture_time == at(20) and engine.start_time_current == at(20)
    feed(engine, 1000, 1, 25)
    event = engine.next_period(at(25))
    assert event.start == at(20) and event.end == at(25)
    assert event.average_w == pytest.approx(1000 / 3)  # 83.3 Wh over the 15-minute period
    assert engine.start_time_current == at(25) and engine.next_boundary() == at(30)
    with pytest.raises(ValueError, match="energy up to"):
        engine.next_period(at(26))


def test_clock_set_back_ends_the_period_and_goes_on_from_the_new_time() -> None:
    engine = DemandEngine(T0, period=900)
    feed(engine, 2000, 1, 10)
    event = engine.clock_set(at(-30))
    assert event.end == at(10) and event.energy_wh == pytest.approx(2000 / 6)
    assert engine.position == at(-30) and engine.next_boundary() == at(-15)
    (closed,) = feed(engine, 1000, 1, -15)
    assert closed.average_w == pytest.approx(1000)


def test_reset_maxima_for_the_end_of_billing() -> None:
    engine = DemandEngine(T0, period=900)
    feed(engine, 2000, 3, 30)
    before = engine.reset_maxima(at(30))
    assert same(before[0], peak(2000, at(15))) and same(before[3], peak(2000, at(15)))
    assert all(m == MaximumDemand(0.0, at(30)) for m in engine.maxima)
    feed(engine, 10, 3, 45)
    assert same(engine.maximum(3), peak(10, at(45)))
    assert engine.maximum(1) == MaximumDemand(0.0, at(30))


@pytest.mark.parametrize(
    ("energy", "rate", "minutes", "message"),
    [
        pytest.param(1.0, 0, 1, "rate 0", id="rate-0"),
        pytest.param(1.0, 5, 1, "rate 5", id="rate-5"),
        pytest.param(-1.0, 1, 1, "energy must be", id="negative"),
        pytest.param(1.0, 1, -1, "must not go back", id="backwards"),
    ],
)
def test_bad_input_is_our_bug(energy: float, rate: int, minutes: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DemandEngine(T0).add(energy, rate, at(minutes))


def test_bad_configuration() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        DemandEngine(T0, period=0)
    with pytest.raises(ValueError, match="aware"):
        DemandEngine(dt.datetime(2024, 1, 1))


def test_periods_align_on_the_epoch() -> None:
    assert align(dt.datetime(2024, 1, 8, 10, 7, 30, tzinfo=UTC), 900) == at(10 * 60)
    assert align(dt.datetime(2024, 1, 8, 10, 7, 30, tzinfo=UTC), 3600) == at(10 * 60)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([60, 300, 900, 1800, 3600]),
    st.integers(1, 4),
    st.lists(st.tuples(st.integers(1, 4000), st.floats(0, 500), st.integers(1, 4)), max_size=40),
)
def test_energy_is_conserved_and_averages_follow_it(
    period: int, n: int, steps: list[tuple[int, float, int]]
) -> None:
    engine = DemandEngine(T0, period=period, number_of_periods=n)
    now, given_energy, events = T0, 0.0, []
    for seconds, energy, rate in steps:
        now += dt.timedelta(seconds=seconds)
        events += engine.add(energy, rate, now)
        given_energy += energy
    assert sum(e.energy_wh for e in events) + engine.energy == pytest.approx(given_energy)
    ends = [e.end for e in events]
    assert ends == sorted(ends) and all(e.end == align(e.end, period) for e in events)
    for i, e in enumerate(events):
        window = events[max(0, i - n + 1) : i + 1]
        assert e.average_w == pytest.approx(sum(w.energy_wh for w in window) * 3600 / (n * period))
    best = max((e.average_w for e in events), default=None)
    top = engine.maximum()
    assert (top is None) == (best is None)
    if top is not None and best is not None:
        assert top.value == best


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([300, 900]),
    st.integers(1, 3),
    st.lists(st.tuples(st.integers(1, 2000), st.floats(0, 500), st.integers(1, 4)), max_size=30),
    st.integers(0, 30),
)
def test_a_restored_engine_goes_on_exactly_like_the_original(
    period: int, n: int, steps: list[tuple[int, float, int]], cut: int
) -> None:
    original = DemandEngine(T0, period=period, number_of_periods=n)
    restored: DemandEngine | None = None
    now, a, b = T0, [], []
    for i, (seconds, energy, rate) in enumerate(steps):
        if i == cut:
            restored = DemandEngine.from_state(original.state())
        now += dt.timedelta(seconds=seconds)
        a += original.add(energy, rate, now)
        if restored is not None:
            b += restored.add(energy, rate, now)
    if restored is not None:
        assert restored.state() == original.state()
        assert b == a[len(a) - len(b) :]
        assert restored.current_average == original.current_average


@given(
    periods=st.integers(1, 3),
    offset=st.integers(0, 899),
    head=st.one_of(st.none(), st.integers(0, 5_000_000)),
    energies=st.lists(st.one_of(st.integers(0, 20_000_000), st.integers(0, 3)), max_size=12),
    rate=st.integers(1, 4),
    float_energy=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_a_run_of_periods_is_add_mj_period_by_period(
    periods: int,
    offset: int,
    head: int | None,
    energies: list[int],
    rate: int,
    float_energy: bool,
) -> None:
    """add_periods_mj leaves the very state (window, averages, maxima, capture times,
    types) that add_mj at each period end leaves, from a start in mid-period, with
    block or sliding demand, and from the Wh representation (a float energy) too."""
    start = T0 + dt.timedelta(seconds=offset)
    engines = [DemandEngine(start, 900, periods) for _ in range(2)]
    for engine in engines:
        if float_energy:
            engine.add(0.25, 2, start + dt.timedelta(seconds=1))
        if head is not None:  # else the run starts the engine's first period
            engine.add_mj(head, 1, start + dt.timedelta(seconds=2))
    stepwise, run = engines
    first = stepwise.next_boundary()
    for k, energy in enumerate(energies):
        stepwise.add_mj(energy, rate, first + k * dt.timedelta(seconds=900))
    run.add_periods_mj(energies, rate, first)
    assert run.state() == stepwise.state()
    assert [type(v) for v in (run.energy, run.last_average)] == [
        type(v) for v in (stepwise.energy, stepwise.last_average)
    ]
    assert run.current_average == stepwise.current_average


def test_a_run_that_does_not_start_at_the_period_end_is_added_one_by_one() -> None:
    stepwise, run = DemandEngine(T0, 900), DemandEngine(T0, 900)
    stepwise.add_mj(1_000, 1, at(5))
    stepwise.add_mj(2_000, 1, at(20))  # a period later, past the end at 15: split
    run.add_periods_mj([1_000, 2_000], 1, at(5))  # not whole periods: add_mj's answer
    assert run.state() == stepwise.state()
    with pytest.raises(ValueError):
        run.add_periods_mj([-1], 1, run.next_boundary())
