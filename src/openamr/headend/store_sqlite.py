"""SQLite's hot path for collections: the statements a collection session runs
(:meth:`Store.session_state <openamr.headend.store.Store.session_state>`,
:meth:`~openamr.headend.store.Store.save_sessions`, the VEE after it, the jobs'
states) on one plain :mod:`sqlite3` connection in one thread of its own, beside the
SQLAlchemy engine the rest of the head-end uses on the same file (WAL: readers
never wait for the writer; two writers wait for each other, ``busy_timeout``).

Why: through SQLAlchemy and aiosqlite each statement costs a statement build, a
cache-key lookup, a greenlet switch and a hop to aiosqlite's thread and back; here a
whole call (a session's five reads, or the rows of many sessions in one transaction)
is one hop, and each statement a prepared ``sqlite3`` one. The statements are
SQLAlchemy's, compiled once for SQLite, so the tables stay defined in one place
(:mod:`openamr.headend.schema`). Rows go in once as everywhere
(``INSERT ... ON CONFLICT DO NOTHING``), and a batch of sessions commits as one
transaction or not at all (SQLite's atomic commit): a head-end killed mid-batch loses
those sessions whole, none of them half.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Executable, bindparam
from sqlalchemy.dialects import sqlite

from openamr.headend import db, schema, summary
from openamr.headend.model import (
    CalendarRead,
    ClockCorrection,
    EventRecord,
    JobRow,
    SavedSession,
    SessionRecord,
    SessionRows,
)

T = TypeVar("T")
#: one of a session's state reads: the meter's sealed secrets, then the profile's
#: edges, the times within the gap window, the last event, our counter and the last
#: tariff calendar read's (checked, activation, changed)
StateRow = tuple[Any, ...]
State = tuple[
    StateRow | None, int | None, int | None, list[int], int | None, int | None, StateRow | None
]


def _sql(statement: Executable, *keys: str, named: bool = True) -> str:
    dialect = sqlite.dialect(paramstyle="named" if named else "qmark")
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) or None)  # type: ignore[attr-defined]
    return str(compiled)


@functools.cache
def _query(name: str) -> tuple[str, dict[str, Any]]:
    """A SELECT of :mod:`openamr.headend.calendars`, compiled once for SQLite, with the
    values of its fixed parameters (a limit, a kind): ``execute(sql, fixed | {...})``."""
    from openamr.headend import calendars

    compiled = getattr(calendars, name).compile(dialect=sqlite.dialect(paramstyle="named"))
    return str(compiled), {k: v for k, v in compiled.params.items() if v is not None}


def _names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]


@functools.cache
def _statements() -> dict[str, str]:
    from openamr.headend.store_work import counter_upsert, jobs_upsert

    once = sqlite.insert
    return {
        "readings": _sql(once(schema.readings).on_conflict_do_nothing(), named=False),
        "events": _sql(once(schema.events).on_conflict_do_nothing()),
        "session": _sql(once(schema.sessions), *_names(SessionRecord)),
        "counters": _sql(counter_upsert(once)),
        "correction": _sql(once(schema.clock_corrections), *_names(ClockCorrection)),
        "jobs": _sql(jobs_upsert(once), *_names(JobRow), "created"),
        "calendar_insert": _sql(schema.tariff_calendars.insert()),
        "calendar_update": _sql(
            schema.tariff_calendars.update()
            .where(
                schema.tariff_calendars.c.meter_id == bindparam("meter_id_"),
                schema.tariff_calendars.c.read_at == bindparam("read_at_"),
            )
            .values(
                checked=bindparam("checked"),
                activation=bindparam("activation"),
                attributes=bindparam("attributes"),
            )
        ),
    }


_PROFILE = "meter_id = ? AND channel >= ? AND channel < ?"
_STATE = (
    "SELECT serial, secrets, kek_id FROM meters WHERE id = ?",
    f"SELECT min(ts), max(ts) FROM readings WHERE {_PROFILE}",
    f"SELECT DISTINCT ts FROM readings WHERE {_PROFILE} AND ts >= ? ORDER BY ts",
    "SELECT max(ts) FROM events WHERE meter_id = ? AND log = ?",
    "SELECT value FROM invocation_counters WHERE meter_id = ? AND key = 'client'",
)
_WINDOW = (
    "SELECT channel, ts, value, status, unit FROM readings "
    "WHERE meter_id = ? AND ts BETWEEN ? AND ? ORDER BY channel, ts"
)
_VEE_DELETE = (
    "DELETE FROM reading_vee WHERE meter_id = ? AND channel >= ? AND channel < ? "
    "AND ts BETWEEN ? AND ?"
)


class SqliteSessions:
    """The plain connection and its thread; :meth:`for_url` says whether there is one."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="openamr-sqlite")
        self._conn: sqlite3.Connection | None = None  # opened in the thread, used only there

    @classmethod
    def for_url(cls, url: db.DatabaseUrl) -> SqliteSessions | None:
        """One for a SQLite file (an in-memory database has no second connection)."""
        if url.dialect != "sqlite":
            return None
        path = url.sqlalchemy_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") or path.startswith("file:") else cls(path)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.sqlite_pragmas(conn, None)
            self._conn = conn
        return self._conn

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._in_thread, fn, args)

    def _in_thread(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        return fn(self._connection(), *args)

    async def close(self) -> None:
        def close(conn: sqlite3.Connection) -> None:
            conn.close()
            self._conn = None

        if self._conn is not None:
            await self._call(close)
        self._executor.shutdown(wait=True)

    # -- a session's state ------------------------------------------------------------

    async def state(self, meter_id: int, profile: str, logbook: str, gap_seconds: int) -> State:
        """(serial, sealed secrets, KEK id) or None, the first and last stored profile
        time, the times within ``gap_seconds`` of the last, the last event, our counter,
        the last tariff calendar read (:data:`openamr.headend.calendars.DUE`'s row)."""
        return await self._call(_state, meter_id, profile, logbook, gap_seconds)

    # -- sessions, in one transaction -------------------------------------------------

    async def save(self, batch: Sequence[SessionRows]) -> list[SavedSession | Exception]:
        """Every session of ``batch`` in one transaction; when that fails, each in its
        own (one bad session does not fail the others): its result or its error."""
        return await self._call(_save_batch, list(batch))

    async def put_jobs(self, rows: Sequence[JobRow]) -> None:
        params = [_values(j, _JOB_FIELDS) | {"created": j.updated} for j in rows]
        await self._call(_in_transaction, lambda c: c.executemany(_statements()["jobs"], params))

    # -- VEE ----------------------------------------------------------------------------

    async def window(self, meter_id: int, start: int, end: int) -> list[tuple[Any, ...]]:
        """(channel, ts, value, status, unit) of the meter's readings in ``[start, end]``."""
        return await self._call(lambda c: c.execute(_WINDOW, (meter_id, start, end)).fetchall())

    async def replace_vee(
        self, meter_id: int, prefix: str, start: int, end: int, rows: Sequence[dict[str, Any]]
    ) -> None:
        def replace(conn: sqlite3.Connection) -> None:
            conn.execute(_VEE_DELETE, (meter_id, prefix, prefix + "\uffff", start, end))
            if rows:
                conn.executemany(_vee_insert(), rows)

        await self._call(_in_transaction, replace)


@functools.cache
def _vee_insert() -> str:
    return _sql(schema.reading_vee.insert(), *[c.name for c in schema.reading_vee.columns])


def _in_transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], Any]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        work(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _state(
    conn: sqlite3.Connection, meter_id: int, profile: str, logbook: str, gap_seconds: int
) -> State:
    meter, edges, recent, last_event, counter = _STATE
    conn.execute("BEGIN")  # one snapshot for the six reads
    try:
        found = conn.execute(meter, (meter_id,)).fetchone()
        in_profile = (meter_id, profile, profile + "\uffff")
        first, last = conn.execute(edges, in_profile).fetchone()
        times = [] if last is None else [
            t for (t,) in conn.execute(recent, (*in_profile, last - gap_seconds))]  # fmt: skip
        (event,) = conn.execute(last_event, (meter_id, logbook)).fetchone()
        ours = conn.execute(counter, (meter_id,)).fetchone()
        due, fixed = _query("DUE")
        calendar = conn.execute(due, fixed | {"meter_id": meter_id}).fetchone()
    finally:
        conn.execute("COMMIT")
    return found, first, last, times, event, None if ours is None else ours[0], calendar


def _save_batch(
    conn: sqlite3.Connection, batch: list[SessionRows]
) -> list[SavedSession | Exception]:
    try:
        conn.execute("BEGIN IMMEDIATE")
        out: list[SavedSession | Exception] = [_save_one(conn, s) for s in batch]
        conn.execute("COMMIT")
        return out
    except Exception as e:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if len(batch) == 1:
            return [e]
    out = []
    for s in batch:  # one at a time: the one that fails, fails alone
        try:
            conn.execute("BEGIN IMMEDIATE")
            out.append(_save_one(conn, s))
            conn.execute("COMMIT")
        except Exception as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            out.append(e)
    return out


_EVENT_FIELDS = tuple(_names(EventRecord))
_SESSION_FIELDS = tuple(_names(SessionRecord))
_CORRECTION_FIELDS = tuple(_names(ClockCorrection))
_JOB_FIELDS = tuple(_names(JobRow))


def _values(record: object, names: tuple[str, ...]) -> dict[str, Any]:
    """A flat dataclass as a dict (``asdict`` copies deeply: ten times the cost)."""
    return {f: getattr(record, f) for f in names}


def _save_one(conn: sqlite3.Connection, s: SessionRows) -> SavedSession:
    """One session's rows (:meth:`Store.save_session`'s, the same statements)."""
    sql, record = _statements(), s.record
    new = conn.executemany(sql["readings"], s.readings).rowcount if s.readings else 0
    summary.note_profile_days_sqlite(conn, record.meter_id, s.readings, new == len(s.readings))
    new_events = 0
    if s.events:
        params = [_values(e, _EVENT_FIELDS) for e in s.events]
        new_events = conn.executemany(sql["events"], params).rowcount
    values = _values(record, _SESSION_FIELDS) | {"readings": new}
    session_id = conn.execute(sql["session"], values).lastrowid
    assert session_id is not None
    if s.counters:
        conn.executemany(sql["counters"], [
            {"meter_id": record.meter_id, "key": k, "value": v, "updated": record.ended}
            for k, v in s.counters.items()
        ])  # fmt: skip
    if s.corrections:
        conn.executemany(sql["correction"], [
            _values(x, _CORRECTION_FIELDS) | {"session_id": session_id}
            for x in s.corrections])  # fmt: skip
    if s.calendar is not None:
        _save_calendar(conn, record.meter_id, record.ended, s.calendar)
    return SavedSession(session_id, new, new_events)


def _save_calendar(conn: sqlite3.Connection, meter_id: int, read_at: int, read: CalendarRead
                   ) -> None:  # fmt: skip
    """:func:`openamr.headend.calendars.save_in`'s statements, on this connection."""
    sql = _statements()
    query, fixed = _query("LAST_READ")
    last = conn.execute(query, fixed | {"meter_id": meter_id}).fetchone()
    values = {"checked": read_at, "activation": read.activation, "attributes": read.text}
    if read.updates_last(last, read_at):
        conn.execute(sql["calendar_update"], values | {"meter_id_": meter_id, "read_at_": last[0]})
    else:
        conn.execute(sql["calendar_insert"], values | {"meter_id": meter_id, "read_at": read_at})
