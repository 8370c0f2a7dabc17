"""The API's stored data (:mod:`openamr.headend.api`): a meter's readings (JSON or
CSV), events, sessions and completeness per UTC day; the alarms, and the pushes the
listener refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import func, select

from openamr.headend import schema
from openamr.headend.listener import AlarmListener
from openamr.headend.model import MeterRecord, Quality
from openamr.headend.store import Store

DAY = 86400
PROFILE = "1.0.99.1.0.255/"


def stored_routes(
    store: Store, now: Callable[[], dt.datetime], listener: AlarmListener | None
) -> APIRouter:
    router = APIRouter()

    def ts() -> int:
        return int(now().timestamp())

    async def meter_of(serial: str) -> MeterRecord:
        return await store.meter(serial)

    @router.get("/meters/{serial}/readings", response_model=None)
    async def readings(
        serial: str,
        channel: str | None = None,
        start: int | None = None,
        end: int | None = None,
        limit: int = Query(10000, ge=1, le=1_000_000),
        format: str = Query("json", pattern="^(json|csv)$"),
    ) -> Response | list[dict[str, Any]]:
        meter = await meter_of(serial)
        rows = await store.readings(meter.id, channel, start, end, limit)
        names = ["channel", "ts", "value", "unit", "status", "quality"]
        out = [[r.channel, r.ts, r.value, r.unit, r.status, _quality(r.quality)] for r in rows]
        if format == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(["serial", *names])
            writer.writerows([serial, *row] for row in out)
            return PlainTextResponse(buffer.getvalue(), media_type="text/csv")
        return [dict(zip(names, row, strict=True)) for row in out]

    @router.get("/meters/{serial}/events")
    async def events(serial: str) -> list[dict[str, Any]]:
        meter = await meter_of(serial)
        assert meter.id is not None
        return [
            {"log": e.log, "ts": e.ts, "code": e.code, "name": e.name}
            for e in await store.events(meter.id)
        ]

    @router.get("/meters/{serial}/sessions")
    async def sessions(serial: str) -> list[dict[str, Any]]:
        meter = await meter_of(serial)
        assert meter.id is not None
        return [
            {
                "started": s.started,
                "ended": s.ended,
                "bytes_sent": s.bytes_sent,
                "bytes_received": s.bytes_received,
                "outcome": s.outcome,
                "reason": s.reason,
                "readings": s.readings,
            }
            for s in await store.sessions(meter.id)
        ]

    @router.get("/meters/{serial}/completeness")
    async def completeness(
        serial: str, days: int = Query(7, ge=1, le=400), period: int = Query(900, ge=60)
    ) -> list[dict[str, Any]]:
        """Per UTC day: the load profile's intervals expected and received."""
        meter = await meter_of(serial)
        r = schema.readings
        first_day = (ts() // DAY - days + 1) * DAY
        query = (
            select((r.c.ts - 1) // DAY, func.count(func.distinct(r.c.ts)))
            .where(
                r.c.meter_id == meter.id,
                r.c.channel >= PROFILE,
                r.c.channel < PROFILE + "\uffff",
                r.c.ts > first_day,
            )
            .group_by((r.c.ts - 1) // DAY)
        )
        async with store.engine.connect() as conn:
            got = {int(d): int(n) for d, n in (await conn.execute(query)).all()}
        expected = DAY // period
        out = []
        for i in range(days):
            day = first_day // DAY + i
            received = got.get(day, 0)
            out.append(
                {
                    "day": dt.datetime.fromtimestamp(day * DAY, dt.UTC).date().isoformat(),
                    "expected": expected,
                    "received": received,
                    "percent": round(100 * received / expected, 1),
                }
            )
        return out

    @router.get("/alarms")
    async def alarms(
        serial: str | None = None, limit: int = Query(1000, ge=1, le=100_000)
    ) -> list[dict[str, Any]]:
        a = schema.alarms
        query = select(a).order_by(a.c.ts.desc(), a.c.id.desc()).limit(limit)
        if serial is not None:
            query = query.where(a.c.sender == serial)
        async with store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            {
                "id": x.id,
                "serial": x.sender,
                "ts": x.ts,
                "code": x.code,
                "name": x.name,
                "state": x.state,
                "received": x.received,
            }
            for x in rows
        ]

    @router.get("/alarms/refused")
    async def refused() -> list[dict[str, Any]]:
        """The last pushes the listener refused (unknown, forged, replayed), newest last."""
        if listener is None:
            return []
        return [
            {"sender": r.sender, "reason": r.reason, "received": r.received}
            for r in listener.refusals
        ]

    return router


def _quality(flags: int) -> str:
    return ",".join(str(q.name).lower() for q in Quality if q and flags & q)
