"""The API's inventory (:mod:`openamr.headend.api`): ``GET /meters`` (filters), ``GET
/meters/{serial}``, ``POST /meters`` (secrets write-only, never returned), ``PATCH``
and ``DELETE /meters/{serial}`` (decommission); each change reaches the scheduler and
the alarm listener at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from openamr.headend.listener import AlarmListener
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import RequestError
from openamr.headend.runner import Runner
from openamr.headend.store import Store
from openamr.headend.vault import Kek, MeterSecrets

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


def public(meter: MeterRecord) -> dict[str, Any]:
    return {k: getattr(meter, k) for k in PUBLIC}


def meter_routes(
    store: Store, kek: Kek | None, now: Callable[[], dt.datetime],
    runner: Runner | None, listener: AlarmListener | None,
) -> APIRouter:  # fmt: skip
    router = APIRouter()

    def ts() -> int:
        return int(now().timestamp())

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

    @router.get("/meters")
    async def list_meters(
        group: str | None = None,
        cell: int | None = None,
        state: str | None = Query("active", pattern="^(active|decommissioned|all)$"),
    ) -> list[dict[str, Any]]:
        found = await store.meters(group=group, cell=cell, state=None if state == "all" else state)
        return [public(m) for m in found]

    @router.get("/meters/{serial}")
    async def one_meter(serial: str) -> dict[str, Any]:
        return public(await meter_of(serial))

    @router.post("/meters", status_code=201)
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

    @router.patch("/meters/{serial}")
    async def update_meter(serial: str, body: MeterChange) -> dict[str, Any]:
        changes = body.model_dump(exclude_none=True)
        if changes:
            await store.update_meter(serial, ts(), **changes)
        return public(await changed(serial))

    @router.delete("/meters/{serial}")
    async def decommission(serial: str) -> dict[str, Any]:
        await store.decommission(serial, ts())
        return public(await changed(serial))

    return router
