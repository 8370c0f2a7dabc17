"""The head-end's storage behind one interface, on SQLite or PostgreSQL
(:mod:`openamr.headend.db` for URLs and migrations, :mod:`openamr.headend.schema`
for the tables).

Readings and events go in batches (one executemany of ``INSERT ... ON CONFLICT DO
NOTHING``): a row already stored is skipped, so a re-read or a retried batch stores
nothing twice. Invocation counters only go up (``ON CONFLICT DO UPDATE ... WHERE
stored < new``). Meter secrets are sealed under the KEK before they reach the
database and are opened only by :meth:`Store.secrets_of`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Insert, Select, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from openamr.headend import db, schema
from openamr.headend.model import (
    ClockCorrection,
    EventRecord,
    JobRow,
    MeterRecord,
    Reading,
    SessionRecord,
)
from openamr.headend.vault import Kek, MeterSecrets

_FIELDS = [
    "serial", "url", "client", "auth", "logical_device_name", "system_title", "cell",
    "tariff_group", "msisdn", "iccid", "imsi", "firmware", "state",
]  # fmt: skip
COMMAND_STATES = ("queued", "sent", "confirmed", "failed")


class StoreError(Exception):
    """A store operation that cannot be done; the message says what to do."""


class Store:
    """One database; build it with :meth:`Store.open`."""

    def __init__(self, engine: AsyncEngine, url: db.DatabaseUrl) -> None:
        self.engine, self.url = engine, url
        self._insert = sqlite.insert if url.dialect == "sqlite" else postgresql.insert

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and bring the schema up to date."""
        parsed = db.parse_database_url(url)
        engine = db.create_engine(parsed)
        try:
            await db.migrate(engine, parsed.schema)
        except (OperationalError, OSError) as e:
            await engine.dispose()
            raise StoreError(f"cannot open the database {url}: {e}; check the URL") from None
        return cls(engine, parsed)

    async def close(self) -> None:
        await self.engine.dispose()

    def _skip_duplicates(self, table: Table) -> Insert:
        return self._insert(table).on_conflict_do_nothing()

    async def _insert_once(self, table: Table, params: list[dict[str, Any]]) -> int | None:
        """Insert, skipping rows already there; the number of new rows. SQLite: one
        executemany (its rowcount adds up). PostgreSQL: multi-row VALUES in chunks
        under asyncpg's 32767 parameters, whose rowcounts are exact."""
        async with self.engine.begin() as conn:
            if self.url.dialect == "sqlite":
                result = await conn.execute(self._skip_duplicates(table), params)
                return result.rowcount if result.rowcount >= 0 else None
            chunk, total = 30000 // len(table.columns), 0
            for i in range(0, len(params), chunk):
                statement = self._insert(table).values(params[i : i + chunk])
                result = await conn.execute(statement.on_conflict_do_nothing())
                total += result.rowcount
            return total

    async def _rows(self, query: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    # -- inventory -------------------------------------------------------------------

    async def put_meter(self, record: MeterRecord, kek: Kek | None, now: int) -> int:
        """Add a meter or update the one with that serial; returns its id. Secrets
        are sealed under ``kek`` (kept as they are when the record has none)."""
        values: dict[str, Any] = {f: getattr(record, f) for f in _FIELDS}
        values["group_name"] = record.group
        values["updated"] = now
        if record.secrets:
            if kek is None:
                raise StoreError(
                    f"meter {record.serial} has secrets: pass --kek-file PATH or set OPENAMR_KEK"
                )
            values["secrets"] = kek.seal(record.secrets, record.serial)
            values["kek_id"] = kek.kek_id
        t = schema.meters
        statement = self._insert(t).values(created=now, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.serial],
            set_={k: statement.excluded[k] for k in values},
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)
            found = await conn.scalar(select(t.c.id).where(t.c.serial == record.serial))
        assert found is not None
        return int(found)

    async def update_meter(self, serial: str, now: int, **changes: Any) -> None:
        allowed = set(_FIELDS) | {"group"}
        bad = set(changes) - allowed
        if bad:
            raise StoreError(f"cannot change {', '.join(sorted(bad))}; fields: {sorted(allowed)}")
        if "group" in changes:
            changes["group_name"] = changes.pop("group")
        t = schema.meters
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(t).where(t.c.serial == serial).values(updated=now, **changes)
            )
        if result.rowcount == 0:
            raise StoreError(
                f"no meter {serial} in the inventory; see 'openamr headend meters list'"
            )

    async def decommission(self, serial: str, now: int) -> None:
        await self.update_meter(serial, now, state="decommissioned")

    async def meters(
        self,
        *,
        serial: str | None = None,
        group: str | None = None,
        cell: int | None = None,
        state: str | None = "active",
    ) -> list[MeterRecord]:
        """Inventory rows (without secrets), by serial."""
        t = schema.meters
        query = select(t).order_by(t.c.serial)
        for column, wanted in ((t.c.serial, serial), (t.c.group_name, group), (t.c.cell, cell),
                               (t.c.state, state)):  # fmt: skip
            if wanted is not None:
                query = query.where(column == wanted)
        rows = await self._rows(query)
        return [
            MeterRecord(
                **{f: getattr(r, f) for f in _FIELDS},
                group=r.group_name,
                id=r.id,
            )
            for r in rows
        ]

    async def meter(self, serial: str) -> MeterRecord:
        found = await self.meters(serial=serial, state=None)
        if not found:
            raise StoreError(
                f"no meter {serial} in the inventory; see 'openamr headend meters list'"
            )
        return found[0]

    async def secrets_of(self, meter_id: int, kek: Kek | None) -> MeterSecrets:
        t = schema.meters
        rows = await self._rows(
            select(t.c.serial, t.c.secrets, t.c.kek_id).where(t.c.id == meter_id)
        )
        if not rows or rows[0].secrets is None:
            return MeterSecrets()
        serial, box, kek_id = rows[0]
        if kek is None:
            raise StoreError(
                f"meter {serial}: its secrets need KEK {kek_id}: pass --kek-file or set OPENAMR_KEK"
            )
        return kek.open(bytes(box), serial)

    # -- readings and events -----------------------------------------------------------

    async def add_readings(self, rows: Sequence[Reading]) -> int | None:
        """Store a batch once; the number of new rows where the driver says it."""
        if not rows:
            return 0
        return await self._insert_once(schema.readings, [asdict(r) for r in rows])

    async def last_reading(self, meter_id: int, channel: str) -> int | None:
        t = schema.readings
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(func.max(t.c.ts)).where(t.c.meter_id == meter_id, t.c.channel == channel)
            )
        return None if value is None else int(value)

    async def last_reading_in(self, meter_id: int, prefix: str) -> int | None:
        """The newest time stored on any channel whose name starts with ``prefix``."""
        return await self._edge_in(meter_id, prefix, func.max)

    async def first_reading_in(self, meter_id: int, prefix: str) -> int | None:
        return await self._edge_in(meter_id, prefix, func.min)

    async def _edge_in(self, meter_id: int, prefix: str, edge: Any) -> int | None:
        t = schema.readings
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(edge(t.c.ts)).where(
                    t.c.meter_id == meter_id, t.c.channel >= prefix, t.c.channel < prefix + "\uffff"
                )
            )
        return None if value is None else int(value)

    async def reading_times(self, meter_id: int, channel: str, start: int, end: int) -> list[int]:
        t = schema.readings
        query = (
            select(t.c.ts)
            .where(t.c.meter_id == meter_id, t.c.channel == channel, t.c.ts.between(start, end))
            .order_by(t.c.ts)
        )
        return [int(r.ts) for r in await self._rows(query)]

    async def readings(
        self,
        meter_id: int | None = None,
        channel: str | None = None,
        start: int | None = None,
        end: int | None = None,
        limit: int | None = None,
    ) -> list[Reading]:
        t = schema.readings
        query = select(t).order_by(t.c.meter_id, t.c.channel, t.c.ts)
        if meter_id is not None:
            query = query.where(t.c.meter_id == meter_id)
        if channel is not None:
            query = query.where(t.c.channel == channel)
        if start is not None:
            query = query.where(t.c.ts >= start)
        if end is not None:
            query = query.where(t.c.ts <= end)
        if limit is not None:
            query = query.limit(limit)
        return [Reading(**r._asdict()) for r in await self._rows(query)]

    async def count(self, table: str) -> int:
        t = schema.metadata.tables[table]
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(t)) or 0)

    async def add_events(self, rows: Sequence[EventRecord]) -> int | None:
        if not rows:
            return 0
        return await self._insert_once(schema.events, [asdict(r) for r in rows])

    async def last_event(self, meter_id: int, log: str) -> int | None:
        t = schema.events
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(func.max(t.c.ts)).where(t.c.meter_id == meter_id, t.c.log == log)
            )
        return None if value is None else int(value)

    async def events(self, meter_id: int) -> list[EventRecord]:
        t = schema.events
        query = select(t).where(t.c.meter_id == meter_id).order_by(t.c.ts, t.c.code)
        return [EventRecord(**r._asdict()) for r in await self._rows(query)]

    async def add_alarm(
        self,
        sender: str,
        ts: int,
        code: int,
        name: str,
        received: int,
        meter_id: int | None = None,
        payload: bytes | None = None,
    ) -> bool:
        """Store an alarm once (sender, time, code); True when it was new."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                self._skip_duplicates(schema.alarms).values(
                    sender=sender, ts=ts, code=code, name=name, received=received,
                    meter_id=meter_id, payload=payload,
                )
            )  # fmt: skip
        return bool(result.rowcount)

    # -- sessions, clock, counters ------------------------------------------------------

    async def add_session(self, record: SessionRecord) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(schema.sessions).values(**asdict(record)))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def sessions(self, meter_id: int | None = None) -> list[SessionRecord]:
        t = schema.sessions
        query = select(t).order_by(t.c.id)
        if meter_id is not None:
            query = query.where(t.c.meter_id == meter_id)
        return [
            SessionRecord(**{k: v for k, v in r._asdict().items() if k != "id"})
            for r in await self._rows(query)
        ]

    async def add_clock_correction(self, record: ClockCorrection) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(schema.clock_corrections).values(**asdict(record)))

    async def clock_corrections(self, meter_id: int) -> list[ClockCorrection]:
        t = schema.clock_corrections
        query = select(t).where(t.c.meter_id == meter_id).order_by(t.c.id)
        return [
            ClockCorrection(**{k: v for k, v in r._asdict().items() if k != "id"})
            for r in await self._rows(query)
        ]

    async def raise_counter(self, meter_id: int, key: str, value: int, now: int) -> int:
        """Record an invocation counter; a lower value than the stored one is ignored.
        Returns the stored value."""
        t = schema.invocation_counters
        statement = self._insert(t).values(meter_id=meter_id, key=key, value=value, updated=now)
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.meter_id, t.c.key],
            set_={"value": statement.excluded.value, "updated": statement.excluded.updated},
            where=t.c.value < statement.excluded.value,
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)
            stored = await conn.scalar(
                select(t.c.value).where(t.c.meter_id == meter_id, t.c.key == key)
            )
        assert stored is not None
        return int(stored)

    async def counter(self, meter_id: int, key: str) -> int | None:
        t = schema.invocation_counters
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(t.c.value).where(t.c.meter_id == meter_id, t.c.key == key)
            )
        return None if value is None else int(value)

    # -- commands (state with history) -----------------------------------------------------

    async def add_command(
        self,
        meter_id: int,
        kind: str,
        parameters: dict[str, Any],
        now: int,
        correlation_id: str | None = None,
    ) -> str:
        """Queue a command; returns its correlation id."""
        cid = correlation_id or str(uuid.uuid4())
        async with self.engine.begin() as conn:
            result = await conn.execute(insert(schema.commands).values(
                correlation_id=cid, meter_id=meter_id, kind=kind,
                parameters=json.dumps(parameters), state="queued", created=now, updated=now,
            ))  # fmt: skip
            command_id = result.inserted_primary_key[0]  # type: ignore[index]
            await conn.execute(insert(schema.command_history).values(
                command_id=command_id, ts=now, state="queued", note=""))  # fmt: skip
        return cid

    async def set_command_state(
        self, correlation_id: str, state: str, now: int, note: str = "", result: str | None = None
    ) -> None:
        if state not in COMMAND_STATES:
            raise StoreError(f"command state {state!r}: one of {', '.join(COMMAND_STATES)}")
        t = schema.commands
        values: dict[str, Any] = {"state": state, "updated": now}
        if result is not None:
            values["result"] = result
        async with self.engine.begin() as conn:
            command_id = await conn.scalar(
                select(t.c.id).where(t.c.correlation_id == correlation_id)
            )
            if command_id is None:
                raise StoreError(f"no command {correlation_id}")
            await conn.execute(update(t).where(t.c.id == command_id).values(**values))
            await conn.execute(insert(schema.command_history).values(
                command_id=command_id, ts=now, state=state, note=note))  # fmt: skip

    async def command_history(self, correlation_id: str) -> list[tuple[int, str, str]]:
        c, h = schema.commands, schema.command_history
        query = (
            select(h.c.ts, h.c.state, h.c.note)
            .join(c, c.c.id == h.c.command_id)
            .where(c.c.correlation_id == correlation_id)
            .order_by(h.c.id)
        )
        return [(int(r.ts), r.state, r.note) for r in await self._rows(query)]

    # -- jobs ------------------------------------------------------------------------------

    async def put_job(self, job: JobRow) -> None:
        """Record a job's state (by correlation id: added, then updated)."""
        t = schema.jobs
        values = asdict(job)
        statement = self._insert(t).values(**values, created=job.updated)
        statement = statement.on_conflict_do_update(
            index_elements=[t.c.correlation_id],
            set_={k: statement.excluded[k] for k in values if k != "correlation_id"},
        )
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def job(self, correlation_id: str) -> JobRow | None:
        t = schema.jobs
        rows = await self._rows(select(t).where(t.c.correlation_id == correlation_id))
        if not rows:
            return None
        data = rows[0]._asdict()
        return JobRow(**{k: data[k] for k in JobRow.__dataclass_fields__})
