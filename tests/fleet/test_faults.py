"""The fault model is seeded and reproducible: the same seed, the same faults, on a
stepped clock; the rates are what the configuration says."""

from __future__ import annotations

from dataclasses import replace

from openamr.fleet.faults import FaultModel, FaultRates

HOUR = 3600
T0 = 1_772_409_600.0  # 2026-03-02 UTC


def _trace(model: FaultModel, meters: int = 200, hours: int = 48) -> list[object]:
    out: list[object] = []
    for m in range(meters):
        for h in range(0, hours, 3):
            t = T0 + h * HOUR
            out.append((model.offline(m, t), model.signal_base(m), model.session(m, h, t)))
    return out


def test_the_same_seed_gives_the_same_faults() -> None:
    assert _trace(FaultModel(FaultRates(), 5)) == _trace(FaultModel(FaultRates(), 5))
    assert _trace(FaultModel(FaultRates(), 5)) != _trace(FaultModel(FaultRates(), 6))


def test_no_faults_means_none() -> None:
    model = FaultModel(FaultRates.none(), 1)
    for m in range(100):
        fate = model.session(m, 0, T0)
        assert fate.refused is None and not fate.silent and fate.rtt_s == 0
        assert fate.drop_after is None and not model.rotated(m) and model.signal_base(m) >= 12


def test_offline_share_and_hours() -> None:
    model = FaultModel(replace(FaultRates.none(), offline=0.1, offline_hours=4), 3)
    samples = [model.offline(m, T0 + h * 600) for m in range(300) for h in range(144)]
    assert 0.07 < sum(samples) / len(samples) < 0.13
    # an offline spell lasts the slot: 4 hours, seen every 10 minutes = 24 samples
    m = next(m for m in range(300) if any(model.offline(m, T0 + h * 600) for h in range(144)))
    run = [model.offline(m, T0 + h * 600) for h in range(144)]
    assert run.count(True) >= 23


def test_slow_meters_answer_within_the_gprs_round_trips() -> None:
    model = FaultModel(replace(FaultRates.none(), slow=0.5), 9)
    slow = [m for m in range(400) if model.slow(m)]
    assert 150 < len(slow) < 250
    rtts = [model.session(m, n, T0).rtt_s for m in slow for n in range(5)]
    assert min(rtts) >= 0.5 and max(rtts) <= 3.0 and max(rtts) - min(rtts) > 2


def test_drops_cut_after_a_few_answers_and_poor_signal_is_poor() -> None:
    model = FaultModel(replace(FaultRates.none(), drop=0.2, poor_signal=0.2), 11)
    drops = [model.session(m, n, T0).drop_after for m in range(100) for n in range(10)]
    cut = [d for d in drops if d is not None]
    assert 120 < len(cut) < 280 and set(cut) <= {1, 2, 3, 4}
    csq = [model.signal_base(m) for m in range(500)]
    assert 50 < sum(1 for q in csq if q < 10) < 150 and min(csq) >= 3 and max(csq) <= 28
