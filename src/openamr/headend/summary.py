"""What the web page's fleet view reads instead of the readings: per meter and UTC day,
the load-profile intervals stored (``profile_days``), and every session's clock
offset (``session_clock``). Both are written by :meth:`Store.save_session
<openamr.headend.store.Store.save_session>` in the session's own transaction, so
they are exactly as durable as the readings they count.

A profile interval counts once per meter and time, whatever its columns (a reading
of a profile column is named ``PROFILE/OBIS:attribute``): the session's interval
times are those of its first profile column, less those that column already held,
counted before the batch is inserted (a re-read or a retried batch adds nothing).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from openamr.headend import schema
from openamr.headend.model import Reading

DAY = 86400


def day_of(ts: int) -> int:
    """The UTC day (days since 1970-01-01) an interval ending at ``ts`` belongs to."""
    return (ts - 1) // DAY


async def new_profile_days(
    conn: AsyncConnection, meter_id: int, rows: Sequence[Reading]
) -> Counter[int]:
    """Per day, the profile intervals of ``rows`` not stored yet (call before inserting)."""
    first = next((r.channel for r in rows if "/" in r.channel), None)
    if first is None:
        return Counter()
    times = {r.ts for r in rows if r.channel == first}
    t = schema.readings
    stored = select(t.c.ts).where(
        t.c.meter_id == meter_id, t.c.channel == first, t.c.ts.between(min(times), max(times))
    )
    times -= set((await conn.execute(stored)).scalars())
    return Counter(day_of(ts) for ts in times)


async def add_profile_days(
    conn: AsyncConnection, insert: Callable[[Table], Any], meter_id: int, days: Counter[int]
) -> None:
    if not days:
        return
    d = schema.profile_days
    upsert = insert(d)
    upsert = upsert.on_conflict_do_update(
        index_elements=[d.c.day, d.c.meter_id],
        set_={"received": d.c.received + upsert.excluded.received},
    )
    await conn.execute(upsert, [
        {"meter_id": meter_id, "day": day, "received": n} for day, n in days.items()
    ])  # fmt: skip


async def add_clock_offset(
    conn: AsyncConnection, insert: Callable[[Table], Any], meter_id: int, ts: int,
    offset_s: float,
) -> None:  # fmt: skip
    values: dict[str, Any] = {"meter_id": meter_id, "ts": ts, "offset_s": offset_s}
    await conn.execute(insert(schema.session_clock).on_conflict_do_nothing(), [values])
