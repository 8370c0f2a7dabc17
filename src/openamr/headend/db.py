"""The database: one URL, two engines, one versioned migration runner.

=================================  =======================================================
URL                                engine
=================================  =======================================================
``sqlite:///PATH`` or a bare PATH  SQLite through aiosqlite, WAL journal (the default)
``postgresql://USER@HOST/DB``      PostgreSQL through asyncpg (``?schema=NAME`` puts the
                                   tables in that schema, created when missing)
=================================  =======================================================

Migrations are numbered steps applied in order inside one transaction each; the
``schema_version`` table records which ran. A step is never edited once released:
a change of schema is a new step (``ALTER TABLE``, new tables), appended here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import event, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from openamr.headend import schema


class DatabaseError(Exception):
    """The database URL is unusable or the database cannot be reached."""


@dataclass(frozen=True, slots=True)
class DatabaseUrl:
    """A parsed database URL: the SQLAlchemy URL and the PostgreSQL schema, if any."""

    sqlalchemy_url: str
    dialect: str  # "sqlite" or "postgresql"
    schema: str | None = None


def parse_database_url(url: str) -> DatabaseUrl:
    """``sqlite:///x.db``, a path, or ``postgresql://...[?schema=NAME]``."""
    if url.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        name = query.pop("schema", None)
        if name is not None and not name.replace("_", "").isalnum():
            raise DatabaseError(f"schema name {name!r}: use letters, digits and '_' only")
        rest = urlunsplit(("postgresql+asyncpg", parts.netloc, parts.path, urlencode(query), ""))
        return DatabaseUrl(rest, "postgresql", name)
    if url.startswith(("sqlite:///", "sqlite+aiosqlite:///")):
        return DatabaseUrl("sqlite+aiosqlite:///" + url.split(":///", 1)[1], "sqlite")
    if "://" in url:
        raise DatabaseError(
            f"database URL {url.split('://')[0]}://...: use sqlite:///PATH or postgresql://..."
        )
    return DatabaseUrl("sqlite+aiosqlite:///" + str(Path(url)), "sqlite")


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: PostgreSQL connections per process, kept and extra (a worker runs 64 sessions; four
#: workers and a dispatcher stay within the server's 100 connections)
POOL_SIZE, POOL_OVERFLOW = 16, 4


def create_engine(url: DatabaseUrl) -> AsyncEngine:
    if url.dialect == "sqlite":
        engine = create_async_engine(url.sqlalchemy_url)
        event.listen(engine.sync_engine, "connect", sqlite_pragmas)
        return engine
    args: dict[str, Any] = {}
    if url.schema is not None:
        args["server_settings"] = {"search_path": url.schema}
    # as many connections at most as before (10 + 10 overflow), but kept: an overflow
    # connection is closed when it goes back, and opened again (TCP, auth) the next time
    # more than pool_size are busy, as they are while 64 sessions start together
    return create_async_engine(
        url.sqlalchemy_url, connect_args=args, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
    )


Step = Callable[[AsyncConnection], Awaitable[None]]


async def _v1(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda c: schema.metadata.create_all(c, tables=schema.V1_TABLES))


async def _v2(conn: AsyncConnection) -> None:
    """The web page's summaries: profile intervals per meter and day (filled from the
    readings already stored), every session's clock offset (a column of sessions),
    and the indexes the fleet's counts use (sessions by start, alarms by state)."""
    await conn.run_sync(lambda c: schema.metadata.create_all(c, tables=schema.V2_TABLES))
    columns = await conn.run_sync(lambda c: [x["name"] for x in inspect(c).get_columns("sessions")])
    if "clock_offset_s" not in columns:
        await conn.execute(text("ALTER TABLE sessions ADD COLUMN clock_offset_s FLOAT"))
    r, d = schema.readings, schema.profile_days
    day = (r.c.ts - 1) // 86400
    profile = (r.c.channel >= "1.0.99.1.0.255/", r.c.channel < "1.0.99.1.0.255/\uffff")
    await conn.execute(insert(d).from_select(
        ["meter_id", "day", "received"],
        select(r.c.meter_id, day, func.count(func.distinct(r.c.ts)))
        .where(*profile).group_by(r.c.meter_id, day),
    ))  # fmt: skip
    await conn.execute(text("CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started)"))
    await conn.execute(text("CREATE INDEX IF NOT EXISTS alarms_state ON alarms (state, sender)"))


async def _campaigns(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda c: schema.metadata.create_all(c, tables=schema.CAMPAIGN_TABLES))


async def _vee(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda c: schema.reading_vee.create(c, checkfirst=True))


def month_start(ts: float) -> int:
    """The first second (UTC) of the month of ``ts``."""
    d = dt.datetime.fromtimestamp(ts, dt.UTC)
    return int(dt.datetime(d.year, d.month, 1, tzinfo=dt.UTC).timestamp())


def next_month(start: int) -> int:
    d = dt.datetime.fromtimestamp(start, dt.UTC)
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return int(dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp())


#: months of readings partitions kept ready beyond the current one
MONTHS_AHEAD = 3


async def ensure_partitions(
    conn: AsyncConnection, now: float, first: float | None = None, ahead: int = MONTHS_AHEAD
) -> list[str]:
    """PostgreSQL: the monthly partitions ``readings_YYYYMM`` from ``first`` (default:
    last month) to ``ahead`` months after ``now``, created when missing; their names.
    A month whose rows went to ``readings_default`` already is left there (logged by
    the caller as the partitions that could not be made)."""
    made: list[str] = []
    partitioned = await conn.scalar(
        text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('readings')")
    )
    if partitioned is None:  # the step that partitions it has not run
        return made
    start = month_start(now - 31 * 86400 if first is None else first)
    end = month_start(now)
    for _ in range(ahead):
        end = next_month(end)
    while start <= end:
        stop = next_month(start)
        name = "readings_" + dt.datetime.fromtimestamp(start, dt.UTC).strftime("%Y%m")
        exists = await conn.scalar(text("SELECT to_regclass(:n)"), {"n": name})
        stranded = await conn.scalar(
            text(f"SELECT 1 FROM readings_default WHERE ts >= {start} AND ts < {stop} LIMIT 1")
        )
        if exists is None and stranded is None:
            await conn.execute(text(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF readings '
                f"FOR VALUES FROM ({start}) TO ({stop})"
            ))  # fmt: skip
            made.append(name)
        start = stop
    return made


async def _partition_readings(conn: AsyncConnection) -> None:
    """PostgreSQL only: ``readings`` partitioned by month on ``ts`` (range), with a
    default partition for what falls outside the months made; the rows there are
    moved in. The key (meter, channel, ts) includes the partition key, so each
    reading stays unique. SQLite: nothing to do."""
    if conn.dialect.name != "postgresql":
        return
    await conn.execute(text("ALTER TABLE readings RENAME TO readings_v1"))
    await conn.execute(text("ALTER INDEX readings_pkey RENAME TO readings_v1_pkey"))
    await conn.execute(text(
        "CREATE TABLE readings (LIKE readings_v1 INCLUDING DEFAULTS, "
        "PRIMARY KEY (meter_id, channel, ts), "
        "FOREIGN KEY (meter_id) REFERENCES meters (id)) PARTITION BY RANGE (ts)"
    ))  # fmt: skip
    await conn.execute(text("CREATE TABLE readings_default PARTITION OF readings DEFAULT"))
    oldest = await conn.scalar(text("SELECT min(ts) FROM readings_v1"))
    await ensure_partitions(conn, time.time(), None if oldest is None else float(oldest))
    await conn.execute(text("INSERT INTO readings SELECT * FROM readings_v1"))
    await conn.execute(text("DROP TABLE readings_v1"))


async def _meter_path(conn: AsyncConnection) -> None:
    """meters.path (tcp, csd, wakeup: docs/gsm.md); a database made by step 1 of this
    version has it already (step 1 creates the tables as the schema declares them)."""
    columns = await conn.run_sync(
        lambda c: [col["name"] for col in inspect(c).get_columns("meters")]
    )
    if "path" not in columns:
        await conn.execute(
            text("ALTER TABLE meters ADD COLUMN path VARCHAR(8) NOT NULL DEFAULT 'tcp'")
        )


async def _tariff_calendars(conn: AsyncConnection) -> None:
    await conn.run_sync(lambda c: schema.tariff_calendars.create(c, checkfirst=True))


#: (version, what it does, the step); append only
MIGRATIONS: list[tuple[int, str, Step]] = [
    (1, "inventory, readings, events, alarms, sessions, clock, commands, counters, jobs", _v1),
    (2, "profile intervals per day, sessions' clock offsets, session and alarm indexes", _v2),
    (3, "firmware campaigns, on-demand results, pending keys of a rotation", _campaigns),
    (4, "reading_vee: VEE findings, estimated and edited values beside the raw readings", _vee),
    (5, "PostgreSQL: readings partitioned by month", _partition_readings),
    (6, "meters.path: how each meter is reached (tcp, csd, wakeup)", _meter_path),
    (7, "tariff_calendars: each meter's activity calendar as read", _tariff_calendars),
]
LATEST = MIGRATIONS[-1][0]


async def migrate(engine: AsyncEngine, schema_name: str | None = None) -> list[int]:
    """Apply the steps not yet applied; return their versions."""
    async with engine.begin() as conn:
        await serialise(conn)
        if schema_name is not None:
            await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema_name}"'))
        await conn.run_sync(lambda c: schema.schema_version.create(c, checkfirst=True))
    applied: list[int] = []
    for version, description, step in MIGRATIONS:
        async with engine.begin() as conn:
            await serialise(conn)
            done = await conn.scalar(
                select(schema.schema_version.c.version).where(
                    schema.schema_version.c.version == version
                )
            )
            if done is not None:
                continue
            await step(conn)
            await conn.execute(
                insert(schema.schema_version).values(
                    version=version, description=description, applied=int(time.time())
                )
            )
            applied.append(version)
    return applied


async def serialise(conn: AsyncConnection) -> None:
    """PostgreSQL: one migrating process at a time (many workers may start at once);
    a transaction-level advisory lock, released at its end."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(7243501)"))


async def current_version(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        value = await conn.scalar(select(schema.schema_version.c.version).order_by(
            schema.schema_version.c.version.desc()).limit(1))  # fmt: skip
    return int(value or 0)
