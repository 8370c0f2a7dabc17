"""The store's records of work: sessions, clock corrections, invocation counters
(never lowered), commands with their history, jobs (by correlation id)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openamr.headend import schema
from openamr.headend.model import ClockCorrection, JobRow, SessionRecord
from openamr.headend.store_base import StoreBase, StoreError

COMMAND_STATES = ("queued", "sent", "confirmed", "failed")


def counter_upsert(insert: Callable[[Table], Any]) -> Any:
    """Raise a stored invocation counter, never lower it (``insert``: the dialect's)."""
    t = schema.invocation_counters
    statement = insert(t)
    return statement.on_conflict_do_update(
        index_elements=[t.c.meter_id, t.c.key],
        set_={"value": statement.excluded.value, "updated": statement.excluded.updated},
        where=t.c.value < statement.excluded.value,
    )


def jobs_upsert(insert: Callable[[Table], Any]) -> Any:
    """A job's state by correlation id: added, then updated."""
    t = schema.jobs
    statement = insert(t)
    return statement.on_conflict_do_update(
        index_elements=[t.c.correlation_id],
        set_={k: statement.excluded[k] for k in JobRow.__dataclass_fields__
              if k != "correlation_id"},
    )  # fmt: skip


class WorkStore(StoreBase):
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
        async with self.engine.begin() as conn:
            return await self._raise_counter(conn, meter_id, key, value, now)

    async def _raise_counters(
        self, conn: AsyncConnection, meter_id: int, values: dict[str, int], now: int
    ) -> None:
        await conn.execute(counter_upsert(self._insert), [
            {"meter_id": meter_id, "key": k, "value": v, "updated": now} for k, v in values.items()
        ])  # fmt: skip

    async def _raise_counter(
        self, conn: AsyncConnection, meter_id: int, key: str, value: int, now: int
    ) -> int:
        await self._raise_counters(conn, meter_id, {key: value}, now)
        t = schema.invocation_counters
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

    async def put_jobs(self, jobs: Sequence[JobRow]) -> None:
        """Record jobs' states (by correlation id: added, then updated), in one go."""
        if not jobs:
            return
        if self.fast is not None:
            await self.fast.put_jobs(jobs)
            return
        async with self.engine.begin() as conn:
            await conn.execute(jobs_upsert(self._insert),
                               [asdict(j) | {"created": j.updated} for j in jobs])  # fmt: skip

    async def job(self, correlation_id: str) -> JobRow | None:
        t = schema.jobs
        rows = await self._rows(select(t).where(t.c.correlation_id == correlation_id))
        if not rows:
            return None
        data = rows[0]._asdict()
        return JobRow(**{k: data[k] for k in JobRow.__dataclass_fields__})

    async def jobs_done(self, prefix: str) -> set[int]:
        """The meters whose job with a correlation id starting with ``prefix`` is done."""
        t = schema.jobs
        query = select(t.c.meter_id).where(
            t.c.correlation_id >= prefix,
            t.c.correlation_id < prefix + "\uffff",
            t.c.state == "done",
        )
        return {int(r.meter_id) for r in await self._rows(query)}
