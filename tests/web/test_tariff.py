"""The load profile per rate: the head-end's rate assignment (headend/tariff.py, from the
calendar it reads during collection) against the twin's own.

* instant by instant over a year (seasons, weekends, special days, both DST changes),
  the head-end's rate equals the twin's calendar engine's (meter/tariff, a separate
  implementation on the meter side);
* end to end over real sockets: a twin with days of history is collected, and for
  each local day the sum of the intervals the head-end's profile API puts at rate T
  equals the advance of the twin's own register for rate T over that day (its daily
  billing profile 1.0.98.2.0.255, captured at local midnight), import and export,
  within the registers' resolution (1 Wh); also across both DST changes (the 23-hour
  day of the last Sunday of March and the 25-hour day of the last Sunday of October);
* a confirmed ``tariff_calendar`` command makes the next collection read it again.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openamr.client.values import as_datetime
from openamr.codec.obis import Obis
from openamr.cosem.classes.clock import Clock
from openamr.headend import calendars, schema
from openamr.headend.api import create_app
from openamr.headend.collector import Collector, CollectPolicy
from openamr.headend.ondemand import OnDemand
from openamr.headend.store import Store
from openamr.headend.tariff import CalendarError, TariffPlan
from openamr.headend.vault import Kek
from openamr.meter.clock import SteppedTime
from openamr.meter.tariff import mt372_calendar
from openamr.meter.tariff.defaults import day, season, special_day, week
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.test_collect_e2e import KEK_BYTES, imported

DAILY = "1.0.98.2.0.255"


def plan_of(cd: Any, clock: Clock) -> TariffPlan:
    return TariffPlan({
        "season_profile_active": cd.season_profile, "week_profile_table_active":
        cd.week_profile_table, "day_profile_table_active": cd.day_profile_table,
        "special_days": cd.special_days, "time_zone": clock.time_zone,
        "daylight_savings_begin": clock.daylight_savings_begin,
        "daylight_savings_end": clock.daylight_savings_end,
        "daylight_savings_deviation": clock.daylight_savings_deviation,
        "daylight_savings_enabled": clock.daylight_savings_enabled,
    })  # fmt: skip


def a_clock() -> Clock:
    return Clock("0.0.1.0.0.255", lambda: dt.datetime.now(dt.UTC), lambda _: None)


def test_the_rate_is_the_twin_s_at_every_quarter_hour_of_a_year() -> None:
    clock = a_clock()
    factory = mt372_calendar()
    three = type(factory)(  # three rates, a season from 15 June 12:00, a last-Friday special day
        season_profile=[season(b"w", 1, 1, b"a"), season(b"s", 6, 15, b"b")],
        week_profile_table=[week(b"a", [1, 1, 1, 1, 1, 2, 3]), week(b"b", [2] * 5 + [3] * 2)],
        day_profile_table=[
            day(1, [(dt.time(7), 1), (dt.time(13, 30), 3), (dt.time(20), 2)]),
            day(2, [(dt.time(8), 3)]),  # before 08:00 the day before's rate carries on
            day(3, [(dt.time(0), 2)]),
        ],
        special_days=[special_day(1, 0xFF, 0xFE, 3)],  # the last day of every month
    )
    start = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp())
    for data in (factory, three):
        ours, theirs = plan_of(data, clock), data.parse()
        wrong = [
            t for t in range(start, start + 366 * 86400, 900)
            if ours.rate_at(t) != theirs.rate_at(dt.datetime.fromtimestamp(t, dt.UTC), clock)
        ]  # fmt: skip
        assert wrong == []
    split = plan_of(three, clock).shares(start + 6 * 3600 - 300, start + 6 * 3600 + 600)
    assert split.shares == ((1, 2 / 3), (2, 1 / 3)) and split.estimated  # 07:00 CET


def test_the_passive_calendar_takes_over_at_its_activation_time() -> None:
    clock = a_clock()
    data = mt372_calendar()
    values = {
        "season_profile_active": data.season_profile,
        "week_profile_table_active": data.week_profile_table,
        "day_profile_table_active": data.day_profile_table,
        "season_profile_passive": [season(b"all", 1, 1, b"w")],
        "week_profile_table_passive": [week(b"w", [4] * 7)],
        "day_profile_table_passive": [day(4, [(dt.time(0), 4)])],
        # 2026-07-01 12:00 local (CEST, no deviation): 10:00 UTC
        "activate_passive_calendar_time": bytes.fromhex("07ea 07 01 ff 0c 00 00 00 8000 ff"),
        **{k: getattr(clock, k) for k in ("time_zone", "daylight_savings_begin",
           "daylight_savings_end", "daylight_savings_deviation", "daylight_savings_enabled")},
    }  # fmt: skip
    plan = TariffPlan(values)
    at = int(dt.datetime(2026, 7, 1, 10, tzinfo=dt.UTC).timestamp())
    assert plan.activation == at
    assert (plan.rate_at(at - 1), plan.rate_at(at)) == (1, 4)  # a Wednesday, 11:59 T1
    assert plan.shares(at - 450, at + 450).shares == ((1, 0.5), (4, 0.5))


def test_a_calendar_that_cannot_be_followed_says_why() -> None:
    clock = a_clock()
    data = mt372_calendar()
    bad = type(data)(data.season_profile, [week(b"workweek", [1, 1, 1, 1, 1, 9, 9])],
                     data.day_profile_table, data.special_days)  # fmt: skip
    with pytest.raises(CalendarError, match="day profile"):
        plan_of(bad, clock)


async def per_rate_against_the_twin(store: Store, tmp_path: Path, twin: Twin, at: dt.datetime,
                                    days: int) -> list[int]:  # fmt: skip
    """Collect the twin at ``at``; check each whole local day; the checked days' lengths
    in intervals (96; 92 and 100 on the days of the DST changes)."""
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    assert meter.id is not None
    policy = CollectPolicy(first_days=days + 1)
    out = await Collector(store, Kek(KEK_BYTES), lambda: at, policy).collect(meter)
    assert out.ok, out.reason
    app = create_app(store, None, OnDemand(store, None, lambda: at), lambda: at)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h") as c:
        p = (await c.get(f"/meters/{meter.serial}/profile", params={"days": days + 1})).json()
    assert p["calendar"]["problem"] is None and p["calendar"]["name"] is not None
    assert p["calendar"]["estimated"] == 0  # the MT372's rates switch on quarter hours
    rates = {(r["direction"], r["rate"]): r["energy"] for r in p["rates"]}
    assert {k[0] for k in rates} == {"import", "export"} and {k[1] for k in rates} == {1, 2}
    daily = twin.app.device.find(Obis.parse(DAILY)).rows
    midnights = [(int(as_datetime(row[0]).timestamp()), row) for row in daily]  # type: ignore[union-attr]
    checked: list[int] = []
    for (d0, r0), (d1, r1) in itertools.pairwise(midnights):
        inside = [i for i, t in enumerate(p["ts"]) if d0 < t <= d1]
        if len(inside) < 92 or p["ts"][inside[0] - 1] != d0:
            continue  # not a whole day of the profile
        for (direction, rate), energy in rates.items():
            column = rate + (1 if direction == "import" else 6)  # clock, A+ T0..T4, A- T0..T4
            ours = sum(energy[i] or 0 for i in inside)
            assert abs(ours - (r1[column] - r0[column])) <= 1, (direction, rate, d0)
        checked.append(len(inside))
    return checked


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(f"sqlite:///{tmp_path / 'headend.db'}")
    yield store
    await store.close()


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=9)
    yield t
    await stop_twin(t)


async def test_a_day_at_rate_t_is_the_advance_of_the_meter_s_register_t(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    from openamr.meter.mt372 import EPOCH

    assert len(await per_rate_against_the_twin(sqlite_store, tmp_path, twin, EPOCH, 9)) >= 7


async def test_across_the_spring_dst_change(sqlite_store: Store, tmp_path: Path) -> None:
    at = dt.datetime(2026, 3, 31, 6, tzinfo=dt.UTC)  # 29 March: 02:00 CET -> 03:00 CEST
    spring = await start_twin(history_days=4, time_base=SteppedTime(at))
    try:
        checked = await per_rate_against_the_twin(sqlite_store, tmp_path, spring, at, 4)
    finally:
        await stop_twin(spring)
    assert len(checked) >= 3 and 92 in checked, checked  # the 23-hour day among them


async def test_across_the_autumn_dst_change(sqlite_store: Store, tmp_path: Path) -> None:
    """The Saturday, the 25-hour Sunday (T2 all day by the factory calendar: its 100
    intervals, T1 none) and the Monday, whose 06:00 and 22:00 switches are CET: a
    head-end that kept CEST past the change puts 06:00-07:00 at T1 there and fails."""
    at = dt.datetime(2026, 10, 27, 6, tzinfo=dt.UTC)  # 25 October: 03:00 CEST -> 02:00 CET
    autumn = await start_twin(history_days=4, time_base=SteppedTime(at))
    try:
        checked = await per_rate_against_the_twin(sqlite_store, tmp_path, autumn, at, 4)
    finally:
        await stop_twin(autumn)
    assert len(checked) >= 3 and 100 in checked, checked  # the 25-hour day among them


async def test_the_calendar_is_read_again_after_a_tariff_calendar_command(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    store = sqlite_store
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    assert meter.id is not None
    now = 1_800_000_000
    assert await calendars.due(store, meter.id, now)
    assert await calendars.save(store, meter.id, now, {"time_zone": b"\x10\xff\xc4"})
    assert not await calendars.due(store, meter.id, now + 60)
    assert not await calendars.save(store, meter.id, now + 30, {"time_zone": b"\x10\xff\xc4"})
    c = schema.commands
    async with store.engine.begin() as conn:
        await conn.execute(c.insert().values(correlation_id="x", meter_id=meter.id,
                                             kind="tariff_calendar", state="confirmed",
                                             created=now + 90, updated=now + 100))  # fmt: skip
    assert await calendars.due(store, meter.id, now + 120)
    plans = await calendars.plans(store, meter.id)
    assert isinstance(plans.at(now), str) and "cannot be followed" in str(plans.at(now))


async def test_after_a_tariff_calendar_command_the_next_collection_reads_the_new_one(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    from openamr.meter.mt372 import EPOCH
    from tests.headend.test_programming import CALENDAR

    store = sqlite_store
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    assert meter.id is not None
    first = Collector(store, Kek(KEK_BYTES), lambda: EPOCH)
    assert (await first.collect(meter)).ok
    assert not await calendars.due(store, meter.id, int(EPOCH.timestamp()))
    ondemand = OnDemand(store, Kek(KEK_BYTES), lambda: EPOCH, timeout=5)
    cid = await ondemand.submit(meter, "tariff_calendar", CALENDAR)  # passive, 2027-01-01
    await ondemand.wait()
    await ondemand.close()
    assert (await store.command_history(cid))[-1][1] == "confirmed"
    assert await calendars.due(store, meter.id, int(EPOCH.timestamp()))
    later = EPOCH + dt.timedelta(seconds=5)
    assert (await Collector(store, Kek(KEK_BYTES), lambda: later).collect(meter)).ok
    assert not await calendars.due(store, meter.id, int(later.timestamp()))
    plans = await calendars.plans(store, meter.id)
    assert len(plans.reads) == 2  # the history of the meter's calendars is kept
    plan = plans.at(int(later.timestamp()))
    assert not isinstance(plan, str) and plan.activation == CALENDAR["activate_at"]
    # a Monday 21:30 CET: T1 by the factory calendar (06-22), T2 by T2027's (07-21)
    for monday, rate in (
        (dt.datetime(2026, 12, 28, 20, 30), 1),
        (dt.datetime(2027, 1, 4, 20, 30), 2),
    ):
        assert plan.rate_at(int(monday.replace(tzinfo=dt.UTC).timestamp())) == rate
