"""VEE rules on constructed series (one test per rule), then against the store."""

from __future__ import annotations

import pytest

from openamr.headend.vee import WEEK, Finding, Flag, Method, Rules, Series, needs_history, validate

P = 900
T0 = 1_767_225_600  # 2026-01-01T00:00Z, a Thursday
CH = "1.0.99.1.0.255/1.0.1.8.0.255:2"


def cumulative(energies: list[float], start: float = 1000.0) -> list[float]:
    out, acc = [], start
    for e in energies:
        acc += e
        out.append(acc)
    return out


def series(energies: list[float], t0: int = T0, drop: set[int] = frozenset(),  # type: ignore[assignment]
           status: dict[int, int] | None = None) -> Series:  # fmt: skip
    values = cumulative(energies)
    times = [t0 + i * P for i in range(len(values))]
    keep = [i for i in range(len(values)) if i not in drop]
    st = status or {}
    return Series(CH, [times[i] for i in keep], [values[i] for i in keep],
                  [st.get(i) for i in keep])  # fmt: skip


def by_ts(found: list[Finding]) -> dict[int, Finding]:
    return {f.ts: f for f in found}


def end_of(n: int, t0: int = T0) -> int:
    return t0 + (n - 1) * P


def test_clean_series_has_no_findings() -> None:
    s = series([100.0 + (i % 7) for i in range(200)])
    assert validate(s, Rules(), T0, end_of(200)) == []


def test_short_gap_is_estimated_linearly_and_energy_kept() -> None:
    energies = [100.0] * 20
    s = series(energies, drop={5, 6, 7})
    found = by_ts(validate(s, Rules(), T0, end_of(20)))
    assert sorted(found) == [T0 + i * P for i in (5, 6, 7)]
    values = cumulative(energies)
    for i in (5, 6, 7):
        f = found[T0 + i * P]
        assert f.flags == Flag.GAP and f.method == Method.LINEAR and f.original is None
        assert f.estimated and not f.edited
        assert f.value == pytest.approx(values[i])


def test_long_gap_from_similar_days_follows_their_shape_and_the_register() -> None:
    day = [50.0 if (i // 4) % 24 < 6 else 300.0 for i in range(96)]  # night and day
    weeks = day * 7 * 3  # three weeks of the same days
    target = 2 * 7 * 96 + 10  # in the third week: a gap of 40 intervals
    drop = set(range(target, target + 40))
    s = series(weeks, drop=drop)
    start = T0 + 2 * WEEK
    found = by_ts(validate(s, Rules(similar_weeks=2), start, start + WEEK - P))
    values = cumulative(weeks)
    assert sorted(found) == [T0 + i * P for i in sorted(drop)]
    for i in drop:
        f = found[T0 + i * P]
        assert f.method == Method.SIMILAR_DAYS and f.flags == Flag.GAP
        assert f.value == pytest.approx(values[i])  # the same shape: exactly the truth


def test_long_gap_without_similar_days_is_flagged_not_estimated() -> None:
    s = series([100.0] * 60, drop=set(range(10, 30)))
    found = validate(s, Rules(), T0, end_of(60))
    assert len(found) == 20
    assert all(f.flags == Flag.GAP and f.value is None and not f.estimated for f in found)


def test_one_value_out_of_line_is_edited_and_a_reset_is_flagged() -> None:
    energies = [100.0] * 30
    s = series(energies)
    s.values[10] -= 5000  # one entry read low: the next is back in line
    found = by_ts(validate(s, Rules(), T0, end_of(30)))
    f = found[T0 + 10 * P]
    assert f.flags & Flag.BACKWARDS and f.method == Method.LINEAR and f.edited
    assert f.original == pytest.approx(cumulative(energies)[10] - 5000)
    assert f.value == pytest.approx(cumulative(energies)[10])
    reset = series(energies)
    reset.values[20:] = [v - 3000 for v in reset.values[20:]]  # a lasting step down
    found = by_ts(validate(reset, Rules(), T0, end_of(30)))
    assert found[T0 + 20 * P].flags == Flag.BACKWARDS and found[T0 + 20 * P].value is None


def test_spike_is_flagged() -> None:
    energies = [100.0] * 50
    energies[25] = 5000.0  # 50x the median, above spike_min
    found = validate(series(energies), Rules(), T0, end_of(50))
    assert [(f.ts, f.flags) for f in found] == [(T0 + 25 * P, Flag.SPIKE)]
    energies[25] = 20_000.0  # above max_interval whatever the factor
    found = validate(series(energies), Rules(spike_factor=1000), T0, end_of(50))
    assert [f.ts for f in found] == [T0 + 25 * P]


def test_zero_run_is_flagged_unless_the_meter_was_down() -> None:
    energies = [100.0] * 40 + [0.0] * 10 + [100.0] * 10
    found = validate(series(energies), Rules(zero_run=8), T0, end_of(60))
    assert sorted(f.ts for f in found) == [T0 + i * P for i in range(40, 50)]
    assert {f.flags for f in found} == {Flag.ZERO_RUN}
    down = series(energies, status={39: 0x80, 41: 0x00})
    found = validate(down, Rules(zero_run=8), T0, end_of(60))
    assert {f.flags for f in found} == {Flag.METER_STATUS}  # the power-down entry only
    assert validate(series([0.0] * 60), Rules(zero_run=8), T0, end_of(60)) == []


def test_invalid_status_is_estimated_and_other_status_noted() -> None:
    energies = [100.0] * 20
    s = series(energies, status={7: 0x04, 12: 0x20})
    s.values[7] = 0.0  # what a "not valid" entry may say
    found = by_ts(validate(s, Rules(), T0, end_of(20)))
    f = found[T0 + 7 * P]
    assert f.flags & Flag.INVALID and f.method == Method.LINEAR and f.estimated
    assert f.value == pytest.approx(cumulative(energies)[7]) and f.original == 0.0
    assert found[T0 + 12 * P].flags == Flag.METER_STATUS and found[T0 + 12 * P].value is None


def test_profile_energy_against_the_register_advance() -> None:
    energies = [100.0] * 96
    s = series(energies)
    values = cumulative(energies)
    good = [(T0 + 10 * P + 60, values[10] + 6.0), (T0 + 80 * P + 60, values[80] + 7.0)]
    assert validate(s, Rules(), T0, end_of(96), good) == []
    bad = [good[0], (good[1][0], good[1][1] + 900.0)]  # the register counted 900 Wh more
    found = validate(s, Rules(), T0, end_of(96), bad)
    assert {f.flags for f in found} == {Flag.ENERGY}
    assert sorted(f.ts for f in found) == [T0 + i * P for i in range(11, 81)]


def test_history_is_needed_only_for_long_gaps() -> None:
    rules = Rules(linear_max=4)
    assert not needs_history([series([1.0] * 20, drop={5, 6})], rules, T0, end_of(20))
    assert needs_history([series([1.0] * 20, drop=set(range(5, 11)))], rules, T0, end_of(20))


def test_rules_out_of_range_say_which() -> None:
    with pytest.raises(ValueError, match="spike_factor"):
        Rules(spike_factor=0.5)


# -- on data collected from a twin ----------------------------------------------------


async def test_vee_on_a_collected_twin(sqlite_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two days collected over HLS from an MT372 twin: VEE finds no fault in what the
    meter said (the register's advance matches its profile); then four stored entries
    are deleted, as if never read: VEE estimates them linearly, close to what the
    twin had said, and keeps them beside the readings."""
    from sqlalchemy import delete

    from openamr.headend import quality, schema
    from openamr.headend.collector import LOAD_PROFILE, Collector
    from openamr.headend.vault import Kek
    from openamr.meter.mt372 import EPOCH
    from tests.client.conftest import start_twin, stop_twin
    from tests.headend.test_collect_e2e import KEK_BYTES, imported

    twin = await start_twin(history_days=2)
    try:
        meter = await imported(sqlite_store, tmp_path, twin.url("wrapper"))
        first = await Collector(sqlite_store, Kek(KEK_BYTES), lambda: EPOCH).collect(meter)
        assert first.ok, first.reason
    finally:
        await stop_twin(twin)
    assert meter.id is not None
    channel = f"{LOAD_PROFILE}/1.0.1.8.0.255:2"
    stored = await sqlite_store.readings(meter.id, channel)
    start, end = stored[0].ts, stored[-1].ts
    rules = Rules()
    clean = await quality.run_meter(sqlite_store, meter.id, start, end, rules, now=1)
    assert clean.intervals == 2 * len(stored)
    assert not clean.flags.keys() - {"meter_status"}  # nothing but the meter's own flags
    assert clean.estimated == clean.edited == 0
    lost = stored[40:44]
    r = schema.readings
    async with sqlite_store.engine.begin() as conn:
        await conn.execute(delete(r).where(r.c.meter_id == meter.id, r.c.channel == channel,
                                           r.c.ts.in_([x.ts for x in lost])))  # fmt: skip
    again = await quality.run_meter(sqlite_store, meter.id, start, end, rules, now=2)
    assert again.estimated == 4 and again.flags["gap"] == 4
    found = {f["ts"]: f for f in await quality.findings(sqlite_store, meter.id)}
    a, b = stored[39].value, stored[44].value
    for x in lost:
        f = found[x.ts]
        assert f["method"] == "linear" and f["original"] is None and f["unit"] == "Wh"
        assert a <= f["value"] <= b
        assert abs(f["value"] - x.value) <= b - a  # within the energy of the gap
    # a second run over the same range gives the same table
    assert (
        await quality.run_meter(sqlite_store, meter.id, start, end, rules, now=3)
    ).as_dict() == again.as_dict()
