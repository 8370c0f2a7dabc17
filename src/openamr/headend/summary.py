"""What the web page's fleet view reads instead of the readings: per meter and UTC day,
the load-profile intervals stored (``profile_days``), written by :meth:`Store.save_session
<openamr.headend.store.Store.save_session>` in the session's own transaction, so that
it is exactly as durable as the readings it counts.

A profile interval counts once per meter and time, whatever its columns (a reading
of a profile column is named ``PROFILE/OBIS:attribute``): the session's interval
times are those of its first profile column. When every row of the session was new
(the insert's row count says so: the usual case, a session reads from the last
stored entry on), its intervals are added to the days' counts, with no query; when
some were stored already (a re-read), the days it touched are counted again from
the readings (one indexed range per day). Either way one statement more per session.
:func:`note_profile_days` runs it through SQLAlchemy, :func:`note_profile_days_sqlite`
through a plain ``sqlite3`` connection (SQLite's hot path, :mod:`.store_sqlite`).
"""

from __future__ import annotations

import functools
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from openamr.headend import schema
from openamr.headend.model import Reading

DAY = 86400


def day_of(ts: int) -> int:
    """The UTC day (days since 1970-01-01) an interval ending at ``ts`` belongs to."""
    return (ts - 1) // DAY


async def note_profile_days(
    conn: AsyncConnection, insert: Callable[[Table], Any], meter_id: int,
    rows: Sequence[Reading], all_new: bool,
) -> None:  # fmt: skip
    """Count the profile intervals of ``rows`` (just inserted) into ``profile_days``."""
    first, days = _days(rows)
    if first is None:
        return
    if not all_new:  # some were there: the touched days counted again
        t = schema.readings
        for day in days:
            days[day] = int(await conn.scalar(select(func.count()).where(
                t.c.meter_id == meter_id, t.c.channel == first,
                t.c.ts.between(day * DAY + 1, (day + 1) * DAY))) or 0)  # fmt: skip
    await conn.execute(_upsert(insert, all_new), [
        {"meter_id": meter_id, "day": day, "received": n} for day, n in days.items()
    ])  # fmt: skip


def _days(rows: Sequence[Reading]) -> tuple[str | None, Counter[int]]:
    """The session's first profile column, and its intervals per day."""
    first = next((r.channel for r in rows if "/" in r.channel), None)
    if first is None:
        return None, Counter()
    return first, Counter(day_of(r.ts) for r in rows if r.channel == first)


@functools.cache
def _sqlite_upsert(add: bool) -> str:
    """The upsert as SQLite text, named parameters."""
    return str(_upsert(sqlite.insert, add).compile(dialect=sqlite.dialect(paramstyle="named")))


_SQLITE_COUNT = (
    "SELECT count(*) FROM readings WHERE meter_id = ? AND channel = ? AND ts BETWEEN ? AND ?"
)


def note_profile_days_sqlite(
    conn: sqlite3.Connection, meter_id: int, rows: Sequence[Reading], all_new: bool
) -> None:
    """:func:`note_profile_days` on a plain ``sqlite3`` connection, in its transaction."""
    first, days = _days(rows)
    if first is None:
        return
    if not all_new:
        for day in days:
            (days[day],) = conn.execute(
                _SQLITE_COUNT, (meter_id, first, day * DAY + 1, (day + 1) * DAY)
            ).fetchone()
    conn.executemany(_sqlite_upsert(all_new), [
        {"meter_id": meter_id, "day": day, "received": n} for day, n in days.items()
    ])  # fmt: skip


_UPSERTS: dict[tuple[Callable[[Table], Any], bool], Any] = {}


def _upsert(insert: Callable[[Table], Any], add: bool) -> Any:
    """The upsert of ``profile_days`` (``add``: to the count, else: replacing it), built
    once per dialect (building it costs more than running it)."""
    statement = _UPSERTS.get((insert, add))
    if statement is None:
        d = schema.profile_days
        upsert = insert(d)
        received = d.c.received + upsert.excluded.received if add else upsert.excluded.received
        statement = upsert.on_conflict_do_update(
            index_elements=[d.c.day, d.c.meter_id], set_={"received": received}
        )
        _UPSERTS[(insert, add)] = statement
    return statement
