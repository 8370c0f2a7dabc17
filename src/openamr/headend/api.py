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

# The routes by role (this docstring is the OpenAPI description, so they are named
# here): the inventory api_meters.py, what was stored api_stored.py, on-demand work
# api_work.py, campaigns api_campaigns.py, data out data_api.py; this module makes the
# app (bearer tokens, the error answers, metrics).

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from openamr.headend.api_campaigns import campaign_routes
from openamr.headend.api_meters import PUBLIC, meter_routes, public
from openamr.headend.api_stored import stored_routes
from openamr.headend.api_work import error_json as _error
from openamr.headend.api_work import work_routes
from openamr.headend.campaign import CampaignError
from openamr.headend.campaign_service import Campaigns
from openamr.headend.config import token_matches
from openamr.headend.data_api import data_router
from openamr.headend.keys import KeyRotation
from openamr.headend.listener import AlarmListener
from openamr.headend.ondemand import OnDemand, RequestError
from openamr.headend.runner import Runner
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek
from openamr.headend.webui import mount_web

__all__ = ["PUBLIC", "create_app", "public"]


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

    app.include_router(meter_routes(store, kek, now, runner, listener))  # api_meters.py
    app.include_router(stored_routes(store, now, listener))  # api_stored.py
    app.include_router(work_routes(store, ondemand, runner, keys))  # api_work.py

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
