"""The API's firmware campaigns (:mod:`openamr.headend.campaign_service`):
``POST /campaigns`` (image in base64, identifier, group, window, activate_at) answers
202 with the campaign; ``GET /campaigns/{id}`` its state, per-state counts and each
meter's state, blocks and reason; ``GET /campaigns`` all of them."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openamr.headend.campaign import CampaignSpec
from openamr.headend.campaign_service import Campaigns
from openamr.headend.ondemand import RequestError
from openamr.headend.store import StoreError


class WindowIn(BaseModel):
    start: int = Field(description="UTC seconds")
    end: int = Field(description="UTC seconds, after start")


class CampaignIn(BaseModel):
    image: str = Field(description="the firmware image, base64")
    identifier: str = Field(min_length=1, max_length=128, description="the image's name")
    group: str = Field(min_length=1, description="the meters of this group (active ones)")
    window: WindowIn
    activate_at: int | None = Field(
        None, description="UTC seconds; absent or null: activate as soon as verified"
    )


def campaign_routes(campaigns: Campaigns) -> APIRouter:
    router = APIRouter()

    @router.post("/campaigns", status_code=202)
    async def start_campaign(body: CampaignIn) -> JSONResponse:
        """Start a firmware campaign; its per-state counts at GET /campaigns/{id}."""
        try:
            image = base64.b64decode(body.image, validate=True)
        except binascii.Error:
            raise RequestError("image", "not base64") from None
        spec = CampaignSpec(body.identifier, body.group, body.window.start, body.window.end,
                            body.activate_at)  # fmt: skip
        cid = await campaigns.start(spec, image)
        return JSONResponse(await campaigns.status(cid, meters=False), status_code=202,
                            headers={"Location": f"/campaigns/{cid}"})  # fmt: skip

    @router.get("/campaigns")
    async def list_campaigns() -> list[dict[str, Any]]:
        return await campaigns.list()

    @router.get("/campaigns/{cid}", response_model=None)
    async def campaign(cid: str) -> dict[str, Any] | JSONResponse:
        """State, per-state counts and each meter's state, blocks and reason."""
        try:
            return await campaigns.status(cid)
        except StoreError:
            return JSONResponse(
                {"error": f"no campaign {cid}", "hint": "GET /campaigns lists them"},
                status_code=404,
            )

    return router
