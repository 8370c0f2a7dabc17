"""The head-end's storage behind one interface, on SQLite or PostgreSQL
(:mod:`openamr.headend.db` for URLs and migrations, :mod:`openamr.headend.schema`
for the tables, :mod:`openamr.headend.store_work` for sessions, counters, commands
and jobs).

Readings and events go in batches (one executemany of ``INSERT ... ON CONFLICT DO
NOTHING``): a row already stored is skipped, so a re-read or a retried batch stores
nothing twice. A collection session reads what it needs in one go
(:meth:`Store.session_state`) and stores all it read in one transaction
(:meth:`Store.save_session`): a head-end killed mid-session loses that session only,
never half of it. Meter secrets are sealed under the KEK before they reach the
database and are opened only by :meth:`Store.secrets_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openamr.headend import schema, summary
from openamr.headend.model import (
    ClockCorrection,
    EventRecord,
    LastCalendar,
    MeterRecord,
    Reading,
    SavedSession,
    SessionRecord,
    SessionRows,
)
from openamr.headend.store_base import StoreError
from openamr.headend.store_work import WorkStore
from openamr.headend.vault import Kek, MeterSecrets

_FIELDS = [
    "serial", "url", "client", "auth", "logical_device_name", "system_title", "cell",
    "tariff_group", "msisdn", "iccid", "imsi", "firmware", "state", "path",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class MeterState:
    """What a collection session needs to know before it starts."""

    secrets: MeterSecrets = field(repr=False)
    client_counter: int | None
    first_profile: int | None  # the oldest and newest stored profile entry
    last_profile: int | None
    profile_times: tuple[int, ...]  # stored entry times within the gap window
    last_event: int | None
    calendar: LastCalendar | None = None  # the last tariff calendar read (calendars.is_due)


class Store(WorkStore):
    """The head-end's database; build it with ``await Store.open(url)``."""

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
        return MeterSecrets() if not rows else self._open(tuple(rows[0]), kek)

    @staticmethod
    def _open(row: tuple[Any, ...], kek: Kek | None) -> MeterSecrets:
        """The secrets of an inventory row (serial, sealed box, KEK id)."""
        serial, box, kek_id = row
        if box is None:
            return MeterSecrets()
        if kek is None:
            raise StoreError(
                f"meter {serial}: its secrets need KEK {kek_id}: pass --kek-file or set OPENAMR_KEK"
            )
        return kek.open(bytes(box), serial)

    # -- readings and events -----------------------------------------------------------

    async def add_readings(self, rows: Sequence[Reading]) -> int | None:
        """Store a batch once; the number of new rows where the driver says it."""
        fresh: list[Reading] = []
        async with self.engine.begin() as conn:
            if self.observers:
                fresh = await self._fresh(conn, rows)
            new = await self._insert_readings(conn, rows)
        if fresh:
            self._told_readings(fresh)
        return new

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
        async with self.engine.begin() as conn:
            return await self._insert_once(conn, schema.events, [asdict(r) for r in rows])

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

    # -- a collection session ---------------------------------------------------------------

    async def session_state(
        self, meter_id: int, kek: Kek | None, profile: str, logbook: str, gap_seconds: int
    ) -> MeterState:
        from openamr.headend import calendars

        if self.fast is not None:
            found, first, last, stored, last_event, counter, calendar = await self.fast.state(
                meter_id, profile, logbook, gap_seconds
            )
            secrets = MeterSecrets() if found is None else self._open(found, kek)
            return MeterState(secrets, counter, first, last, tuple(stored), last_event,
                              calendars.last_calendar(calendar))  # fmt: skip
        r, e, c, m = schema.readings, schema.events, schema.invocation_counters, schema.meters
        in_profile = (
            r.c.meter_id == meter_id,
            r.c.channel >= profile,
            r.c.channel < profile + "\uffff",
        )
        sealed = select(m.c.serial, m.c.secrets, m.c.kek_id).where(m.c.id == meter_id)
        async with self.reading() as conn:  # one connection, no transaction: see reading()
            found = (await conn.execute(sealed)).first()
            secrets = MeterSecrets() if found is None else self._open(tuple(found), kek)
            first, last = (
                await conn.execute(select(func.min(r.c.ts), func.max(r.c.ts)).where(*in_profile))
            ).one()
            times: list[Any] = []
            if last is not None:
                recent = select(r.c.ts).distinct().where(*in_profile, r.c.ts >= last - gap_seconds)
                times = list((await conn.execute(recent.order_by(r.c.ts))).scalars())
            last_event = await conn.scalar(
                select(func.max(e.c.ts)).where(e.c.meter_id == meter_id, e.c.log == logbook)
            )
            counter = await conn.scalar(
                select(c.c.value).where(c.c.meter_id == meter_id, c.c.key == "client")
            )
            calendar = (await conn.execute(calendars.DUE, {"meter_id": meter_id})).first()
        return MeterState(secrets, counter, first, last, tuple(int(t) for t in times), last_event,
                          calendars.last_calendar(calendar))  # fmt: skip

    async def save_session(
        self, record: SessionRecord, readings: Sequence[Reading], events: Sequence[EventRecord],
        counters: dict[str, int], corrections: Sequence[ClockCorrection],
    ) -> tuple[int, int | None, int | None]:  # fmt: skip
        """Everything a session read, in one transaction: (session id, new readings,
        new events); see :meth:`save_sessions`."""
        (saved,) = await self.save_sessions(
            [SessionRows(record, readings, events, counters, corrections)]
        )
        if isinstance(saved, Exception):
            raise saved
        return saved.session_id, saved.readings, saved.events

    async def save_sessions(self, batch: Sequence[SessionRows]) -> list[SavedSession | Exception]:
        """The sessions of ``batch``, each with everything it read, in one transaction
        (when that fails, each in its own: the one that fails, fails alone); per
        session its id and how many of its readings and events were new. The record's
        ``readings`` field is the number of new ones. The profile intervals per day
        (:mod:`openamr.headend.summary`) in the same transaction."""
        if self.fast is not None and not self.observers:
            return await self.fast.save(batch)
        try:
            return await self._save_all(batch)
        except Exception as e:
            if len(batch) == 1:
                return [e]
        out: list[SavedSession | Exception] = []
        for one in batch:
            try:
                out += await self._save_all([one])
            except Exception as e:
                out.append(e)
        return out

    async def _save_all(self, batch: Sequence[SessionRows]) -> list[SavedSession | Exception]:
        fresh: list[Reading] = []
        out: list[SavedSession | Exception] = []
        async with self.engine.begin() as conn:
            for s in batch:
                if self.observers:
                    fresh += await self._fresh(conn, s.readings)
                out.append(await self._save_in(conn, s))
        if fresh:
            self._told_readings(fresh)
        return out

    async def _save_in(self, conn: AsyncConnection, s: SessionRows) -> SavedSession:
        record, readings = s.record, s.readings
        new = await self._insert_readings(conn, readings)
        await summary.note_profile_days(
            conn, self._insert, record.meter_id, readings, new == len(readings)
        )
        new_events = await self._insert_once(conn, schema.events, [asdict(x) for x in s.events])
        values = asdict(record) | {"readings": len(readings) if new is None else new}
        result = await conn.execute(insert(schema.sessions).values(**values))
        session_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        if s.counters:
            await self._raise_counters(conn, record.meter_id, dict(s.counters), record.ended)
        if s.corrections:
            await conn.execute(insert(schema.clock_corrections), [
                asdict(x) | {"session_id": session_id} for x in s.corrections])  # fmt: skip
        if s.calendar is not None:
            from openamr.headend import calendars

            last = (await conn.execute(calendars.LAST_READ, {"meter_id": record.meter_id})).first()
            await calendars.save_in(conn, record.meter_id, record.ended, s.calendar, last)
        return SavedSession(session_id, new, new_events)


__all__ = ["MeterState", "Store", "StoreError"]
