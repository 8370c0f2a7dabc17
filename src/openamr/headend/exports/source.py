"""The rows of an export, streamed out of the store: meter by meter (in serial
order), the profile channels first, then the registers, each by channel and time;
a meter's VEE findings (``reading_vee``) are read whole and merged in. Nothing holds
more than one meter's findings and one batch of readings at a time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from sqlalchemy import select

from openamr.headend import schema
from openamr.headend.exports import FORMATS, ExportRow, Writer
from openamr.headend.model import MeterRecord, Quality
from openamr.headend.store import Store
from openamr.headend.vee import Flag

BATCH = 5000
#: (channel, ts) -> (flags, method, value, unit, no raw reading)
Found = tuple[int, str, float | None, str, bool]


async def _findings(
    store: Store, meter_id: int, start: int | None, end: int | None, channel: str | None
) -> dict[tuple[str, int], Found]:
    t = schema.reading_vee
    query = select(t.c.channel, t.c.ts, t.c.flags, t.c.method, t.c.value, t.c.unit,
                   t.c.original).where(t.c.meter_id == meter_id)  # fmt: skip
    if start is not None:
        query = query.where(t.c.ts >= start)
    if end is not None:
        query = query.where(t.c.ts <= end)
    if channel is not None:
        query = query.where(t.c.channel == channel)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {(c, int(ts)): (int(f), m, v, u, o is None) for c, ts, f, m, v, u, o in rows}


def _merge(
    serial: str,
    raw: Sequence[tuple[str, int, float, str, int | None, int]],
    found: dict[tuple[str, int], Found],
) -> list[ExportRow]:
    out = []
    for channel, ts, value, unit, status, quality in raw:
        hit = found.pop((channel, ts), None)
        if hit is None:
            out.append(ExportRow(serial, channel, ts, value, unit, status, quality, 0, "", None))
            continue
        flags, method, new, _, _ = hit
        if new is None:
            out.append(
                ExportRow(serial, channel, ts, value, unit, status, quality, flags, "", None)
            )
        else:
            mark = Quality.ESTIMATED if flags & Flag.INVALID else Quality.EDITED
            out.append(ExportRow(serial, channel, ts, new, unit, status, quality | mark, flags,
                                 method, value))  # fmt: skip
    return out


def _estimated_only(
    serial: str, found: dict[tuple[str, int], Found], profile: bool
) -> list[ExportRow]:
    """Findings with a value and no raw reading: intervals VEE filled."""
    out = []
    for (channel, ts), (flags, method, value, unit, missing) in found.items():
        if value is not None and missing and ("/" in channel) == profile:
            out.append(ExportRow(serial, channel, ts, value, unit, None, int(Quality.ESTIMATED),
                                 flags, method, None))  # fmt: skip
    return out


async def rows(
    store: Store, meters: Sequence[MeterRecord], start: int | None = None,
    end: int | None = None, channel: str | None = None, batch: int = BATCH,
) -> AsyncIterator[list[ExportRow]]:  # fmt: skip
    """Batches of export rows, in the order the writers expect."""
    r = schema.readings
    for meter in meters:
        assert meter.id is not None
        found = await _findings(store, meter.id, start, end, channel)
        for profile in (True, False):
            query = select(r.c.channel, r.c.ts, r.c.value, r.c.unit, r.c.status, r.c.quality)
            query = query.where(r.c.meter_id == meter.id)
            query = query.where(r.c.channel.like("%/%") if profile else ~r.c.channel.like("%/%"))
            if start is not None:
                query = query.where(r.c.ts >= start)
            if end is not None:
                query = query.where(r.c.ts <= end)
            if channel is not None:
                query = query.where(r.c.channel == channel)
            query = query.order_by(r.c.channel, r.c.ts)
            extra = sorted(_estimated_only(meter.serial, found, profile),
                           key=lambda x: (x.channel, x.ts))  # fmt: skip
            async with store.engine.connect() as conn:
                result = await conn.stream(query.execution_options(yield_per=batch))
                async for part in result.partitions(batch):
                    merged = _merge(meter.serial, part, found)
                    if extra and merged:
                        edge = (merged[-1].channel, merged[-1].ts)
                        take = [x for x in extra if (x.channel, x.ts) <= edge]
                        if take:
                            extra = extra[len(take) :]
                            merged = sorted(merged + take, key=lambda x: (x.channel, x.ts))
                    if merged:
                        yield merged
            if extra:
                yield extra


def writer_for(
    fmt: str, created: int, start: int | None = None, end: int | None = None,
    sender: str = "OPENAMR", receiver: str = "RECEIVER",
) -> Writer:  # fmt: skip
    """The writer of a format (:data:`openamr.headend.exports.FORMATS`); MSCONS names
    the interchange after ``created`` and reports the period when both ends are given."""
    from openamr.headend.exports.cim import CimWriter
    from openamr.headend.exports.csv import CsvWriter
    from openamr.headend.exports.mscons import MsconsWriter

    if fmt == "csv":
        return CsvWriter()
    if fmt == "cim":
        return CimWriter()
    if fmt == "mscons":
        period = None if start is None or end is None else (start, end)
        return MsconsWriter(created, f"OA{created}", sender, receiver, period)
    raise ValueError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")


async def write(
    store: Store, writer: Writer, meters: Sequence[MeterRecord], start: int | None = None,
    end: int | None = None, channel: str | None = None,
) -> AsyncIterator[str]:  # fmt: skip
    """The export as text chunks: what a file or an HTTP response streams."""
    yield writer.begin()
    async for batch in rows(store, meters, start, end, channel):
        text = writer.rows(batch)
        if text:
            yield text
    yield writer.end()
