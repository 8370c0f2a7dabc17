"""The web page's summaries kept by ``save_session``: the profile intervals per meter
and day equal a count over the readings after overlapping and repeated sessions, on
both engines; migration 2 fills them from readings stored before it; every session's
clock offset is kept; a database of before migration 2 gets the column."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select, text

from openamr.headend import db, schema
from openamr.headend.model import MeterRecord, Reading, SessionRecord
from openamr.headend.store import Store

DAY = 86400
PROFILE = "1.0.99.1.0.255/"
T0 = 20_000 * DAY  # a UTC midnight


def profile_rows(meter_id: int, first: int, count: int) -> list[Reading]:
    rows = []
    for k in range(count):
        ts = T0 + (first + k) * 900
        rows += [Reading(meter_id, f"{PROFILE}1.0.1.8.0.255:2", ts, 1.0 * k, "Wh"),
                 Reading(meter_id, f"{PROFILE}1.0.2.8.0.255:2", ts, 0.0, "Wh")]  # fmt: skip
    return [*rows, Reading(meter_id, "1.0.1.8.0.255:2", T0 + first * 900, 5.0, "Wh")]


async def counted(store: Store) -> tuple[dict[int, int], dict[int, int]]:
    r, d = schema.readings, schema.profile_days
    day = (r.c.ts - 1) // DAY
    async with store.engine.connect() as conn:
        truth = dict(
            (
                await conn.execute(
                    select(day, func.count(func.distinct(r.c.ts)))
                    .where(r.c.channel >= PROFILE, r.c.channel < PROFILE + "\uffff")
                    .group_by(day)
                )
            ).all()
        )
        kept = dict((await conn.execute(select(d.c.day, d.c.received))).all())
    return {int(k): int(v) for k, v in truth.items()}, {int(k): int(v) for k, v in kept.items()}


async def session(store: Store, meter_id: int, rows: list[Reading], offset: float | None) -> None:
    record = SessionRecord(meter_id, T0, T0 + 1, 10, 10, "ok", clock_offset_s=offset)
    await store.save_session(record, rows, [], {}, [])


async def test_profile_days_count_each_interval_once(store: Store) -> None:
    meter_id = await store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1", auth="none"), None, 0)
    await session(store, meter_id, profile_rows(meter_id, 1, 150), 1.5)  # 1.5 days
    await session(store, meter_id, profile_rows(meter_id, 100, 100), None)  # overlaps
    await session(store, meter_id, profile_rows(meter_id, 100, 100), None)  # all again
    truth, kept = await counted(store)
    assert kept == truth and sum(kept.values()) == 199  # intervals 1 to 199
    s = schema.sessions
    async with store.engine.connect() as conn:
        offsets = (await conn.execute(select(s.c.clock_offset_s).order_by(s.c.id))).scalars()
        assert list(offsets) == [1.5, None, None]


async def test_migration_2_fills_profile_days_from_stored_readings(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        meter_id = await store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1"), None, 0)
        await store.add_readings(profile_rows(meter_id, 50, 80))
        v = schema.schema_version
        async with store.engine.begin() as conn:  # as a database of before migration 2
            await conn.execute(delete(schema.profile_days))
            await conn.execute(delete(v).where(v.c.version == 2))
            await conn.execute(text("ALTER TABLE sessions DROP COLUMN clock_offset_s"))
        assert await db.migrate(store.engine) == [2]
        record = SessionRecord(meter_id, T0, T0 + 1, 10, 10, "ok", clock_offset_s=-2.0)
        await store.save_session(record, [], [], {}, [])  # the column is back
        truth, kept = await counted(store)
        assert kept == truth and sum(kept.values()) == 80
    finally:
        await store.close()
