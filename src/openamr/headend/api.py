"""The head-end's REST API (FastAPI; OpenAPI at ``/openapi.json``, docs at ``/docs``).

Resources: meters (list with filters, one, add, update, decommission; secrets are
write-only and never returned), their readings (JSON or CSV), events, sessions,
completeness per day, alarms (and the pushes the listener refused); on-demand
work answered asynchronously (``POST /meters/{serial}/jobs`` or ``/commands``
returns 202 at once with a correlation id; ``GET /jobs/{id}`` gives its state and
result, ``GET /commands/{id}`` a command's state and history), firmware campaigns
(``POST /campaigns``, ``GET /campaigns/{id}`` with per-state counts), Prometheus
metrics (``GET /metrics``). With bearer tokens configured every request needs
one (401 with what to do otherwise). Errors are JSON
``{"error": ..., "hint": ...}``: 404 names what is missing, 422 which field.

The web page (``/ui/``) and the endpoints it reads are :mod:`openamr.headend.webui`.

The app binds nothing itself: ``openamr headend serve`` runs it under uvicorn on
127.0.0.1 by default.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from openamr.headend import schema
from openamr.headend.api_campaigns import campaign_routes
from openamr.headend.campaign import CampaignError
from openamr.headend.campaign_service import Campaigns
from openamr.headend.config import token_matches
from openamr.headend.data_api import data_router
from openamr.headend.keys import KeyRotation
from openamr.headend.listener import AlarmListener
from openamr.headend.model import MeterRecord, Quality
from openamr.headend.ondemand import OnDemand, RequestError
from openamr.headend.runner import Runner
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek, MeterSecrets
from openamr.headend.webui import mount_web

DAY = 86400
PROFILE = "1.0.99.1.0.255/"
PUBLIC = (
    "serial",
    "url",
    "client",
    "auth",
    "logical_device_name",
    "system_title",
    "cell",
    "group",
    "tariff_group",
    "msisdn",
    "iccid",
    "imsi",
    "firmware",
    "state",
    "path",
    "id",
)


class MeterIn(BaseModel):
    serial: str = Field(min_length=1, max_length=32)
    url: str = Field(pattern=r"^[a-z0-9+]+://", examples=["tcp://10.0.0.5:4059"])
    client: int = Field(1, ge=1, le=0x7F)
    auth: str = Field("high", pattern="^(none|low|high)$")
    logical_device_name: str = ""
    system_title: str = Field("", pattern="^([0-9A-Fa-f]{16})?$")
    cell: int | None = None
    group: str = ""
    tariff_group: str = ""
    msisdn: str = ""
    iccid: str = ""
    imsi: str = ""
    firmware: str = ""
    path: str = Field("tcp", pattern="^(tcp|csd|wakeup)$", description="docs/gsm.md")
    password: str | None = Field(None, description="LLS password (write-only)")
    ek: str | None = Field(None, pattern="^[0-9A-Fa-f]{32}$", description="write-only")
    ak: str | None = Field(None, pattern="^[0-9A-Fa-f]{32}$", description="write-only")
    mk: str | None = Field(
        None, pattern="^[0-9A-Fa-f]{32}$", description="master key for key rotation, write-only"
    )


class MeterChange(BaseModel):
    url: str | None = Field(None, pattern=r"^[a-z0-9+]+://")
    client: int | None = Field(None, ge=1, le=0x7F)
    auth: str | None = Field(None, pattern="^(none|low|high)$")
    logical_device_name: str | None = None
    system_title: str | None = Field(None, pattern="^([0-9A-Fa-f]{16})?$")
    cell: int | None = None
    group: str | None = None
    tariff_group: str | None = None
    msisdn: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    firmware: str | None = None
    path: str | None = Field(None, pattern="^(tcp|csd|wakeup)$")


class WorkIn(BaseModel):
    kind: str = Field(examples=["read", "profile", "get", "set", "action", "ping", "objects"])
    params: dict[str, Any] = Field(
        default_factory=dict, examples=[{"obis": "1.0.1.8.0.255", "attribute": 2}]
    )


class CommandIn(BaseModel):
    kind: str = Field(
        pattern="^(disconnect|reconnect|load_limit|tariff_calendar|push_setup|rotate_keys)$"
    )
    threshold: float | None = Field(None, description="load_limit: threshold_normal")
    params: dict[str, Any] = Field(
        default_factory=dict, description="tariff_calendar, push_setup: see docs/headend-api.md"
    )


def public(meter: MeterRecord) -> dict[str, Any]:
    return {k: getattr(meter, k) for k in PUBLIC}


def _error(status: int, error: str, hint: str) -> JSONResponse:
    return JSONResponse({"error": error, "hint": hint}, status_code=status)


def create_app(
    store: Store,
    kek: Kek | None,
    ondemand: OnDemand,
    now: Callable[[], dt.datetime],
    listener: AlarmListener | None = None,
    runner: Runner | None = None,
    campaigns: Campaigns | None = None,
    keys: KeyRotation | None = None,
    tokens: frozenset[str] = frozenset(),
) -> FastAPI:
    """``tokens``: hashes of the bearer tokens (:func:`openamr.headend.config.token_hash`);
    when there are any, every request needs one (401 otherwise)."""
    app = FastAPI(title="openamr head-end", version="1", description=__doc__)

    if tokens:

        @app.middleware("http")
        async def bearer(request: Request, call_next: Any) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                problem = "this API needs a bearer token"
            elif not token_matches(token.strip(), tokens):
                problem = "the bearer token is not one of this head-end's"
            else:
                return await call_next(request)  # type: ignore[no-any-return]
            response = _error(401, problem, "send 'Authorization: Bearer TOKEN' with a token "
                              "whose hash is in [api] tokens of the head-end's config "
                              "('openamr headend token' makes one)")  # fmt: skip
            response.headers["WWW-Authenticate"] = "Bearer"
            return response

    def ts() -> int:
        return int(now().timestamp())

    @app.exception_handler(StoreError)
    async def store_error(request: Request, e: StoreError) -> JSONResponse:
        text = str(e)
        if text.startswith("no meter"):
            return _error(404, text.split(";")[0], "GET /meters lists the inventory")
        return _error(409, text, "check the request against GET /openapi.json")

    @app.exception_handler(RequestError)
    async def request_error(request: Request, e: RequestError) -> JSONResponse:
        return _error(422, str(e), f"correct the field '{e.field}'")

    @app.exception_handler(CampaignError)
    async def campaign_error(request: Request, e: CampaignError) -> JSONResponse:
        return _error(422, str(e), "correct the campaign's fields (see GET /openapi.json)")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in err["loc"] if p != "body") for err in e.errors()]
        details = [
            {"field": f, "problem": err["msg"]} for f, err in zip(fields, e.errors(), strict=True)
        ]
        return JSONResponse(
            {
                "error": f"invalid {', '.join(fields)}",
                "fields": details,
                "hint": "see GET /openapi.json for the expected fields",
            },
            status_code=422,
        )

    async def meter_of(serial: str) -> MeterRecord:
        return await store.meter(serial)

    async def changed(serial: str) -> MeterRecord:
        """The inventory changed: the scheduler and the listener see it at once."""
        meter = await store.meter(serial)
        if runner is not None:  # kept when decommissioned: a queued job may still name it
            runner.meters[serial] = meter
        if listener is not None:
            await listener.refresh()
        return meter

    # -- meters ------------------------------------------------------------------------

    @app.get("/meters")
    async def list_meters(
        group: str | None = None,
        cell: int | None = None,
        state: str | None = Query("active", pattern="^(active|decommissioned|all)$"),
    ) -> list[dict[str, Any]]:
        found = await store.meters(group=group, cell=cell, state=None if state == "all" else state)
        return [public(m) for m in found]

    @app.get("/meters/{serial}")
    async def one_meter(serial: str) -> dict[str, Any]:
        return public(await meter_of(serial))

    @app.post("/meters", status_code=201)
    async def add_meter(body: MeterIn) -> dict[str, Any]:
        secrets = MeterSecrets(
            None if body.password is None else body.password.encode(),
            None if body.ek is None else bytes.fromhex(body.ek),
            None if body.ak is None else bytes.fromhex(body.ak),
            None if body.mk is None else bytes.fromhex(body.mk),
        )
        fields = body.model_dump(exclude={"password", "ek", "ak", "mk"})
        try:
            record = MeterRecord(**fields, secrets=secrets)
        except ValueError as e:
            raise RequestError("body", str(e)) from None
        await store.put_meter(record, kek, ts())
        return public(await changed(body.serial))

    @app.patch("/meters/{serial}")
    async def update_meter(serial: str, body: MeterChange) -> dict[str, Any]:
        changes = body.model_dump(exclude_none=True)
        if changes:
            await store.update_meter(serial, ts(), **changes)
        return public(await changed(serial))

    @app.delete("/meters/{serial}")
    async def decommission(serial: str) -> dict[str, Any]:
        await store.decommission(serial, ts())
        return public(await changed(serial))

    # -- what was stored ------------------------------------------------------------------

    @app.get("/meters/{serial}/readings", response_model=None)
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

    @app.get("/meters/{serial}/events")
    async def events(serial: str) -> list[dict[str, Any]]:
        meter = await meter_of(serial)
        assert meter.id is not None
        return [
            {"log": e.log, "ts": e.ts, "code": e.code, "name": e.name}
            for e in await store.events(meter.id)
        ]

    @app.get("/meters/{serial}/sessions")
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

    @app.get("/meters/{serial}/completeness")
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

    @app.get("/alarms")
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

    @app.get("/alarms/refused")
    async def refused() -> list[dict[str, Any]]:
        """The last pushes the listener refused (unknown, forged, replayed), newest last."""
        if listener is None:
            return []
        return [
            {"sender": r.sender, "reason": r.reason, "received": r.received}
            for r in listener.refusals
        ]

    # -- on-demand work ------------------------------------------------------------------

    def accepted(cid: str, what: str) -> JSONResponse:
        return JSONResponse(
            {"correlation_id": cid, "state": "queued", "location": f"/{what}/{cid}"},
            status_code=202,
            headers={"Location": f"/{what}/{cid}"},
        )

    @app.post("/meters/{serial}/jobs", status_code=202)
    async def work(serial: str, body: WorkIn) -> JSONResponse:
        meter = await meter_of(serial)
        if body.kind == "collect":
            if runner is None:
                raise RequestError("kind", "collect needs the scheduler (openamr headend serve)")
            force = body.params.get("force_clock", False)
            if not isinstance(force, bool):
                raise RequestError("params.force_clock", "true or false")
            job = await runner.submit(serial, _new_id(), force)
            return accepted(job.correlation_id, "jobs")
        cid = await ondemand.submit(meter, body.kind, body.params)
        return accepted(cid, "jobs")

    @app.post("/meters/{serial}/commands", status_code=202)
    async def command(serial: str, body: CommandIn) -> JSONResponse:
        meter = await meter_of(serial)
        if body.kind == "rotate_keys":
            if keys is None:
                raise RequestError("kind", "rotate_keys needs 'openamr headend serve'")
            return accepted(await keys.submit(meter), "commands")
        params = dict(body.params)
        if body.threshold is not None:
            params["threshold"] = body.threshold
        if body.kind == "load_limit" and body.threshold is not None:
            params["threshold"] = (
                int(body.threshold) if body.threshold.is_integer() else body.threshold
            )
        cid = await ondemand.submit(meter, body.kind, params)
        return accepted(cid, "commands")

    @app.get("/jobs/{cid}", response_model=None)
    async def job(cid: str) -> dict[str, Any] | JSONResponse:
        row = await store.job(cid)
        if row is None:
            return _error(404, f"no job {cid}", "use the correlation_id a POST answered")
        out: dict[str, Any] = {
            "correlation_id": cid,
            "kind": row.kind,
            "state": row.state,
            "attempts": row.attempts,
            "reason": row.reason,
            "updated": row.updated,
        }
        result = await ondemand.result(cid)
        if result is not None:
            out["result"] = result
        elif runner is not None and cid in runner.outcomes:
            o = runner.outcomes[cid]
            out["result"] = {"readings": o.readings, "events": o.events, "gaps": o.gaps_reread}
        return out

    @app.get("/commands/{cid}", response_model=None)
    async def command_state(cid: str) -> dict[str, Any] | JSONResponse:
        c = schema.commands
        async with store.engine.connect() as conn:
            row = (await conn.execute(select(c).where(c.c.correlation_id == cid))).first()
        if row is None:
            return _error(404, f"no command {cid}", "use the correlation_id a POST answered")
        history = await store.command_history(cid)
        return {
            "correlation_id": cid,
            "kind": row.kind,
            "state": row.state,
            "result": row.result,
            "history": [{"ts": t, "state": s, "note": n} for t, s, n in history],
        }

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        """Prometheus text format (docs/headend-api.md, "Metrics")."""
        from openamr.headend.metrics import CONTENT_TYPE, render

        body = await render(store, ts(), runner, listener)
        return Response(body, media_type=CONTENT_TYPE)

    app.include_router(campaign_routes(campaigns or Campaigns(store, now)))
    app.include_router(data_router(store, now))  # export, VEE (headend/data_api.py)

    mount_web(app, store, now, public)
    return app


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())


def _quality(flags: int) -> str:
    return ",".join(str(q.name).lower() for q in Quality if q and flags & q)
