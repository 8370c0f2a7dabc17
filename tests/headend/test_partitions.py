"""PostgreSQL: readings partitioned by month (the migration step, on a fresh
database and on one holding rows from before it), partitions made ahead, and the
COPY ingest storing each (meter, channel, time) once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from openamr.headend import db
from openamr.headend.model import MeterRecord, Reading
from openamr.headend.store import Store
from tests.headend.queues import pg_url


async def _where(store: Store) -> dict[int, str]:
    async with store.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT ts, tableoid::regclass::text FROM readings"))).all()
    return {int(ts): str(part).split(".")[-1] for ts, part in rows}


async def test_partitioned_by_month_and_made_ahead() -> None:
    async with pg_url() as url:
        store = await Store.open(url)
        try:
            async with store.engine.connect() as conn:
                kind = await conn.scalar(text(
                    "SELECT relkind::text FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE relname = 'readings' "
                    "AND nspname = current_schema()"))  # fmt: skip
                parts = set((await conn.execute(text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits "
                    "WHERE inhparent = 'readings'::regclass"))).scalars())  # fmt: skip
            assert kind == "p"
            now = time.time()
            month = db.month_start(now)
            wanted = [month]
            for _ in range(db.MONTHS_AHEAD):
                wanted.append(db.next_month(wanted[-1]))
            names = {"readings_" + time.strftime("%Y%m", time.gmtime(m)) for m in wanted}
            assert names <= {p.split(".")[-1] for p in parts}
            assert "readings_default" in {p.split(".")[-1] for p in parts}
        finally:
            await store.close()


async def test_copy_ingest_stores_each_reading_once() -> None:
    async with pg_url() as url:
        store = await Store.open(url)
        try:
            m = await store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1"), None, 0)
            now = int(time.time()) // 900 * 900
            batch = [Reading(m, "1.0.99.1.0.255/1.0.1.8.0.255:2", now - 900 * i, float(i), "Wh",
                             0x80 if i == 3 else None, i % 2) for i in range(200)]  # fmt: skip
            assert await store.add_readings([*batch, batch[0]]) == 200  # a repeat in the batch
            assert await store.add_readings(batch) == 0  # a retried batch: nothing twice
            old = Reading(m, "x:2", 86400, 1.5, "V")  # 1970: no month made for it
            assert await store.add_readings([old, batch[5]]) == 1
            stored = await store.readings(m, "1.0.99.1.0.255/1.0.1.8.0.255:2")
            assert sorted(stored) == sorted(batch)  # values, units, status, quality as given
            where = await _where(store)
            assert where[86400] == "readings_default"
            assert where[now] == "readings_" + time.strftime("%Y%m", time.gmtime(now))
        finally:
            await store.close()


async def test_migration_moves_rows_stored_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async with pg_url() as url:
        monkeypatch.setattr(
            db, "MIGRATIONS", [m for m in db.MIGRATIONS if m[2] is not db._partition_readings]
        )
        store = await Store.open(url)
        m = await store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1"), None, 0)
        now = int(time.time())
        rows = [Reading(m, "a:2", now - 86400 * 40, 1.0, "Wh"), Reading(m, "a:2", now, 2.0, "Wh")]
        async with store.engine.begin() as conn:  # as before the step (no partitions yet)
            insert = "INSERT INTO readings VALUES (:m, 'a:2', :t, 1, 'Wh', NULL, 0)"
            await conn.execute(text(insert), [{"m": m, "t": r.ts} for r in rows])
        await store.close()
        monkeypatch.undo()
        store = await Store.open(url)
        try:
            where = await _where(store)
            assert where == {r.ts: "readings_" + time.strftime("%Y%m", time.gmtime(r.ts))
                             for r in rows}  # fmt: skip
            assert await store.add_readings(rows) == 0
        finally:
            await store.close()
