"""The grid model and instantaneous values: voltages, frequency, currents, PF, LED."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.metrology import (
    DAY,
    Disturbance,
    DisturbanceKind,
    LedState,
    LoadConfig,
    LoadStep,
    MeterModel,
    Metrology,
    Phase,
    ProfileKind,
    Ratings,
    grid,
    instantaneous,
    seeded_load,
)

T0 = 1_704_067_200
SUMMER_NOON = T0 + 172 * DAY + 11 * 3600  # 2024-06-21 13:00 local in Ljubljana
HOUR = 3600


def model(connection: int = 3, pv: float = 0.0, mean_w: float = 0.0) -> MeterModel:
    load = LoadConfig(
        kind=ProfileKind.RESIDENTIAL,
        mean_w=mean_w,
        pv_peak_w=pv,
        connection=connection,
        split=(0.4, 0.35, 0.25),
        power_factor=(0.9, 0.95, 1.0),
    )
    return MeterModel(seed=17, load=load)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**40), t=st.integers(0, 2_000_000_000), un=st.sampled_from([220, 230]))
def test_undisturbed_voltage_and_frequency_stay_in_range(seed: int, t: int, un: int) -> None:
    for fn in (50.0, 60.0):
        m = MeterModel(seed, seeded_load(seed, connection=3), Ratings(un_v=un, fn_hz=fn))
        for v in grid.voltages(m, (), t):
            assert 0.94 * un <= v <= 1.06 * un
        assert states_normal(m, t)
        assert abs(grid.frequency(m, (), t) - fn) <= 0.05


def states_normal(m: MeterModel, t: int) -> bool:
    return all(s is grid.VoltageState.NORMAL for s in grid.voltage_states(m, (), t))


def test_voltage_varies_slowly() -> None:
    m = model()
    values = [grid.voltage(m, (), Phase.L1, T0 + 60 * k) for k in range(24 * 60)]
    assert len(set(values)) > 20  # it moves
    assert max(abs(a - b) for a, b in itertools.pairwise(values)) <= 1.0  # slowly


@pytest.mark.parametrize(
    ("kind", "level", "expected"),
    [
        (DisturbanceKind.SAG, 0.7, (161.0, None, None)),
        (DisturbanceKind.SWELL, 1.2, (276.0, None, None)),
        (DisturbanceKind.PHASE_LOSS, 0.0, (0.0, None, None)),
    ],
)
def test_disturbances_set_the_voltage(
    kind: DisturbanceKind, level: float, expected: tuple[float | None, ...]
) -> None:
    m = model()
    d = [Disturbance(T0 + 100, T0 + 200, Phase.L1, kind, level)]
    volts = grid.voltages(m, d, T0 + 150)
    assert volts[0] == expected[0]
    assert 215 < volts[1] < 245 and 215 < volts[2] < 245
    assert grid.voltages(m, d, T0 + 200)[0] == grid.nominal_voltage(m, Phase.L1, T0 + 200)


def test_a_power_failure_silences_everything() -> None:
    m = Metrology(model(mean_w=500), T0)
    m.add_disturbance(Disturbance(T0 + HOUR, T0 + 2 * HOUR, None, DisturbanceKind.POWER_FAILURE))
    v = instantaneous(m, T0 + HOUR + 30)
    assert [p.voltage_v for p in v.phases] == [0.0, 0.0, 0.0]
    assert [p.current_a for p in v.phases] == [0.0, 0.0, 0.0]
    assert v.frequency_hz == 0.0 and v.import_w == 0.0 and v.led is LedState.OFF
    assert not any(p.present for p in v.phases)


def test_unconnected_phases_have_nothing() -> None:
    m = Metrology(model(connection=1, mean_w=500), T0)
    v = instantaneous(m, T0 + 19 * HOUR)
    assert v.phases[0].present and v.phases[0].power_w > 0
    for p in v.phases[1:]:
        assert (p.voltage_v, p.current_a, p.power_w, p.present) == (0.0, 0.0, 0.0, False)


def test_current_follows_from_power_voltage_and_power_factor() -> None:
    m = Metrology(model(), T0, steps=[LoadStep(T0, 3000)])
    v = instantaneous(m, T0 + 5 * HOUR + 7)
    for phase, watts, pf in zip(v.phases, (1200, 1050, 750), (0.9, 0.95, 1.0), strict=True):
        assert phase.power_w == watts  # a flat step: no minute pattern
        assert phase.power_factor == pf
        assert phase.current_a == pytest.approx(watts / (phase.voltage_v * pf), abs=1e-3)
        assert phase.angle_deg == pytest.approx(math.degrees(math.acos(pf)), abs=0.1)
        assert phase.registering and not phase.reversed
    assert v.import_w == 3000 and v.export_w == 0
    assert v.power_factor == pytest.approx(3000 / (1200 / 0.9 + 1050 / 0.95 + 750), abs=1e-3)
    assert v.led is LedState.PULSING and v.sequence_ok
    assert v.led_hz == pytest.approx(3000 * 1000 / 3.6e6)  # 3 kW at 1000 imp/kWh: 0.83 Hz


def test_instantaneous_power_agrees_with_the_registers() -> None:
    m = Metrology(MeterModel(23, seeded_load(23, ProfileKind.RESIDENTIAL, pv=True)), T0)
    for k in range(0, 24 * 60, 7):
        t = T0 + 172 * DAY + 60 * k
        v = instantaneous(m, t)
        e = m.energy_between(t, t + 60)  # power is constant per minute
        assert e.a_plus_mj == pytest.approx(v.import_w * 60_000, abs=0.05 * 60_000)
        assert e.a_minus_mj == pytest.approx(v.export_w * 60_000, abs=0.05 * 60_000)


def test_pv_export_shows_as_reversal_with_unity_power_factor() -> None:
    m = Metrology(model(pv=9000, mean_w=0), T0)
    v = instantaneous(m, SUMMER_NOON)
    assert v.export_w > 0 and v.import_w == 0
    for p in v.phases:
        assert p.power_w < 0 and p.reversed and p.power_factor == 1.0
        assert p.angle_deg == 180.0


def test_phase_sequence_swap() -> None:
    seq = Disturbance(T0, T0 + HOUR, None, DisturbanceKind.PHASE_SEQUENCE)
    m = Metrology(model(), T0, [seq])
    assert not instantaneous(m, T0 + 10).sequence_ok
    assert instantaneous(m, T0 + 10).voltage_angles_deg == (0.0, 240.0, 120.0)
    assert instantaneous(m, T0 + HOUR).sequence_ok
    single = Metrology(model(connection=1), T0, [seq])  # nothing to compare with
    assert instantaneous(single, T0 + 10).sequence_ok


def test_the_latest_sag_or_swell_wins_and_a_loss_beats_both() -> None:
    m = model()
    d = [
        Disturbance(T0, T0 + 300, None, DisturbanceKind.SAG, 0.7),
        Disturbance(T0 + 100, T0 + 200, Phase.L2, DisturbanceKind.SWELL, 1.2),
        Disturbance(T0 + 150, T0 + 160, Phase.L2, DisturbanceKind.PHASE_LOSS),
    ]
    assert grid.voltages(m, d, T0 + 50) == (161.0, 161.0, 161.0)
    assert grid.voltages(m, d, T0 + 120) == (161.0, 276.0, 161.0)
    assert grid.voltages(m, d, T0 + 155) == (161.0, 0.0, 161.0)
