"""End to end: an MT372 twin on real loopback sockets, imported into the inventory
from a commissioning file, collected over HLS; what is stored equals what the twin's
objects hold, and a second collection stores nothing twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from openamr.client.values import as_datetime
from openamr.codec.obis import Obis
from openamr.codec.units import ScalerUnit
from openamr.headend import calendars, schema
from openamr.headend.collector import BILLING, LOAD_PROFILE, LOGBOOK, Collector, CollectPolicy
from openamr.headend.inventory import import_file
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.vault import Kek, MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.client.list_refusing import ListRefusingProxy
from tests.headend.commissioning_files import entry, write_json

KEK_BYTES = bytes(range(100, 132))


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=2)
    yield t
    await stop_twin(t)


async def imported(store: Store, tmp_path: Path, url: str, **kw: Any) -> MeterRecord:
    rows = [entry(KEK_BYTES, "12345678", url, DEFAULT_EK, DEFAULT_AK, **kw)]
    path = write_json(tmp_path / "fleet.json", KEK_BYTES, rows)
    await import_file(store, path, Kek(KEK_BYTES), now=1)
    return await store.meter("12345678")


def held(twin: Twin, obis: str) -> Any:
    return twin.app.device.find(Obis.parse(obis))


async def test_collect_stores_what_the_twin_holds(store: Store, twin: Twin, tmp_path: Path) -> None:
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    collector = Collector(store, Kek(KEK_BYTES), lambda: EPOCH)
    first = await collector.collect(meter)
    assert first.ok, first.reason
    assert meter.id is not None
    stamp = int(EPOCH.timestamp())
    for obis in BILLING:
        (r,) = await store.readings(meter.id, f"{obis}:2")
        reg = held(twin, obis)
        su = ScalerUnit.from_data(reg.scaler_unit)
        assert (r.ts, r.value, r.unit) == (stamp, su.apply(reg.value), su.unit.symbol)
    lp = held(twin, LOAD_PROFILE).rows
    a_plus = await store.readings(meter.id, f"{LOAD_PROFILE}/1.0.1.8.0.255:2")
    a_minus = await store.readings(meter.id, f"{LOAD_PROFILE}/1.0.2.8.0.255:2")
    expected = [(int(as_datetime(row[0]).timestamp()), row[1], row[2], row[3]) for row in lp]  # type: ignore[union-attr]
    got = [(p.ts, p.status, p.value, m.value) for p, m in zip(a_plus, a_minus, strict=True)]
    assert got == expected and len(got) == 192
    assert {p.unit for p in a_plus} == {"Wh"}
    log = held(twin, LOGBOOK).rows
    events = await store.events(meter.id)
    assert len(events) == len({(as_datetime(r[0]), r[1]) for r in log}) and events
    (session,) = await store.sessions(meter.id)
    assert session.outcome == "ok" and session.bytes_received > 4000 and session.bytes_sent > 100
    assert session.readings == first.readings == len(BILLING) + 2 * 192
    assert await store.counter(meter.id, "client") is not None

    total = await store.count("readings")
    again = await collector.collect(meter)
    assert again.ok and again.readings == 0 and again.events == 0
    assert await store.count("readings") == total
    # the client's counter only goes up, and the next session started above it
    assert len(await store.sessions(meter.id)) == 2
    assert await store.clock_corrections(meter.id) == []


async def test_gaps_are_reread(sqlite_store: Store, twin: Twin, tmp_path: Path) -> None:
    store = sqlite_store
    meter = await imported(store, tmp_path, twin.url("hdlc"))
    collector = Collector(store, Kek(KEK_BYTES), lambda: EPOCH)
    assert (await collector.collect(meter)).ok
    total = await store.count("readings")
    async with store.engine.begin() as conn:  # lose 10 intervals in the middle
        gone = await conn.exec_driver_sql(
            "DELETE FROM readings WHERE channel LIKE '1.0.99.1.0.255/%' AND ts BETWEEN ? AND ?",
            (int(EPOCH.timestamp()) - 86400, int(EPOCH.timestamp()) - 86400 + 9 * 900),
        )
    assert gone.rowcount == 20
    out = await collector.collect(meter)
    assert out.ok and out.gaps_reread == 1 and out.readings == 20
    assert await store.count("readings") == total


async def test_clock_corrected_within_max_shift(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    store = sqlite_store
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    assert meter.id is not None
    clock = held(twin, "0.0.1.0.0.255")
    reference = EPOCH + dt.timedelta(minutes=20)  # the meter is 20 min late
    policy = CollectPolicy(threshold=10, max_shift=300)
    collector = Collector(store, Kek(KEK_BYTES), lambda: reference, policy)
    assert (await collector.collect(meter)).ok
    (c,) = await store.clock_corrections(meter.id)
    assert (c.offset_s, c.shift_s, c.forced) == (-1200.0, 300.0, False)
    assert as_datetime(clock.stamp()) == EPOCH + dt.timedelta(seconds=300)
    assert (await collector.collect(meter, force_clock=True)).ok
    c2 = (await store.clock_corrections(meter.id))[1]
    assert (c2.offset_s, c2.shift_s, c2.forced) == (-900.0, 900.0, True)
    assert as_datetime(clock.stamp()) == reference
    assert c2.session_id == (len(await store.sessions(meter.id)))


async def test_failures_are_stored_with_their_reason(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    store = sqlite_store
    meter = await imported(
        store,
        tmp_path,
        "tcp://127.0.0.1:1",
    )
    collector = Collector(store, Kek(KEK_BYTES), lambda: EPOCH, CollectPolicy(timeout=2))
    out = await collector.collect(meter)
    assert not out.ok and out.transient and "cannot connect" in out.reason
    wrong = await imported(store, tmp_path, twin.url("wrapper"))
    assert wrong.id is not None
    bad_keys = MeterSecrets(b"x", bytes(16), bytes(16))
    await store.put_meter(replace(wrong, secrets=bad_keys), Kek(KEK_BYTES), 2)
    out = await collector.collect(wrong)
    assert not out.ok and not out.transient, out.reason
    reasons = [(s.outcome, s.reason) for s in await store.sessions()]
    assert [o for o, _ in reasons] == ["failed", "failed"] and all(r for _, r in reasons)


async def test_no_kek_is_a_permanent_failure(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    meter = await imported(sqlite_store, tmp_path, twin.url("wrapper"))
    out = await Collector(sqlite_store, None, lambda: EPOCH).collect(meter)
    assert not out.ok and not out.transient and "pass --kek-file" in out.reason


async def test_a_meter_that_refuses_the_with_list_is_collected_alike(
    sqlite_store: Store, twin: Twin, tmp_path: Path
) -> None:
    """A meter with a smaller with-list limit than the MT372's (here: 4 attributes)
    answers the session's first list with an EXCEPTION-Response; the session reads it
    one attribute a request and stores what a session with the MT372 stores."""
    store = sqlite_store
    port = int(twin.url("wrapper").rsplit(":", 1)[1])
    proxy = ListRefusingProxy(("127.0.0.1", port), 4, "exception-response")
    url = await proxy.start()
    try:
        meter = await imported(store, tmp_path, url, client=32, auth="low")
        assert meter.id is not None
        out = await Collector(store, Kek(KEK_BYTES), lambda: EPOCH).collect(meter)
        assert out.ok, out.reason
        assert proxy.refused == 1 and proxy.lists == 0  # then one attribute a request
    finally:
        await proxy.close()
    assert out.readings == len(BILLING) + 2 * 192 and out.events > 0
    stamp = int(EPOCH.timestamp())
    for obis in BILLING:
        (r,) = await store.readings(meter.id, f"{obis}:2")
        su = ScalerUnit.from_data(held(twin, obis).scaler_unit)
        assert (r.ts, r.value) == (stamp, su.apply(held(twin, obis).value))
    assert len(await store.readings(meter.id, f"{LOAD_PROFILE}/1.0.1.8.0.255:2")) == 192
    assert not await calendars.due(store, meter.id, stamp)  # the calendar was read too


async def test_the_calendar_is_stored_with_its_session_and_read_when_due(
    store: Store, twin: Twin, tmp_path: Path
) -> None:
    meter = await imported(store, tmp_path, twin.url("wrapper"))
    assert meter.id is not None
    now = [EPOCH]
    collector = Collector(store, Kek(KEK_BYTES), lambda: now[0])
    assert (await collector.collect(meter)).ok
    (session,) = await store.sessions(meter.id)
    plans = await calendars.plans(store, meter.id)
    assert plans.reads == [session.ended] and not isinstance(plans.at(session.ended), str)
    t = schema.tariff_calendars
    async with store.engine.connect() as conn:
        (checked,) = (await conn.execute(select(t.c.checked).where(t.c.meter_id == meter.id))).one()
    assert checked == session.ended
    now[0] = EPOCH + dt.timedelta(minutes=15)
    assert (await collector.collect(meter)).ok  # not due: not read, its check time stays
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(t.c.read_at, t.c.checked)
                                   .where(t.c.meter_id == meter.id))).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [(session.ended, session.ended)]
