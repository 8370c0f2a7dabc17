"""The store's foundation: the engine, the dialect's INSERT, and the one way rows
are inserted once (``ON CONFLICT DO NOTHING``) on both engines. :class:`Store`
(:mod:`openamr.headend.store`) is the interface the rest of the head-end uses.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, Self

from sqlalchemy import Insert, Select, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from openamr.headend import db, schema
from openamr.headend.model import Reading
from openamr.headend.store_sqlite import SqliteSessions

if TYPE_CHECKING:
    from openamr.headend.alarms import Alarm


class Observer(Protocol):
    """Told of what was stored, after it was committed, once per row (the MQTT
    adapter, :mod:`openamr.headend.mqtt`). Called in the store's task: it must not
    block (queue the work)."""

    def readings_stored(self, rows: Sequence[Reading]) -> None: ...

    def alarms_stored(self, alarms: Sequence[Alarm]) -> None: ...


# a Reading is a row of the readings table, in its column order (insert_readings relies on it)
assert tuple(schema.readings.c.keys()) == Reading._fields


_READING_COLUMNS = list(Reading._fields)
_COLUMN_LIST = ", ".join(_READING_COLUMNS)


class StoreError(Exception):
    """A store operation that cannot be done; the message says what to do."""


class StoreBase:
    """One database; build it with :meth:`open`."""

    def __init__(self, engine: AsyncEngine, url: db.DatabaseUrl) -> None:
        self.engine, self.url = engine, url
        #: told of new readings and alarms; with none, storing costs nothing more
        self.observers: list[Observer] = []
        self._insert = sqlite.insert if url.dialect == "sqlite" else postgresql.insert
        self._readings_sql = str(
            self._skip_duplicates(schema.readings).compile(dialect=engine.dialect)
        )
        #: SQLite file: the collection's hot path on a plain connection (None: SQLAlchemy)
        self.fast = SqliteSessions.for_url(url)

    @classmethod
    async def open(cls, url: str) -> Self:
        """Connect and bring the schema up to date."""
        parsed = db.parse_database_url(url)
        engine = db.create_engine(parsed)
        try:
            await db.migrate(engine, parsed.schema)
            if parsed.dialect == "postgresql":
                async with engine.begin() as conn:
                    await db.serialise(conn)
                    await db.ensure_partitions(conn, time.time())
        except (OperationalError, OSError) as e:
            await engine.dispose()
            raise StoreError(f"cannot open the database {url}: {e}; check the URL") from None
        return cls(engine, parsed)

    async def close(self) -> None:
        if self.fast is not None:
            await self.fast.close()
        await self.engine.dispose()

    def _skip_duplicates(self, table: Table) -> Insert:
        return self._insert(table).on_conflict_do_nothing()

    async def _insert_once(
        self, conn: AsyncConnection, table: Table, params: list[dict[str, Any]]
    ) -> int | None:
        """Insert, skipping rows already there; the number of new rows. SQLite: one
        executemany (its rowcount adds up). PostgreSQL: multi-row VALUES in chunks
        under asyncpg's 32767 parameters, whose rowcounts are exact."""
        if not params:
            return 0
        if self.url.dialect == "sqlite":
            result = await conn.execute(self._skip_duplicates(table), params)
            return result.rowcount if result.rowcount >= 0 else None
        chunk, total = 30000 // len(table.columns), 0
        for i in range(0, len(params), chunk):
            statement = self._insert(table).values(params[i : i + chunk])
            result = await conn.execute(statement.on_conflict_do_nothing())
            total += result.rowcount
        return total

    async def _insert_readings(self, conn: AsyncConnection, rows: Sequence[Reading]) -> int | None:
        if not rows:
            return 0
        if self.url.dialect == "sqlite":  # the rows are tuples in column order: as they are
            result = await conn.exec_driver_sql(self._readings_sql, list(rows))
            return result.rowcount if result.rowcount >= 0 else None
        return await self._copy_readings(conn, rows)

    async def _copy_readings(self, conn: AsyncConnection, rows: Sequence[Reading]) -> int:
        """PostgreSQL: COPY the batch into a session-local staging table, then one
        ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` into the partitioned
        readings (each reading once per meter, channel and time), in the caller's
        transaction; the number of new rows."""
        # through SQLAlchemy first: that opens the transaction the driver's calls join
        await conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS readings_staging "
            "(LIKE readings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.copy_records_to_table("readings_staging", records=rows, columns=_READING_COLUMNS)
        status = await raw.execute(
            f"INSERT INTO readings ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM readings_staging "
            "ON CONFLICT DO NOTHING"
        )
        await raw.execute("TRUNCATE readings_staging")
        return int(status.rsplit(" ", 1)[1])

    async def _fresh(self, conn: AsyncConnection, rows: Sequence[Reading]) -> list[Reading]:
        """The rows of a batch not stored yet (asked only when someone observes)."""
        t = schema.readings
        by_meter: dict[int, list[Reading]] = {}
        for r in rows:
            by_meter.setdefault(r.meter_id, []).append(r)
        out: list[Reading] = []
        for meter_id, mine in by_meter.items():
            times = [r.ts for r in mine]
            query = select(t.c.channel, t.c.ts).where(
                t.c.meter_id == meter_id, t.c.ts.between(min(times), max(times))
            )
            seen = {(c, int(ts)) for c, ts in await conn.execute(query)}
            for r in mine:
                if (r.channel, r.ts) not in seen:
                    seen.add((r.channel, r.ts))
                    out.append(r)
        return out

    def _told_readings(self, rows: Sequence[Reading]) -> None:
        for o in self.observers:
            o.readings_stored(rows)

    def notify_alarms(self, alarms: Sequence[Alarm]) -> None:
        """Tell the observers of alarms just stored (the listener calls it)."""
        if alarms:
            for o in self.observers:
                o.alarms_stored(alarms)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only. On PostgreSQL in autocommit: its statements
        run without BEGIN and the ROLLBACK when the connection goes back to the pool
        (two round trips fewer), and see what they saw before, since READ COMMITTED
        (PostgreSQL's default, the head-end's) takes a snapshot per statement in a
        transaction too. Never for writes."""
        async with self.engine.connect() as conn:
            if self.url.dialect == "postgresql":
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    async def _rows(self, query: Select[Any]) -> list[Any]:
        async with self.reading() as conn:
            return list((await conn.execute(query)).all())

    async def count(self, table: str) -> int:
        t = schema.metadata.tables[table]
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(t)) or 0)
