"""Realistic shapes: evening peaks, working weeks, PV at noon, local time, seeded fleets."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.metrology import (
    DAY,
    LoadConfig,
    MeterModel,
    Metrology,
    ProfileKind,
    Site,
    seeded_load,
)
from openamr.meter.metrology.load import (
    _NOISE,
    PATTERNS,
    SHAPES,
    _consumption,
    day_of_year,
    day_shapes,
    day_slots,
    pattern_integral,
)

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z, a Monday
HOUR = 3600
WH = 3_600_000


def hourly_mean_wh(m: Metrology, first_day: int, days: int) -> list[float]:
    """Mean A+ per UTC hour of day over ``days`` days (Wh)."""
    sums = [0] * 24
    for d in range(first_day, first_day + days):
        for h in range(24):
            t = T0 + d * DAY + h * HOUR
            sums[h] += m.energy_between(t, t + HOUR).a_plus_mj
    return [s / days / WH for s in sums]


def day_wh(m: Metrology, day: int) -> float:
    return m.energy_between(T0 + day * DAY, T0 + (day + 1) * DAY).a_plus_mj / WH


def residential(seed: int, tz: dt.tzinfo = dt.UTC) -> Metrology:
    load = LoadConfig(kind=ProfileKind.RESIDENTIAL, mean_w=500.0)
    return Metrology(MeterModel(seed, load, site=Site(tz=tz)), T0)


def test_residential_evening_peak_is_above_the_night() -> None:
    hours = hourly_mean_wh(residential(1), 0, 42)
    evening = statistics.mean(hours[18:21])
    night = statistics.mean(hours[1:5])
    assert evening > 2.5 * night
    assert max(range(24), key=hours.__getitem__) in range(17, 22)


def test_the_shape_follows_local_time() -> None:
    utc = hourly_mean_wh(residential(2), 0, 42)
    tokyo = hourly_mean_wh(residential(2, ZoneInfo("Asia/Tokyo")), 0, 42)  # UTC+9
    peak_utc = max(range(24), key=utc.__getitem__)
    peak_tokyo = max(range(24), key=tokyo.__getitem__)
    assert (peak_utc - peak_tokyo) % 24 in (8, 9, 10)


def test_commercial_weekdays_are_above_weekends() -> None:
    load = LoadConfig(kind=ProfileKind.COMMERCIAL, mean_w=5000.0)
    m = Metrology(MeterModel(3, load), T0)
    weekdays = [day_wh(m, d) for d in range(28) if d % 7 < 5]  # T0 is a Monday
    weekends = [day_wh(m, d) for d in range(28) if d % 7 >= 5]
    assert min(weekdays) > 1.5 * max(weekends)
    sundays = [day_wh(m, d) for d in range(6, 28, 7)]
    saturdays = [day_wh(m, d) for d in range(5, 28, 7)]
    assert statistics.mean(saturdays) > statistics.mean(sundays)


def test_industrial_runs_two_shifts() -> None:
    load = LoadConfig(kind=ProfileKind.INDUSTRIAL, mean_w=15000.0)
    hours = hourly_mean_wh(Metrology(MeterModel(4, load), T0), 0, 5)  # Monday to Friday
    assert statistics.mean(hours[8:20]) > 2 * statistics.mean(hours[0:4])


def test_pv_exports_around_noon_in_summer_only() -> None:
    load = LoadConfig(kind=ProfileKind.RESIDENTIAL, mean_w=400.0, pv_peak_w=6000.0)
    m = Metrology(MeterModel(5, load), T0)
    june = 152  # 2024-06-01
    export = [0.0] * 24
    for d in range(june, june + 30):
        for h in range(24):
            t = T0 + d * DAY + h * HOUR
            export[h] += m.energy_between(t, t + HOUR).a_minus_mj / WH
    assert sum(export[9:13]) > 0.4 * sum(export)  # 9-13 UTC = 11-15 local, noon-centred
    assert sum(export[0:3]) + sum(export[20:24]) == 0
    december = sum(
        m.energy_between(T0 + d * DAY, T0 + (d + 1) * DAY).a_minus_mj for d in range(335, 365)
    )
    assert sum(export) * WH > 3 * december


def test_the_yearly_mean_is_the_configured_one() -> None:
    load = LoadConfig(kind=ProfileKind.RESIDENTIAL, mean_w=500.0)
    m = Metrology(MeterModel(6, load), T0)
    year = m.energy(T0 + 366 * DAY).a_plus_mj / WH
    assert 0.85 * 500 * 24 * 366 < year < 1.15 * 500 * 24 * 366


def test_households_use_more_in_winter() -> None:
    m = residential(7)
    january = sum(day_wh(m, d) for d in range(0, 28))
    july = sum(day_wh(m, d) for d in range(182, 210))
    assert january > 1.15 * july


def test_shapes_average_to_one_over_the_week() -> None:
    for kind, (weekday, saturday, sunday) in SHAPES.items():
        mean = (5 * sum(weekday) + sum(saturday) + sum(sunday)) / (7 * 96)
        assert mean == pytest.approx(1.0), kind


def test_minute_patterns_integrate_to_a_whole_slot() -> None:
    for p, pattern in enumerate(PATTERNS):
        assert sum(pattern) == 15000 and len(pattern) == 15
        assert pattern_integral(p, 0) == 0
        assert pattern_integral(p, 900) == 900_000
        assert pattern_integral(p, 61) == pattern[0] * 60 + pattern[1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**40), day=st.integers(0, 30_000))
def test_days_are_reproducible_and_bounded(seed: int, day: int) -> None:
    model = MeterModel(seed, seeded_load(seed))
    a, b = day_slots(model, day), day_slots(model, day)
    assert a == b
    assert len(a.load_w) == len(a.pv_w) == len(a.pattern) == 96
    assert all(w >= 0 for w in a.load_w) and all(w >= 0 for w in a.pv_w)
    assert max(a.pv_w) <= model.load.pv_peak_w
    # well below Imax (85 A per phase at 230 V is 19.5 kW per phase)
    share = max(model.load.load_split())
    assert max(a.load_w) * share < 85 * 230


def test_a_seeded_fleet_is_mixed_and_realistic() -> None:
    loads = [seeded_load(s) for s in range(400)]
    kinds = {k: sum(1 for x in loads if x.kind is k) for k in ProfileKind}
    assert kinds[ProfileKind.RESIDENTIAL] > 250 and kinds[ProfileKind.COMMERCIAL] > 30
    assert kinds[ProfileKind.INDUSTRIAL] > 5
    assert 60 < sum(1 for x in loads if x.pv_peak_w) < 160
    assert any(x.connection == 1 for x in loads)
    assert seeded_load(12, ProfileKind.INDUSTRIAL, pv=False, connection=2) == seeded_load(
        12, ProfileKind.INDUSTRIAL, pv=False, connection=2
    )
    single = seeded_load(12, connection=1)
    assert single.load_split() == (1.0, 0.0, 0.0) and single.pv_split() == (1.0, 0.0, 0.0)


def test_dst_days_integrate_like_any_other() -> None:
    m = Metrology(MeterModel(8, seeded_load(8), site=Site(tz=ZoneInfo("Europe/Ljubljana"))), T0)
    spring = 89  # 2024-03-30; DST begins 2024-03-31 01:00Z
    whole = m.energy_between(T0 + spring * DAY, T0 + (spring + 3) * DAY)
    parts = [m.energy_between(T0 + d * DAY, T0 + (d + 1) * DAY) for d in range(spring, spring + 3)]
    assert parts[0] + parts[1] + parts[2] == whole


def _consumption_with_gauss(model: MeterModel, day: int, rng: random.Random) -> list[float]:
    """The consumption levels as the model defines them, with ``random.gauss``."""
    load = model.load
    sigma, day_sigma, season_amp, spike_p, spike_x = _NOISE[load.kind]
    season = 1.0 + season_amp * math.cos(2 * math.pi * (day_of_year(day) - 15) / 365.25)
    day_factor = math.exp(rng.gauss(0.0, day_sigma) - day_sigma**2 / 2)
    scale = load.mean_w * season * day_factor * (1.0 - spike_p * spike_x)
    out = []
    for shape in day_shapes(load.kind, model.site, day):
        level = scale * shape * math.exp(rng.gauss(0.0, sigma) - sigma**2 / 2)
        if spike_p and rng.random() < spike_p:
            level += load.mean_w * spike_x * (0.5 + rng.random())
        out.append(level)
    return out


@pytest.mark.parametrize("kind", list(ProfileKind))
def test_the_written_out_noise_is_random_gauss_bit_for_bit(kind: ProfileKind) -> None:
    for seed in range(40):
        model = MeterModel(seed, seeded_load(seed, kind=kind))
        for day in (20_454, 20_454 + 7 * seed):
            ours, theirs = random.Random(seed), random.Random(seed)
            assert list(_consumption(model, day, ours)) == _consumption_with_gauss(
                model, day, theirs
            )
            assert ours.random() == theirs.random()  # the stream left where gauss leaves it
