"""The twin in time, with a stepped clock: exact, deterministic, whatever the steps."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import DoubleLongUnsigned, Integer, LongUnsigned, OctetString, decode, encode
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode, LpStatus
from openamr.meter.metrology.model import Disturbance, DisturbanceKind, Phase
from openamr.meter.mt372 import build_mt372
from openamr.meter.twin import MJ_PER_WH, Twin

START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a Monday
LP1, LOG = Obis.parse("1.0.99.1.0.255"), Obis.parse("1.0.99.98.0.255")
MONTHLY = Obis.parse("1.0.98.1.0.255")


def twin_at(start: dt.datetime = START, serial: str = "20261234") -> tuple[Twin, SteppedTime]:
    time = SteppedTime(start)
    meter = build_mt372(serial, time_base=time)
    return meter.twin, time


def value(app: ServerApplication | Twin, name: str, index: int = 2) -> object:
    obj = app.device.find(Obis.parse(name))
    assert obj is not None
    return obj.get(index)


def rows(app: ServerApplication | Twin, name: Obis) -> list[tuple[object, ...]]:
    p = app.device.find(name)
    assert isinstance(p, ProfileGeneric)
    return list(p.rows)


def state(twin: Twin) -> tuple[object, ...]:
    app = twin
    registers = [value(app, f"1.0.{c}.8.{r}.255") for c in (1, 2) for r in range(5)]
    return (
        registers,
        rows(app, LP1),
        rows(app, LOG),
        rows(app, MONTHLY),
        value(app, "1.0.1.6.0.255"),
    )


def run(twin: Twin, time: SteppedTime, steps: list[int]) -> None:
    for seconds in steps:
        time.step(seconds)
        twin.advance()


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 20_000), min_size=1, max_size=30))
def test_the_state_does_not_depend_on_the_steps(steps: list[int]) -> None:
    whole = sum(steps)
    one, t1 = twin_at()
    run(one, t1, [whole])
    many, t2 = twin_at()
    run(many, t2, steps)
    assert state(one) == state(many)


def test_registers_are_the_exact_integral_and_rates_sum_to_totals() -> None:
    twin, time = twin_at()
    run(twin, time, [7 * 86_400 + 1234])
    energy = twin.metrology.energy(twin.true_t)
    assert twin.a_plus.total == energy.a_plus_mj // MJ_PER_WH
    assert twin.a_minus.total == energy.a_minus_mj // MJ_PER_WH
    rates = [value(twin, f"1.0.1.8.{r}.255") for r in range(1, 5)]
    assert sum(rates) == value(twin, "1.0.1.8.0.255")  # type: ignore[arg-type]
    assert rates[0] > 0 and rates[1] > 0  # a week has day (T1) and night/weekend (T2)


def test_load_profile_every_quarter_hour_ending_at_the_register() -> None:
    twin, time = twin_at()
    run(twin, time, [2 * 86_400])
    lp = rows(twin, LP1)
    assert len(lp) == 192
    stamps = [CosemDateTime.from_bytes(r[0]).to_datetime() for r in lp]  # type: ignore[arg-type]
    assert all(b - a == dt.timedelta(minutes=15) for a, b in itertools.pairwise(stamps))
    assert stamps[-1] == START + dt.timedelta(days=2)
    energies = [r[2] for r in lp]
    assert energies == sorted(energies)
    assert lp[-1][2] == value(twin, "1.0.1.8.0.255")


def test_end_of_billing_on_the_first_of_the_month() -> None:
    twin, time = twin_at(dt.datetime(2026, 1, 20, tzinfo=dt.UTC))
    run(twin, time, [40 * 86_400])  # to 1 March
    monthly = rows(twin, MONTHLY)
    assert [CosemDateTime.from_bytes(r[0]).to_datetime().date() for r in monthly] == [  # type: ignore[arg-type]
        dt.date(2026, 2, 1), dt.date(2026, 3, 1)
    ]  # fmt: skip
    codes = [r[1] for r in rows(twin, LOG)]
    assert codes.count(EventCode.BILLING_RESET) == 2
    billed = [r for r in rows(twin, LP1) if int(r[1]) & LpStatus.BILLING_RESET]  # type: ignore[call-overload]
    assert len(billed) == 2


def test_a_clock_set_is_logged_and_counts_no_energy_twice() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    view = AssociationView(twin.device, AccessPolicy(default=READ_WRITE))
    earlier = twin.source.now() - dt.timedelta(hours=2)
    new_time = OctetString(
        CosemDateTime.from_datetime(
            earlier.astimezone(dt.timezone(dt.timedelta(hours=1)))
        ).to_bytes()
    )
    assert view.set(8, Obis.parse("0.0.1.0.0.255"), 2, new_time).name == "SUCCESS"
    run(twin, time, [3 * 3600])
    energy = twin.metrology.energy(twin.true_t)
    assert twin.a_plus.total == energy.a_plus_mj // MJ_PER_WH  # energy flows in true time
    log = rows(twin, LOG)
    assert log[-1][1] == EventCode.CLOCK_CHANGED
    flagged = [r for r in rows(twin, LP1) if int(r[1]) & LpStatus.CLOCK_ADJUSTED]  # type: ignore[call-overload]
    assert len(flagged) == 1


def test_a_power_failure_is_logged_flagged_and_registers_nothing() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    begin = int(twin.true_t.timestamp()) + 600
    twin.inject(Disturbance(begin, begin + 3600, None, DisturbanceKind.POWER_FAILURE))
    before = twin.metrology.energy(begin)
    run(twin, time, [3 * 3600])
    assert twin.metrology.energy_between(begin, begin + 3600).a_plus_mj == 0
    codes = [r[1] for r in rows(twin, LOG)]
    assert EventCode.POWER_FAILURE in codes and EventCode.POWER_RETURNED in codes
    statuses = [int(r[1]) for r in rows(twin, LP1)]  # type: ignore[call-overload]
    assert any(s & LpStatus.POWER_DOWN for s in statuses)
    assert any(s & LpStatus.POWER_UP for s in statuses)
    assert twin.metrology.energy(begin + 3600).a_plus_mj == before.a_plus_mj
    with pytest.raises(ValueError, match="before the twin's present"):
        twin.inject(Disturbance(begin, begin + 60, None, DisturbanceKind.POWER_FAILURE))


def test_summer_time_is_logged_and_flagged() -> None:
    twin, time = twin_at(dt.datetime(2026, 3, 28, tzinfo=dt.UTC))
    run(twin, time, [2 * 86_400])  # over the last Sunday of March
    assert EventCode.DST_CHANGE in [r[1] for r in rows(twin, LOG)]
    statuses = [int(r[1]) for r in rows(twin, LP1)]  # type: ignore[call-overload]
    assert not statuses[0] & LpStatus.DST_ACTIVE and statuses[-1] & LpStatus.DST_ACTIVE


def test_history_is_simulated_before_the_first_answer() -> None:
    meter = build_mt372("42", time_base=SteppedTime(START), history_days=3)
    app = meter.app
    assert len(rows(app, LP1)) == 3 * 96
    assert isinstance(value(app, "1.0.1.8.0.255"), DoubleLongUnsigned)
    assert decode(encode(app.device.find(LP1).get(2))) == app.device.find(LP1).get(2)  # type: ignore[union-attr, arg-type]


def test_speed_runs_meter_time_faster() -> None:
    base = SteppedTime(START)
    fast = build_mt372("7", time_base=base, speed=60)
    base.step(60)  # one real minute = one meter hour
    assert fast.twin is not None
    fast.refresh()
    assert fast.twin.source.now() == START + dt.timedelta(hours=1)
    assert len(rows(fast.app, LP1)) == 4


def test_end_of_billing_by_command_and_no_reset_of_energy() -> None:
    time = SteppedTime(START)
    meter = build_mt372("20261234", time_base=time)
    run(meter.twin, time, [86_400])
    app = meter.app
    manager = app.configs[1].open_handler(True)  # the management client, authenticated
    before = len(rows(app, MONTHLY))
    result = manager.action(9, Obis.parse("0.0.10.0.1.255"), 1, LongUnsigned(1))
    assert result[0].name == "SUCCESS"
    monthly = rows(app, MONTHLY)
    assert len(monthly) == before + 1
    assert rows(app, LOG)[-1][1] == EventCode.BILLING_RESET
    energy = value(app, "1.0.1.8.0.255")
    refused = manager.action(3, Obis.parse("1.0.1.8.0.255"), 1, Integer(0))
    assert refused[0].name == "READ_WRITE_DENIED"  # cumulative energy is never reset
    assert value(app, "1.0.1.8.0.255") == energy


def test_the_load_profile_follows_its_programmed_period() -> None:
    twin, time = twin_at()
    view = AssociationView(twin.device, AccessPolicy(default=READ_WRITE))
    assert view.set(7, LP1, 4, DoubleLongUnsigned(3600)).name == "SUCCESS"
    before = len(rows(twin, LP1))
    run(twin, time, [86_400])
    assert len(rows(twin, LP1)) - before == 24  # hourly now


def test_a_wiring_fault_reversal_is_logged() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    begin = int(twin.true_t.timestamp()) + 1
    twin.inject(Disturbance(begin, begin + 900, None, DisturbanceKind.CURRENT_REVERSAL))
    run(twin, time, [1800])
    codes = [r[1] for r in rows(twin, LOG)]
    begins = [
        c
        for c in codes
        if EventCode.CURRENT_REVERSAL_BEGIN <= c <= EventCode.CURRENT_REVERSAL_BEGIN + 2
    ]  # type: ignore[operator]
    ends = [
        c
        for c in codes
        if EventCode.CURRENT_REVERSAL_END <= c <= EventCode.CURRENT_REVERSAL_END + 2
    ]  # type: ignore[operator]
    assert len(begins) == len(ends) == 3  # one per phase, begin and end
    with pytest.raises(ValueError, match="before the twin's present"):
        twin.inject(
            Disturbance(
                int(twin.true_t.timestamp()), begin + 99_999, None, DisturbanceKind.SAG, 0.5
            )
        )


def test_a_passive_calendar_written_by_a_client_takes_over_at_its_time() -> None:
    from openamr.codec import Array
    from openamr.meter.tariff.defaults import day, season, week

    twin, time = twin_at()  # Monday 00:00 UTC: T2 (night)
    run(twin, time, [3600])
    view = AssociationView(twin.device, AccessPolicy(default=READ_WRITE))
    calendar = Obis.parse("0.0.13.0.0.255")
    all_t3 = (
        Array([season(b"all", 1, 1, b"w")]),
        Array([week(b"w", [1] * 7)]),
        Array([day(1, [(dt.time(0, 0), 3)]), day(2, [(dt.time(0, 0), 3)])]),  # 2: holidays
    )
    for index, data in zip((7, 8, 9), all_t3, strict=True):
        assert view.set(20, calendar, index, data).name == "SUCCESS"
    due = (twin.source.now() + dt.timedelta(hours=1)).astimezone(dt.timezone(dt.timedelta(hours=1)))
    stamp_ = OctetString(CosemDateTime.from_datetime(due).to_bytes())
    assert view.set(20, calendar, 10, stamp_).name == "SUCCESS"
    t3_before = value(twin, "1.0.1.8.3.255")
    run(twin, time, [1800])
    assert value(twin, "0.0.96.14.0.255") != 3  # not yet
    run(twin, time, [3 * 3600])
    assert value(twin, "0.0.96.14.0.255") == 3
    assert value(twin, "1.0.1.8.3.255") > t3_before  # type: ignore[operator]
    assert view.get(20, calendar, 3) == all_t3[0]  # the passive one is now active


def test_more_than_ten_days_without_power_invalidates_the_clock_until_it_is_set() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    begin = int(twin.true_t.timestamp()) + 1
    twin.inject(Disturbance(begin, begin + 11 * 86_400, None, DisturbanceKind.POWER_FAILURE))
    run(twin, time, [12 * 86_400])
    assert twin.clock_invalid
    assert value(twin, "0.0.97.97.0.255") == 0x03000000  # super-cap discharged, invalid time
    assert int(rows(twin, LP1)[-1][1]) & LpStatus.CLOCK_INVALID  # type: ignore[call-overload]
    view = AssociationView(twin.device, AccessPolicy(default=READ_WRITE))
    now = OctetString(CosemDateTime.from_datetime(twin.source.now()).to_bytes())
    assert view.set(8, Obis.parse("0.0.1.0.0.255"), 2, now).name == "SUCCESS"
    run(twin, time, [3600])
    assert not twin.clock_invalid and value(twin, "0.0.97.97.0.255") == 0
    assert not int(rows(twin, LP1)[-1][1]) & LpStatus.CLOCK_INVALID  # type: ignore[call-overload]


def test_ten_days_are_within_the_reserve() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    begin = int(twin.true_t.timestamp()) + 1
    twin.inject(Disturbance(begin, begin + 9 * 86_400, None, DisturbanceKind.POWER_FAILURE))
    run(twin, time, [10 * 86_400])
    assert not twin.clock_invalid and value(twin, "0.0.97.97.0.255") == 0


def test_power_quality_is_counted() -> None:
    twin, time = twin_at()
    run(twin, time, [3600])
    t = int(twin.true_t.timestamp()) + 1
    twin.inject(Disturbance(t, t + 60, Phase.L2, DisturbanceKind.SAG, 0.5))
    twin.inject(Disturbance(t + 120, t + 180, Phase.L2, DisturbanceKind.SAG, 0.5))
    twin.inject(Disturbance(t + 300, t + 360, Phase.L3, DisturbanceKind.SWELL, 1.3))
    twin.inject(Disturbance(t + 600, t + 700, None, DisturbanceKind.POWER_FAILURE))
    run(twin, time, [3600])
    assert value(twin, "1.0.52.32.0.255") == 2  # two sags on L2
    assert value(twin, "1.0.32.32.0.255") == 0
    assert value(twin, "1.0.72.36.0.255") == 1  # one swell on L3
    assert value(twin, "0.0.96.7.21.255") == 1  # one power failure
