"""The API's on-demand work (:mod:`openamr.headend.api`), answered asynchronously:
``POST /meters/{serial}/jobs`` or ``/commands`` returns 202 at once with a correlation
id; ``GET /jobs/{id}`` gives its state and result, ``GET /commands/{id}`` a
command's state and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from openamr.headend import schema
from openamr.headend.keys import KeyRotation
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand, RequestError
from openamr.headend.runner import Runner
from openamr.headend.store import Store


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


def error_json(status: int, error: str, hint: str) -> JSONResponse:
    """The API's error answer: ``{"error": ..., "hint": ...}``."""
    return JSONResponse({"error": error, "hint": hint}, status_code=status)


def work_routes(
    store: Store, ondemand: OnDemand, runner: Runner | None, keys: KeyRotation | None
) -> APIRouter:
    router = APIRouter()

    async def meter_of(serial: str) -> MeterRecord:
        return await store.meter(serial)

    def accepted(cid: str, what: str) -> JSONResponse:
        return JSONResponse(
            {"correlation_id": cid, "state": "queued", "location": f"/{what}/{cid}"},
            status_code=202,
            headers={"Location": f"/{what}/{cid}"},
        )

    @router.post("/meters/{serial}/jobs", status_code=202)
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

    @router.post("/meters/{serial}/commands", status_code=202)
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

    @router.get("/jobs/{cid}", response_model=None)
    async def job(cid: str) -> dict[str, Any] | JSONResponse:
        row = await store.job(cid)
        if row is None:
            return error_json(404, f"no job {cid}", "use the correlation_id a POST answered")
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

    @router.get("/commands/{cid}", response_model=None)
    async def command_state(cid: str) -> dict[str, Any] | JSONResponse:
        c = schema.commands
        async with store.engine.connect() as conn:
            row = (await conn.execute(select(c).where(c.c.correlation_id == cid))).first()
        if row is None:
            return error_json(404, f"no command {cid}", "use the correlation_id a POST answered")
        history = await store.command_history(cid)
        return {
            "correlation_id": cid,
            "kind": row.kind,
            "state": row.state,
            "result": row.result,
            "history": [{"ts": t, "state": s, "note": n} for t, s, n in history],
        }

    return router


def _new_id() -> str:
    import uuid

    return str(uuid.uuid4())
