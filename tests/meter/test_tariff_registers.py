"""Rate registers (T1..T4 sum to the total exactly) and cached local time rules."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec.types import Integer
from openamr.cosem.classes.clock import Clock
from openamr.meter.tariff.localtime import CachedLocalTime, local, zone_pieces
from openamr.meter.tariff.registers import RateRegisters, RateSnapshot

UTC = dt.UTC


def test_whole_watt_hours_go_to_the_rate_in_force_when_they_complete() -> None:
    registers = RateRegisters()
    assert registers.add(0.6, 1) == 0
    assert registers.add(0.6, 2) == 1  # the carried 0.6 completes in T2
    assert registers.snapshot() == RateSnapshot(1, (0, 1, 0, 0))
    assert registers.add(10.0, 3) == 10
    assert registers.total == 11 and registers.rate(3) == 10
    assert registers.carry == pytest.approx(0.2)


def test_restore_from_a_committed_state() -> None:
    registers = RateRegisters(initial=(5, 6, 7, 8), carry=0.5)
    registers.add(0.5, 4)
    assert registers.snapshot() == RateSnapshot(27, (5, 6, 7, 9))
    with pytest.raises(ValueError, match="non-negative"):
        RateRegisters(initial=(1, 2))
    with pytest.raises(ValueError, match="fraction"):
        RateRegisters(carry=1.0)
    with pytest.raises(ValueError, match=r"rate in 1\.\.4"):
        registers.add(1.0, 5)
    with pytest.raises(ValueError, match="energy must be"):
        registers.add(-1.0, 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10_000), st.integers(1, 4)), max_size=200))
def test_rates_sum_to_the_total_and_nothing_is_lost(deltas: list[tuple[float, int]]) -> None:
    registers = RateRegisters()
    counted = sum(registers.add(e, r) for e, r in deltas)
    given_energy = sum(e for e, _ in deltas)
    assert registers.total == sum(registers.rates) == counted
    assert -1e-6 <= given_energy - registers.total < 1 + 1e-6


def make_clock() -> Clock:
    at = dt.datetime(2024, 1, 1, tzinfo=UTC)
    return Clock("0.0.1.0.0.255", lambda: at, lambda _: None)


def test_cached_rules_agree_with_the_clock_stepping_and_jumping() -> None:
    clock = make_clock()
    cached = CachedLocalTime(clock)
    t = dt.datetime(2024, 3, 30, tzinfo=UTC)
    while t < dt.datetime(2024, 11, 2, tzinfo=UTC):
        assert local(cached, t) == local(clock, t), t
        assert local(cached, t - dt.timedelta(days=1)) == local(clock, t - dt.timedelta(days=1))
        t += dt.timedelta(minutes=37)
    for probe in (dt.datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC),
                  dt.datetime(2024, 3, 31, 1, tzinfo=UTC),
                  dt.datetime(2024, 10, 27, 0, 59, 59, 999999, tzinfo=UTC),
                  dt.datetime(2024, 10, 27, 1, tzinfo=UTC)):  # fmt: skip
        assert local(cached, probe) == local(clock, probe)
    a, b = dt.datetime(2024, 3, 1, tzinfo=UTC), dt.datetime(2024, 12, 1, tzinfo=UTC)
    assert zone_pieces(cached, a, b) == zone_pieces(clock, a, b)


def test_cached_rules_follow_a_change_of_the_clocks_rules_at_once() -> None:
    clock = make_clock()
    cached = CachedLocalTime(clock)
    summer = dt.datetime(2024, 7, 1, 12, tzinfo=UTC)
    assert local(cached, summer).hour == 14
    clock.daylight_savings_enabled = False  # a client switches DST off
    assert local(cached, summer).hour == 13  # the rules' attributes changed: forgotten
    cached.invalidate()
    assert local(cached, summer).hour == 13


@given(
    energies=st.lists(st.integers(0, 10_000_000), max_size=20),
    rate=st.integers(1, 4),
    carry=st.sampled_from([0.0, 0.25, None]),
)
@settings(max_examples=150, deadline=None)
def test_a_run_is_add_mj_one_by_one(energies: list[int], rate: int, carry: float | None) -> None:
    """add_run_mj counts like add_mj of each energy in turn (the exact int carry, or
    a float carry of a restored state) and gives the total after each."""
    from fractions import Fraction

    start = Fraction(1234, 3_600_000) if carry is None else carry
    stepwise, run = (RateRegisters(initial=(1, 2, 3, 4), carry=start) for _ in range(2))
    totals = []
    for energy in energies:
        stepwise.add_mj(energy, rate)
        totals.append(stepwise.total)
    assert run.add_run_mj(energies, rate) == totals
    assert run.snapshot() == stepwise.snapshot()
    assert run.carry == stepwise.carry and type(run.carry) is type(stepwise.carry)
    with pytest.raises(ValueError):
        run.add_run_mj([5, -1], rate)


def test_cached_rules_cut_like_the_clock_and_remember_the_cut() -> None:
    clock = Clock("0.0.1.0.0.255", lambda: dt.datetime(2026, 1, 1, tzinfo=UTC), lambda _: None)
    cached = CachedLocalTime(clock)
    spring = dt.datetime(2026, 3, 28, 12, tzinfo=UTC)
    for hours in (1, 12, 13, 30, 24 * 9):
        t1 = spring + dt.timedelta(hours=hours)
        expected = zone_pieces(clock, spring, t1)
        assert zone_pieces(cached, spring, t1) == expected
        assert zone_pieces(cached, spring, t1) == expected  # remembered: the same cut
    pieces = zone_pieces(cached, spring, spring + dt.timedelta(days=2))
    pieces.clear()  # the caller's own list: the remembered cut is not touched
    assert len(zone_pieces(cached, spring, spring + dt.timedelta(days=2))) == 2
    clock.time_zone = Integer(-120)  # other rules: after invalidate() a new cut
    cached.invalidate()
    moved = zone_pieces(cached, spring, spring + dt.timedelta(days=2))
    assert moved == zone_pieces(clock, spring, spring + dt.timedelta(days=2))
    assert moved[0].offset == dt.timedelta(hours=2)
