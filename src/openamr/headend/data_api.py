"""The data-out part of the REST API (mounted by :func:`openamr.headend.api.create_app`):

- ``GET /export?format=csv|cim|mscons[&serial=..][&group=..][&channel=..][&start=..]
  [&end=..]``: the readings with their quality, streamed (docs/exports.md);
- ``POST /vee`` ``{"serial" | "group", "start", "end", rules...}``: VEE now, its report;
- ``GET /meters/{serial}/vee[?start=..&end=..]``: what VEE found (docs/vee.md).

Times are UTC seconds. Errors are JSON ``{"error", "hint"}`` like the rest of the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from openamr.headend import quality
from openamr.headend.exports import MEDIA_TYPES
from openamr.headend.exports.source import write, writer_for
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.vee import Rules

SUFFIX = {"csv": "csv", "cim": "xml", "mscons": "edi"}


class VeeIn(BaseModel):
    serial: str | None = None
    group: str | None = None
    start: int = Field(ge=0, description="UTC seconds, the first interval end")
    end: int = Field(ge=0, description="UTC seconds, the last interval end (inclusive)")
    period: int = Field(900, ge=60, le=86400)
    linear_max: int = Field(4, ge=0)
    similar_weeks: int = Field(4, ge=0, le=52)
    spike_factor: float = Field(20.0, gt=1)
    spike_min: float = Field(1000.0, ge=0)
    max_interval: float = Field(17250.0, gt=0)
    zero_run: int = Field(96, ge=1)
    energy_tolerance: float = Field(0.01, ge=0)


def _error(status: int, error: str, hint: str) -> JSONResponse:
    return JSONResponse({"error": error, "hint": hint}, status_code=status)


def data_router(store: Store, now: Callable[[], dt.datetime]) -> APIRouter:
    router = APIRouter(tags=["data out"])

    async def selected(serial: str | None, group: str | None) -> list[MeterRecord]:
        if serial is not None:
            return [await store.meter(serial)]
        return await store.meters(group=group, state=None)

    @router.get("/export", response_model=None)
    async def export(
        format: str = Query("csv", pattern="^(csv|cim|mscons)$"),
        serial: str | None = None,
        group: str | None = None,
        channel: str | None = None,
        start: int | None = Query(None, ge=0),
        end: int | None = Query(None, ge=0),
        sender: str = "OPENAMR",
        receiver: str = "RECEIVER",
    ) -> StreamingResponse | JSONResponse:
        if start is not None and end is not None and end < start:
            return _error(422, "end is before start", "give start <= end, UTC seconds")
        meters = await selected(serial, group)
        created = int(now().timestamp())
        writer = writer_for(format, created, start, end, sender, receiver)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in write(store, writer, meters, start, end, channel):
                yield chunk.encode("utf-8")

        name = f"readings-{created}.{SUFFIX[format]}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return StreamingResponse(body(), media_type=MEDIA_TYPES[format], headers=disposition)

    @router.post("/vee")
    async def run_vee(body: VeeIn) -> Any:
        if body.end < body.start:
            return _error(422, "end is before start", "give start <= end, UTC seconds")
        fields = body.model_dump(exclude={"serial", "group", "start", "end"})
        meters = await selected(body.serial, body.group)
        if not meters:
            return _error(404, "no meters selected", "GET /meters lists the inventory")
        report = await quality.run(store, meters, body.start, body.end, Rules(**fields),
                                   int(now().timestamp()))  # fmt: skip
        return report.as_dict()

    @router.get("/meters/{serial}/vee")
    async def findings(
        serial: str, start: int | None = Query(None, ge=0), end: int | None = Query(None, ge=0)
    ) -> list[dict[str, Any]]:
        meter = await store.meter(serial)
        assert meter.id is not None
        return await quality.findings(store, meter.id, start, end)

    return router
