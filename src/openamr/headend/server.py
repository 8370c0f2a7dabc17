"""``openamr headend serve``: everything in one process and one event loop: the
daily schedule and its collectors (:class:`~openamr.headend.runner.Runner`), the
push listener (:mod:`openamr.headend.listener`, its rules submitting on-demand
collections to the same runner), on-demand work (:mod:`openamr.headend.ondemand`)
and the REST API (:mod:`openamr.headend.api`) under uvicorn. Both sockets bind
127.0.0.1 unless told otherwise. FastAPI and uvicorn are imported here only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from openamr.headend.alarms import Alarm
from openamr.headend.campaign_service import Campaigns, ClientFirmware
from openamr.headend.collector import Collector, CollectPolicy
from openamr.headend.config import ConfigError, is_loopback
from openamr.headend.keys import KeyRotation
from openamr.headend.listener import AlarmListener, ListenerPolicy
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.service import utc_now
from openamr.headend.store import Store
from openamr.headend.vault import Kek

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoints:
    listen_host: str = "127.0.0.1"
    listen_port: int | None = 4061  # None: no push listener
    api_host: str = "127.0.0.1"
    api_port: int | None = 8080  # None: no API


@dataclass(slots=True)
class Running:
    """What :func:`serve_all` started, with the ports it bound (0 asks for any)."""

    runner: Runner
    listener: AlarmListener | None
    ondemand: OnDemand
    listen_port: int | None = None
    api_port: int | None = None
    campaigns: Campaigns | None = None


async def serve_all(
    store: Store, kek: Kek | None, policy: Policy, collect_policy: CollectPolicy | None,
    stop: asyncio.Event, endpoints: Endpoints = Endpoints(),
    now: Callable[[], dt.datetime] = utc_now,
    listener_policy: ListenerPolicy | None = None,
    started: Callable[[Running], None] | None = None,
    tokens: frozenset[str] = frozenset(),
) -> Running:  # fmt: skip
    """Run until ``stop`` is set (or the API server stops); ``started`` is called
    once everything listens. ``tokens`` (hashes) protect the API: required when it
    binds an address other than loopback."""
    if endpoints.api_port is not None and not tokens and not is_loopback(endpoints.api_host):
        raise ConfigError(
            f"the API on {endpoints.api_host} needs bearer tokens: add [api] tokens to the "
            "config ('openamr headend token' makes one), or bind it to 127.0.0.1"
        )
    counter_alert = (collect_policy or CollectPolicy()).counter_alert
    meters = await store.meters()
    runner = Runner(store, Collector(store, kek, now, collect_policy),
                    Scheduler(policy, random.Random()), meters, now)  # fmt: skip

    async def react(alarm: Alarm, rule: str) -> None:
        if rule == "collect" and alarm.serial in runner.meters:
            job = await runner.submit(alarm.serial, f"alarm-{alarm.code:04x}-{uuid.uuid4()}")
            log.info("alarm %s of %s: collection %s", alarm.name, alarm.serial, job.correlation_id)

    ondemand = OnDemand(store, kek, now, runner=runner, counter_alert=counter_alert)
    await ondemand.abandon_leftovers()
    campaigns = Campaigns(store, now, runner, ClientFirmware(ondemand))
    running = Running(runner, None, ondemand, campaigns=campaigns)
    if endpoints.listen_port is not None:
        if listener_policy is None:  # the config's counter alert for pushes too
            listener_policy = ListenerPolicy(counter_alert=counter_alert)
        running.listener = AlarmListener(store, kek, now, react, listener_policy)
        _, running.listen_port = await running.listener.start(
            endpoints.listen_host, endpoints.listen_port
        )
    api: asyncio.Task[None] | None = None
    server = None
    try:
        if endpoints.api_port is not None:
            import uvicorn

            from openamr.headend.api import create_app

            keys = KeyRotation(store, kek, ondemand, now)
            app = create_app(store, kek, ondemand, now, running.listener, runner, campaigns, keys,
                             tokens)  # fmt: skip
            config = uvicorn.Config(app, endpoints.api_host, endpoints.api_port,
                                    log_level="warning", lifespan="off")  # fmt: skip
            server = uvicorn.Server(config)
            api = asyncio.create_task(server.serve())
            while not server.started:
                if api.done():
                    api.result()  # the bind failed: say why
                    raise OSError(f"the API did not start on {endpoints.api_host}")
                await asyncio.sleep(0.01)
            running.api_port = int(server.servers[0].sockets[0].getsockname()[1])
            api.add_done_callback(lambda _: stop.set())
        if started is not None:
            started(running)
        carrying = asyncio.create_task(campaigns.run(stop))
        try:
            await runner.run(daily=True, stop=stop)
        finally:
            carrying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await carrying
    finally:
        if server is not None and api is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(api, 5)
        await ondemand.close()
        if running.listener is not None:
            await running.listener.close()
    return running
