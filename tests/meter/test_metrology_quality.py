"""Power quality: injected disturbances give exactly the expected events."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.metrology import (
    DAY,
    Disturbance,
    DisturbanceKind,
    LoadConfig,
    LoadStep,
    MeterModel,
    Metrology,
    Phase,
    ProfileKind,
    QualityEvent,
    QualityKind,
    counters,
    quality_events,
    seeded_load,
    supply_state,
)

T0 = 1_704_067_200
H = 3600
K = QualityKind
L1, L2, L3 = Phase.L1, Phase.L2, Phase.L3
SAG, SWELL = DisturbanceKind.SAG, DisturbanceKind.SWELL
LOSS, FAILURE = DisturbanceKind.PHASE_LOSS, DisturbanceKind.POWER_FAILURE


def meter(*dists: Disturbance, connection: int = 3, pv: float = 0.0) -> Metrology:
    load = LoadConfig(
        kind=ProfileKind.RESIDENTIAL, mean_w=600.0, pv_peak_w=pv, connection=connection
    )
    return Metrology(MeterModel(31, load), T0, list(dists))


def events(m: Metrology, t0: int = T0, t1: int = T0 + DAY) -> list[tuple[int, K, Phase | None]]:
    return [(e.instant - T0, e.kind, e.phase) for e in quality_events(m, t0, t1)]


def d(
    start: float, end: float, phase: Phase | None, kind: DisturbanceKind, level: float = 0.0
) -> Disturbance:
    return Disturbance(T0 + int(start * H), T0 + int(end * H), phase, kind, level)


def test_an_undisturbed_day_has_no_events() -> None:
    assert events(meter()) == []


def test_a_deep_sag_is_an_under_voltage() -> None:
    m = meter(d(1, 1.5, L1, SAG, 0.7))
    assert events(m) == [(H, K.UNDER_VOLTAGE_BEGIN, L1), (H + 1800, K.UNDER_VOLTAGE_END, L1)]


def test_a_shallow_sag_is_inside_the_range() -> None:
    assert events(meter(d(1, 2, L1, SAG, 0.85))) == []


def test_a_swell_above_115_percent_is_an_over_voltage() -> None:
    m = meter(d(2, 3, None, SWELL, 1.2))
    assert events(m) == [
        (2 * H, K.OVER_VOLTAGE_BEGIN, L1),
        (2 * H, K.OVER_VOLTAGE_BEGIN, L2),
        (2 * H, K.OVER_VOLTAGE_BEGIN, L3),
        (3 * H, K.OVER_VOLTAGE_END, L1),
        (3 * H, K.OVER_VOLTAGE_END, L2),
        (3 * H, K.OVER_VOLTAGE_END, L3),
    ]
    assert events(meter(d(2, 3, None, SWELL, 1.1))) == []


def test_phase_loss_and_return() -> None:
    m = meter(d(4, 5, L2, LOSS))
    assert events(m) == [(4 * H, K.PHASE_LOSS, L2), (5 * H, K.PHASE_RETURN, L2)]


def test_a_sag_into_a_loss() -> None:
    m = meter(d(1, 3, L3, SAG, 0.6), d(2, 2.5, L3, LOSS))
    assert events(m) == [
        (1 * H, K.UNDER_VOLTAGE_BEGIN, L3),
        (2 * H, K.UNDER_VOLTAGE_END, L3),
        (2 * H, K.PHASE_LOSS, L3),
        (2 * H + 1800, K.PHASE_RETURN, L3),
        (2 * H + 1800, K.UNDER_VOLTAGE_BEGIN, L3),
        (3 * H, K.UNDER_VOLTAGE_END, L3),
    ]


def test_a_power_failure_is_one_event_each_way() -> None:
    m = meter(d(6, 8, None, FAILURE))
    assert events(m) == [(6 * H, K.POWER_FAILURE, None), (8 * H, K.POWER_RETURN, None)]
    assert not supply_state(m, T0 + 7 * H).powered


def test_losing_every_phase_is_a_power_failure() -> None:
    m = meter(d(1, 2, L1, LOSS), d(1.5, 3, None, LOSS))
    assert events(m) == [
        (H, K.PHASE_LOSS, L1),
        (H + 1800, K.POWER_FAILURE, None),
        (3 * H, K.POWER_RETURN, None),
        (3 * H, K.PHASE_RETURN, L1),  # the meter last saw L1 missing
    ]


def test_a_phase_lost_before_a_failure_and_still_lost_after() -> None:
    m = meter(d(1, 4, L1, LOSS), d(2, 3, None, FAILURE))
    assert events(m) == [
        (1 * H, K.PHASE_LOSS, L1),
        (2 * H, K.POWER_FAILURE, None),
        (3 * H, K.POWER_RETURN, None),
        (4 * H, K.PHASE_RETURN, L1),
    ]


def test_a_single_phase_meter_only_knows_its_phase() -> None:
    m = meter(d(1, 2, None, FAILURE), d(3, 4, L2, LOSS), connection=1)
    assert events(m) == [(H, K.POWER_FAILURE, None), (2 * H, K.POWER_RETURN, None)]


def test_an_injected_current_reversal() -> None:
    m = meter(d(9, 9.25, L3, DisturbanceKind.CURRENT_REVERSAL))
    m.add_load_step(LoadStep(T0, 3000))
    assert events(m) == [
        (9 * H, K.CURRENT_REVERSAL_BEGIN, L3),
        (9 * H + 900, K.CURRENT_REVERSAL_END, L3),
    ]
    assert quality_events(m, T0, T0 + DAY, reversal=False) == []


def test_pv_export_reverses_the_current_by_day() -> None:
    load = seeded_load(5, ProfileKind.RESIDENTIAL, pv=True)
    m = Metrology(MeterModel(5, load), T0)
    summer = T0 + 172 * DAY
    found = quality_events(m, summer, summer + DAY)
    begins = [e for e in found if e.kind is K.CURRENT_REVERSAL_BEGIN]
    ends = [e for e in found if e.kind is K.CURRENT_REVERSAL_END]
    assert begins and len(begins) == len(ends)  # the day starts and ends importing
    assert all(summer + 3 * H < e.instant < summer + 19 * H for e in found)
    assert {e.kind for e in found} == {K.CURRENT_REVERSAL_BEGIN, K.CURRENT_REVERSAL_END}


def test_phase_sequence_error() -> None:
    m = meter(d(5, 6, None, DisturbanceKind.PHASE_SEQUENCE))
    assert events(m) == [
        (5 * H, K.PHASE_SEQUENCE_ERROR, None),
        (6 * H, K.PHASE_SEQUENCE_RESTORED, None),
    ]


def test_counters() -> None:
    m = meter(*(d(k, k + 0.1, L1, SAG, 0.5) for k in range(1, 4)), d(5, 6, L2, SWELL, 1.3))
    c = counters(quality_events(m, T0, T0 + DAY))
    assert c[K.UNDER_VOLTAGE_BEGIN, L1] == c[K.UNDER_VOLTAGE_END, L1] == 3
    assert c[K.OVER_VOLTAGE_BEGIN, L2] == 1
    assert c[K.UNDER_VOLTAGE_BEGIN, L2] == 0


def test_an_event_at_the_interval_start_belongs_to_the_previous_interval() -> None:
    m = meter(d(1, 2, L1, SAG, 0.7))
    assert quality_events(m, T0, T0 + H) == [QualityEvent(T0 + H, K.UNDER_VOLTAGE_BEGIN, L1)]
    assert quality_events(m, T0 + H, T0 + 2 * H) == [
        QualityEvent(T0 + 2 * H, K.UNDER_VOLTAGE_END, L1)
    ]


_DISTURBANCES = [
    d(1, 4, L1, LOSS),
    d(2, 3, None, FAILURE),
    d(2.5, 5, L2, SAG, 0.7),
    d(6, 7, None, LOSS),
    d(6.5, 8, L3, SWELL, 1.2),
    d(9, 10, L1, DisturbanceKind.CURRENT_REVERSAL),
    d(9.5, 11, None, DisturbanceKind.PHASE_SEQUENCE),
]


@settings(max_examples=40, deadline=None)
@given(
    cuts=st.lists(
        st.one_of(
            st.integers(1, 12 * H - 1),
            st.sampled_from(
                sorted(
                    {
                        e - T0 + k
                        for x in _DISTURBANCES
                        for e in (x.start, x.end)
                        for k in (-1, 0, 1)
                    }
                )
            ),
        ),
        max_size=6,
    )
)
def test_events_do_not_depend_on_how_the_interval_is_cut(cuts: list[int]) -> None:
    m = meter(*_DISTURBANCES, pv=5000)
    whole = quality_events(m, T0, T0 + 12 * H)
    points = [T0, *sorted(T0 + c for c in cuts), T0 + 12 * H]
    pieces = [e for a, b in itertools.pairwise(points) for e in quality_events(m, a, b)]
    assert pieces == whole
    assert len(whole) >= 14
