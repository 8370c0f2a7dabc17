"""The web page's view of one meter (mounted by :func:`openamr.headend.webui.mount_web`)::

    GET /meters/{serial}/overview  identity, last readings, relay, clock offsets and
                                   corrections, events, alarms, sessions
    GET /meters/{serial}/profile   the load profile, columnar (times, one array a
                                   column), and its energy per rate

The per-rate series (``rates``) split each register column's interval advance by the
rate the meter's tariff calendar put in force then (:mod:`openamr.headend.tariff`,
the calendar as read by :mod:`openamr.headend.calendars`): the MT372's load profile
holds the totals only.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from openamr.codec.obis import Obis
from openamr.devices.mt372.objects import MT372
from openamr.headend import calendars, schema
from openamr.headend.collector import BILLING, LOAD_PROFILE
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.summary import DAY
from openamr.headend.tariff_split import by_rate

RELAY_KINDS = ("disconnect", "reconnect")
#: the register columns split by rate: import A+ and export A- (their rates' OBIS: C.8.T)
DIRECTIONS = {"1.0.1.8.0.255": "import", "1.0.2.8.0.255": "export"}


def label(obis: str) -> str:
    """The MT372's name of an OBIS code ("A+ T1"), or the code itself."""
    try:
        return MT372.name_of(Obis.parse(obis)) or obis
    except ValueError:
        return obis


def meter_routes(
    store: Store, now: Callable[[], dt.datetime],
    public: Callable[[MeterRecord], dict[str, Any]],
) -> APIRouter:  # fmt: skip
    app = APIRouter()

    def ts() -> int:
        return int(now().timestamp())

    async def rows(query: Any) -> list[Any]:
        async with store.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    @app.get("/meters/{serial}/overview")
    async def overview(serial: str) -> dict[str, Any]:
        meter = await store.meter(serial)
        i = meter.id
        r, s, e, a, c = (schema.readings, schema.sessions, schema.events, schema.alarms,
                         schema.commands)  # fmt: skip
        registers = []
        for obis in BILLING:
            channel = f"{obis}:2"
            found = await rows(select(r.c.ts, r.c.value, r.c.unit)
                               .where(r.c.meter_id == i, r.c.channel == channel)
                               .order_by(r.c.ts.desc()).limit(1))  # fmt: skip
            if found:
                x = found[0]
                registers.append({"obis": obis, "name": label(obis), "ts": x.ts,
                                  "value": x.value, "unit": x.unit})  # fmt: skip
        relay = await rows(select(c.c.kind, c.c.state, c.c.result, c.c.updated)
                           .where(c.c.meter_id == i, c.c.kind.in_(RELAY_KINDS))
                           .order_by(c.c.id.desc()).limit(1))  # fmt: skip
        cc = schema.clock_corrections
        return {
            "meter": public(meter),
            "registers": registers,
            "relay": None if not relay else {
                "command": relay[0].kind, "state": relay[0].state, "updated": relay[0].updated,
                "result": json.loads(relay[0].result) if relay[0].result else None},
            "clock": [{"ts": x.started, "offset_s": x.clock_offset_s} for x in await rows(
                select(s.c.started, s.c.clock_offset_s)
                .where(s.c.meter_id == i, s.c.clock_offset_s.is_not(None))
                .order_by(s.c.started.desc()).limit(500))][::-1],
            "corrections": [dict(x._mapping) for x in await rows(
                select(cc.c.ts, cc.c.offset_s, cc.c.shift_s, cc.c.forced)
                .where(cc.c.meter_id == i).order_by(cc.c.ts.desc()).limit(50))],
            "events": [dict(x._mapping) for x in await rows(
                select(e.c.ts, e.c.code, e.c.name).where(e.c.meter_id == i)
                .order_by(e.c.ts.desc()).limit(200))],
            "alarms": [dict(x._mapping) for x in await rows(
                select(a.c.id, a.c.ts, a.c.code, a.c.name, a.c.state, a.c.received)
                .where(a.c.sender == serial).order_by(a.c.id.desc()).limit(100))],
            "sessions": [dict(x._mapping) for x in await rows(
                select(s.c.started, s.c.ended, s.c.outcome, s.c.reason, s.c.readings,
                       s.c.bytes_sent, s.c.bytes_received)
                .where(s.c.meter_id == i).order_by(s.c.started.desc(), s.c.id.desc()).limit(50))],
        }  # fmt: skip

    @app.get("/meters/{serial}/profile")
    async def profile(
        serial: str, days: float = Query(7, gt=0, le=400), end: int | None = None
    ) -> dict[str, Any]:
        """The load profile's columns over ``days`` before ``end`` (default now):
        ``ts`` (interval ends) and one array of values per column, null where missing;
        ``rates``: per direction (import A+, export A-) and rate, the ``energy`` of each
        interval at that rate (the register's advance since the previous stored
        entry, split by the meter's tariff calendar; null where the rate was not in
        force or there is no interval);
        ``calendar``: which calendar split them, or the ``problem`` when none could."""
        meter = await store.meter(serial)
        r = schema.readings
        stop = end if end is not None else ts()
        prefix = f"{LOAD_PROFILE}/"
        found = await rows(
            select(r.c.channel, r.c.ts, r.c.value, r.c.unit).where(
                r.c.meter_id == meter.id, r.c.channel >= prefix, r.c.channel < prefix + "\uffff",
                r.c.ts > stop - int(days * DAY), r.c.ts <= stop,
            )
        )  # fmt: skip
        times = sorted({int(x.ts) for x in found})
        at = {t: n for n, t in enumerate(times)}
        columns: dict[str, dict[str, Any]] = {}
        for x in found:
            obis = x.channel[len(prefix) :].split(":")[0]
            col = columns.setdefault(x.channel, {
                "channel": x.channel, "obis": obis, "name": label(obis), "unit": x.unit,
                "values": [None] * len(times)})  # fmt: skip
            col["values"][at[int(x.ts)]] = x.value
        ordered = sorted(columns.values(), key=lambda c: c["channel"])
        assert meter.id is not None
        plans = await calendars.plans(store, meter.id)
        rates, estimated = [], 0
        for col in ordered:
            direction = DIRECTIONS.get(col["obis"])
            if direction is None:
                continue
            split = by_rate(times, col["values"], plans.at)
            estimated += split.estimated
            for rate, energy in split.energy.items():
                obis = col["obis"].replace(".8.0.", f".8.{rate}.")
                rates.append({"direction": direction, "rate": rate, "obis": obis,
                              "name": label(obis), "unit": col["unit"],
                              "energy": energy})  # fmt: skip
        plan = plans.at(stop)
        calendar = {
            "read": plans.reads[-1] if plans.reads else None,
            "name": None if isinstance(plan, str) else plan.active.name.decode("latin-1"),
            "problem": plan if isinstance(plan, str) else None,
            "estimated": estimated,
        }
        return {"ts": times, "columns": ordered, "rates": rates, "calendar": calendar}

    return app
