"""The store on SQLite and on PostgreSQL: inventory, idempotent batches, counters that
never go down, commands with history, migrations applied once."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from openamr.headend import db
from openamr.headend.model import ClockCorrection, EventRecord, MeterRecord, Reading, SessionRecord
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek, MeterSecrets, VaultError
from tests.headend.conftest import KEK

EK = bytes(range(16))
SECRETS = MeterSecrets(b"12345678", EK, bytes(range(16, 32)))


def meter(serial: str = "10000001", **kw: object) -> MeterRecord:
    fields: dict[str, object] = {"url": "tcp://127.0.0.1:4059", "cell": 7, "group": "feeder-01"}
    return MeterRecord(serial=serial, secrets=SECRETS, **(fields | kw))  # type: ignore[arg-type]


async def test_migrations_run_once(store: Store) -> None:
    assert await db.current_version(store.engine) == db.LATEST
    assert await db.migrate(store.engine, store.url.schema) == []


async def test_inventory_round_trip_and_sealed_secrets(store: Store) -> None:
    mid = await store.put_meter(meter(), KEK, now=100)
    again = await store.put_meter(meter(url="tcp://127.0.0.1:5000"), KEK, now=200)
    assert again == mid
    (row,) = await store.meters()
    assert (row.serial, row.url, row.cell, row.group) == (
        "10000001",
        "tcp://127.0.0.1:5000",
        7,
        "feeder-01",
    )
    assert not row.secrets  # never returned with the inventory
    assert await store.secrets_of(mid, KEK) == SECRETS
    with pytest.raises(VaultError, match="do not open under KEK"):
        await store.secrets_of(mid, Kek(bytes(16)))
    async with store.engine.connect() as conn:
        raw = (await conn.exec_driver_sql("SELECT secrets FROM meters")).scalar_one()
    assert EK not in bytes(raw) and b"12345678" not in bytes(raw)
    assert "12345678" not in repr(await store.meter("10000001")) + repr(SECRETS)


async def test_update_decommission_list(store: Store) -> None:
    await store.put_meter(meter("1"), KEK, 1)
    await store.put_meter(meter("2"), KEK, 1)
    await store.update_meter("2", 5, group="feeder-09", cell=3)
    await store.decommission("1", 6)
    active = await store.meters()
    assert [(m.serial, m.group, m.cell) for m in active] == [("2", "feeder-09", 3)]
    assert (await store.meter("1")).state == "decommissioned"
    with pytest.raises(StoreError, match="no meter 9"):
        await store.update_meter("9", 7, cell=1)
    with pytest.raises(StoreError, match="cannot change secrets"):
        await store.update_meter("2", 7, secrets=b"x")


async def test_readings_stored_once(store: Store) -> None:
    mid = await store.put_meter(meter(), KEK, 1)
    batch = [Reading(mid, "1.0.1.8.0.255:2", 900 * i, float(i), "Wh", 0x08) for i in range(500)]
    first = await store.add_readings(batch)
    second = await store.add_readings(
        [*batch[250:], Reading(mid, "1.0.1.8.0.255:2", 900 * 500, 1.0, "Wh")]
    )
    assert await store.count("readings") == 501
    assert (first, second) == (500, 1)
    assert await store.last_reading(mid, "1.0.1.8.0.255:2") == 450000
    assert await store.last_reading(mid, "other") is None
    got = await store.readings(mid, start=900, end=1800)
    assert [(r.ts, r.value, r.unit, r.status) for r in got] == [
        (900, 1.0, "Wh", 8),
        (1800, 2.0, "Wh", 8),
    ]
    assert await store.reading_times(mid, "1.0.1.8.0.255:2", 0, 2700) == [0, 900, 1800, 2700]


async def test_events_alarms_sessions_clock(store: Store) -> None:
    mid = await store.put_meter(meter(), KEK, 1)
    ev = [EventRecord(mid, "1.0.99.98.0.255", 10, 0x80, "power failure"),
          EventRecord(mid, "1.0.99.98.0.255", 20, 0x40, "power returned")]  # fmt: skip
    await store.add_events(ev)
    await store.add_events(ev)
    assert await store.events(mid) == ev
    assert await store.last_event(mid, "1.0.99.98.0.255") == 20
    assert await store.add_alarm("ISK00001", 5, 0x8010, "meter cover opened", 6, mid)
    assert not await store.add_alarm("ISK00001", 5, 0x8010, "meter cover opened", 7, mid)
    s = SessionRecord(mid, 100, 103, 400, 4000, "failed", "timeout", 0)
    sid = await store.add_session(s)
    assert await store.sessions(mid) == [s]
    c = ClockCorrection(mid, 101, 42.5, -30.0, False, sid)
    await store.add_clock_correction(c)
    assert await store.clock_corrections(mid) == [c]


async def test_counter_never_lowered(store: Store) -> None:
    mid = await store.put_meter(meter(), KEK, 1)
    assert await store.counter(mid, "ek") is None
    assert await store.raise_counter(mid, "ek", 100, 1) == 100
    assert await store.raise_counter(mid, "ek", 50, 2) == 100
    assert await store.raise_counter(mid, "ek", 101, 3) == 101
    assert await store.raise_counter(mid, "server", 7, 3) == 7
    assert await store.counter(mid, "ek") == 101


async def test_command_states_with_history(store: Store) -> None:
    mid = await store.put_meter(meter(), KEK, 1)
    cid = await store.add_command(mid, "disconnect", {"relay": 1}, now=10)
    await store.set_command_state(cid, "sent", 11)
    await store.set_command_state(cid, "confirmed", 12, "read back: disconnected", result="ok")
    assert await store.command_history(cid) == [
        (10, "queued", ""), (11, "sent", ""), (12, "confirmed", "read back: disconnected"),
    ]  # fmt: skip
    with pytest.raises(StoreError, match="command state"):
        await store.set_command_state(cid, "done", 13)


def test_database_urls() -> None:
    assert db.parse_database_url("x.db").sqlalchemy_url == "sqlite+aiosqlite:///x.db"
    pg = db.parse_database_url("postgresql://u@127.0.0.1/test?schema=abc_1")
    assert (pg.sqlalchemy_url, pg.schema) == ("postgresql+asyncpg://u@127.0.0.1/test", "abc_1")
    with pytest.raises(db.DatabaseError, match="use sqlite"):
        db.parse_database_url("mysql://x")
    with pytest.raises(db.DatabaseError, match="schema name"):
        db.parse_database_url("postgresql://u@h/d?schema=a;drop")


async def test_sqlite_is_wal(sqlite_store: Store) -> None:
    async with sqlite_store.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one()
    assert mode == "wal"


async def test_reads_on_postgresql_go_without_a_transaction(pg_store: Store) -> None:
    """Store.reading(): on PostgreSQL each statement is its own transaction (no BEGIN,
    no ROLLBACK on the way back to the pool): two statements, two transaction ids; in
    a transaction block (engine.connect(), as before) one. (SQLite reads as before.)"""
    txid = text("SELECT txid_current()")
    async with pg_store.reading() as conn:
        assert (await conn.execute(txid)).scalar() != (await conn.execute(txid)).scalar()
    async with pg_store.engine.connect() as conn:
        assert (await conn.execute(txid)).scalar() == (await conn.execute(txid)).scalar()
