"""The head-end's web page: static files (``headend/static/``, no build step, nothing
from the internet) and the few aggregating endpoints it reads, mounted on the API
app by :func:`mount_web`. ::

    GET /                          redirects to /ui/
    GET /ui/                       the page (index.html, app.js, plot.js, style.css)
    GET /fleet/summary             counts: meters, online, collected today, failed,
                                   alarms open; the groups and cells to filter by
    GET /fleet/meters              one page of meters with their last session
    GET /fleet/completeness        the heat map: groups (or one page of meters) x days
    GET /meters/{serial}/overview  one meter (:mod:`openamr.headend.webui_meter`)
    GET /meters/{serial}/profile   its load profile, columnar, and per rate (the same)
    GET /alarms/stream             alarms as they are stored (server-sent events)

The fleet's filters (``group``, ``cell``, ``state``: active, decommissioned or all;
``status``: collected, failed or uncollected today; ``q``: a serial prefix) are the
same on every fleet endpoint. Nothing here reads the readings of more than one meter:
the counts come from today's sessions (indexed by start) and the heat map from
``profile_days`` (:mod:`openamr.headend.summary`), so a fleet of 10,000 costs a few
milliseconds per request, and the page never asks meter by meter.

Definitions: *online*, an ok session in the last 24 hours; *collected today*, an ok
session since 00:00 UTC; *failed*, sessions today and none of them ok; a day's
*expected* intervals are 86400 / ``period`` (today: those ended so far).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Select, and_, case, func, select

from openamr.headend import schema
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.summary import DAY, day_of
from openamr.headend.webui_meter import meter_routes

STATIC = files("openamr.headend") / "static"
STREAM_POLL_S = 1.0
STREAM_LIFETIME_S = 20.0  # then the browser reconnects (Last-Event-ID): no endless request
STATUSES = "^(collected|failed|uncollected)$"


class Filters:
    """The fleet's filters, as FastAPI query parameters."""

    def __init__(
        self,
        group: str | None = None,
        cell: int | None = None,
        state: str = Query("active", pattern="^(active|decommissioned|all)$"),
        status: str | None = Query(None, pattern=STATUSES),
        q: str | None = Query(None, max_length=32, description="serial prefix"),
    ) -> None:
        self.group, self.cell, self.state, self.status, self.q = group, cell, state, status, q

    def conditions(self) -> list[Any]:
        """On the meters table (``status`` is not a column: :func:`chosen` applies it)."""
        m = schema.meters
        out: list[Any] = []
        if self.group:
            out.append(m.c.group_name == self.group)
        if self.cell is not None:
            out.append(m.c.cell == self.cell)
        if self.state != "all":
            out.append(m.c.state == self.state)
        if self.q:
            out += [m.c.serial >= self.q, m.c.serial < self.q + "\uffff"]
        return out

    def meters(self, *columns: Any) -> Select[Any]:
        return select(*(columns or (schema.meters.c.id,))).where(*self.conditions())


Fleet = Annotated[Filters, Depends()]


def mount_web(
    app: FastAPI, store: Store, now: Callable[[], dt.datetime],
    public: Callable[[MeterRecord], dict[str, Any]],
) -> None:  # fmt: skip
    """Add the page and its endpoints to the API ``app``."""
    app.mount("/ui", StaticFiles(directory=str(STATIC), html=True), name="ui")

    def ts() -> int:
        return int(now().timestamp())

    async def rows(query: Any) -> list[Any]:
        async with store.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def today(since: int) -> dict[int, tuple[bool, bool, bool]]:
        """Per meter with sessions since ``since``: (ok in 24 h, ok today, any today)."""
        s, t = schema.sessions, ts()
        midnight = t // DAY * DAY
        found: dict[int, tuple[bool, bool, bool]] = {}
        query = select(s.c.meter_id, s.c.started, s.c.outcome).where(s.c.started >= since)
        for meter_id, started, outcome in await rows(query):
            day_ok, ok_today, any_today = found.get(meter_id, (False, False, False))
            ok = outcome == "ok"
            found[meter_id] = (day_ok or (ok and started >= t - DAY),
                               ok_today or (ok and started >= midnight),
                               any_today or started >= midnight)  # fmt: skip
        return found

    def sessions_since() -> int:
        t = ts()
        return min(t // DAY * DAY, t - DAY)

    async def chosen(f: Filters) -> list[int]:
        """The ids of the meters the filters choose, by serial."""
        ids = [int(r[0]) for r in await rows(f.meters().order_by(schema.meters.c.serial))]
        if f.status is None:
            return ids
        seen = await today(sessions_since())
        status = f.status
        return [i for i in ids if _status_is(status, seen.get(i))]

    async def page_of(f: Filters, offset: int, limit: int) -> tuple[int, list[int]]:
        """(how many the filters choose, the ids of one page of them, by serial)."""
        if f.status is not None:
            ids = await chosen(f)
            return len(ids), ids[offset : offset + limit]
        m = schema.meters
        total = await rows(select(func.count()).select_from(m).where(*f.conditions()))
        page = await rows(f.meters().order_by(m.c.serial).offset(offset).limit(limit))
        return int(total[0][0]), [int(r[0]) for r in page]

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    async def counts(f: Fleet) -> tuple[int, int, int, int]:
        """(meters, online, collected today, failed today), aggregated by the database
        (with a ``status`` filter, which is no column, from :func:`chosen`)."""
        if f.status is not None:
            ids = set(await chosen(f))
            seen = [s for i, s in (await today(sessions_since())).items() if i in ids]
            return (len(ids), sum(1 for s in seen if s[0]), sum(1 for s in seen if s[1]),
                    sum(1 for s in seen if s[2] and not s[1]))  # fmt: skip
        m, s, t = schema.meters, schema.sessions, ts()
        midnight, ok = t // DAY * DAY, s.c.outcome == "ok"

        def flag(*when: Any) -> Any:
            return func.max(case((and_(*when), 1), else_=0))

        per_meter = (
            select(flag(ok, s.c.started >= t - DAY).label("online"),
                   flag(ok, s.c.started >= midnight).label("ok"),
                   flag(s.c.started >= midnight).label("tried"))
            .select_from(s.join(m, m.c.id == s.c.meter_id))
            .where(s.c.started >= sessions_since(), *f.conditions()).group_by(s.c.meter_id)
        ).subquery()  # fmt: skip
        x = per_meter.c
        total = await rows(select(func.count()).select_from(m).where(*f.conditions()))
        failed = func.sum(case((and_(x.tried == 1, x.ok == 0), 1), else_=0))
        got = (await rows(select(func.sum(x.online), func.sum(x.ok), failed)))[0]
        return int(total[0][0]), int(got[0] or 0), int(got[1] or 0), int(got[2] or 0)

    @app.get("/fleet/summary")
    async def summary(f: Fleet) -> dict[str, Any]:
        meters, online, collected, failed = await counts(f)
        m, a = schema.meters, schema.alarms
        open_alarms = await rows(
            select(func.count()).select_from(a)
            .where(a.c.state == "open", a.c.meter_id.in_(f.meters()))
        )  # fmt: skip
        groups = await rows(select(m.c.group_name).distinct().order_by(m.c.group_name))
        cells = await rows(
            select(m.c.cell).distinct().where(m.c.cell.is_not(None)).order_by(m.c.cell)
        )
        return {
            "meters": meters,
            "online": online,
            "collected_today": collected,
            "failed": failed,
            "alarms_open": int(open_alarms[0][0]),
            "groups": [g for (g,) in groups if g],
            "cells": [int(c) for (c,) in cells],
            "time": ts(),
        }

    @app.get("/fleet/meters")
    async def fleet_meters(
        f: Fleet, offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=500)
    ) -> dict[str, Any]:
        total, page = await page_of(f, offset, limit)
        m, s = schema.meters, schema.sessions
        meters = {r.id: r for r in await rows(
            select(m.c.id, m.c.serial, m.c.group_name, m.c.cell, m.c.state, m.c.firmware)
            .where(m.c.id.in_(page)))}  # fmt: skip
        last = select(func.max(s.c.id)).where(s.c.meter_id.in_(page)).group_by(s.c.meter_id)
        latest = {r.meter_id: r for r in await rows(
            select(s.c.meter_id, s.c.started, s.c.outcome, s.c.reason, s.c.readings)
            .where(s.c.id.in_(last)))}  # fmt: skip
        out = []
        for i in page:
            r, x = meters[i], latest.get(i)
            out.append({
                "serial": r.serial, "group": r.group_name, "cell": r.cell, "state": r.state,
                "firmware": r.firmware,
                "last_session": None if x is None else {
                    "started": x.started, "outcome": x.outcome, "reason": x.reason,
                    "readings": x.readings},
            })  # fmt: skip
        return {"total": total, "offset": offset, "meters": out}

    @app.get("/fleet/completeness")
    async def fleet_completeness(
        f: Fleet,
        days: int = Query(14, ge=1, le=92),
        by: str = Query("group", pattern="^(group|meter)$"),
        period: int = Query(900, ge=60, le=86400),
        offset: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=500),
    ) -> dict[str, Any]:
        """Percent of the expected load-profile intervals received, per row and day."""
        t = ts()
        last_day = day_of(t + 1)
        first_day = last_day - days + 1
        expected = [_expected(d, t, period) for d in range(first_day, last_day + 1)]
        d, m = schema.profile_days, schema.meters
        in_days = and_(d.c.day >= first_day, d.c.day <= last_day)
        if by == "group":
            sizes = await rows(f.meters(m.c.group_name, func.count()).group_by(m.c.group_name)
                               .order_by(m.c.group_name))  # fmt: skip
            got = await rows(
                select(m.c.group_name, d.c.day, func.sum(d.c.received))
                .select_from(d.join(m, m.c.id == d.c.meter_id))
                .where(in_days, *f.conditions()).group_by(m.c.group_name, d.c.day)
            )  # fmt: skip
            keys = [(str(g), int(n)) for g, n in sizes]
            total = len(keys)
            keys = keys[offset : offset + limit]
        else:
            total, page = await page_of(f, offset, limit)
            serials = dict(await rows(select(m.c.id, m.c.serial).where(m.c.id.in_(page))))
            got = await rows(select(d.c.meter_id, d.c.day, d.c.received)
                             .where(in_days, d.c.meter_id.in_(page)))  # fmt: skip
            got = [(serials[i], day, n) for i, day, n in got]
            keys = [(str(serials[i]), 1) for i in page]
        cells = {(str(k), int(day)): int(n) for k, day, n in got}
        out = []
        for key, size in keys:
            percent = []
            for i, e in enumerate(expected):
                n = cells.get((key, first_day + i), 0)
                percent.append(None if e == 0 else min(100, round(100 * n / (e * size))))
            out.append({"key": key, "meters": size, "percent": percent})
        return {
            "by": by, "total": total, "offset": offset, "expected": expected,
            "days": [_iso_day(x) for x in range(first_day, last_day + 1)], "rows": out,
        }  # fmt: skip

    app.include_router(meter_routes(store, now, public))  # overview, profile

    @app.get("/alarms/stream", response_class=StreamingResponse)
    async def alarm_stream(
        request: Request, after: int | None = None,
        timeout: float = Query(STREAM_LIFETIME_S, gt=0, le=300),
    ) -> StreamingResponse:  # fmt: skip
        """``text/event-stream``: one ``alarm`` event per alarm stored after ``after``
        (or the ``Last-Event-ID`` the browser resends; default: from now on), for
        ``timeout`` seconds; then the browser's EventSource reconnects where it was."""
        a = schema.alarms
        resumed = request.headers.get("last-event-id", "")
        start = int(resumed) if resumed.isdigit() else after
        if start is None:
            start = int((await rows(select(func.coalesce(func.max(a.c.id), 0))))[0][0])

        async def events() -> AsyncIterator[str]:
            last, loop = start, asyncio.get_running_loop()
            until = loop.time() + timeout
            yield f"retry: 1000\nevent: hello\ndata: {json.dumps({'after': last})}\n\n"
            while loop.time() < until and not await request.is_disconnected():
                new = await rows(select(a.c.id, a.c.sender, a.c.ts, a.c.code, a.c.name,
                                        a.c.state, a.c.received)
                                 .where(a.c.id > last).order_by(a.c.id).limit(200))  # fmt: skip
                for x in new:
                    last = int(x.id)
                    body = json.dumps({"id": x.id, "serial": x.sender, "ts": x.ts,
                                       "code": x.code, "name": x.name, "state": x.state,
                                       "received": x.received})  # fmt: skip
                    yield f"id: {last}\nevent: alarm\ndata: {body}\n\n"
                if not new:
                    await asyncio.sleep(min(STREAM_POLL_S, max(0.0, until - loop.time())))

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip


def _status_is(status: str, seen: tuple[bool, bool, bool] | None) -> bool:
    """Whether a meter's sessions (:func:`today`'s triple, None: no session) match."""
    ok_today = seen is not None and seen[1]
    if status == "collected":
        return ok_today
    if status == "failed":
        return seen is not None and seen[2] and not ok_today
    return not ok_today  # uncollected


def _expected(day: int, now: int, period: int) -> int:
    """Intervals expected on ``day``: all of it, or those ended by ``now``."""
    start = day * DAY
    return max(0, min(DAY, now - start)) // period


def _iso_day(day: int) -> str:
    return dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + day).isoformat()
