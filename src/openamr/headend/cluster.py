"""``openamr headend serve --queue URL``: the head-end's one stateful part when the
collectors are elsewhere: the daily schedule publishing due work
(:class:`~openamr.headend.worker.Dispatcher`), the consumer storing what stateless
push listeners published, a push listener of its own (publishing too), optionally
some collectors in this process, and the REST API. ``openamr headend worker`` and
``openamr headend push-listener`` are the stateless parts, any number anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from openamr.headend.alarms import Alarm
from openamr.headend.collector import Collector, CollectPolicy
from openamr.headend.listener import AlarmListener, ListenerPolicy
from openamr.headend.ondemand import OnDemand
from openamr.headend.pushes import PushForwarder
from openamr.headend.queue.base import WorkQueue
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.server import Endpoints
from openamr.headend.service import utc_now
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from openamr.headend.worker import Dispatcher, Worker, WorkerPolicy

if TYPE_CHECKING:
    from openamr.headend.runner import Runner

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Cluster:
    dispatcher: Dispatcher
    consumer: AlarmListener
    forwarder: PushForwarder | None = None
    workers: list[Worker] = field(default_factory=list)
    listen_port: int | None = None
    api_port: int | None = None


async def serve_cluster(
    store: Store, kek: Kek | None, queue: WorkQueue, policy: Policy,
    stop: asyncio.Event, *, collectors: int = 0, worker_policy: WorkerPolicy | None = None,
    collect_policy: CollectPolicy | None = None, endpoints: Endpoints | None = None,
    listener_policy: ListenerPolicy | None = None, now: Callable[[], dt.datetime] = utc_now,
    started: Callable[[Cluster], None] | None = None,
) -> Cluster:  # fmt: skip
    """Run until ``stop`` is set."""
    endpoints = endpoints or Endpoints()
    dispatcher = Dispatcher(store, queue, Scheduler(policy, random.Random()), now)

    async def react(alarm: Alarm, rule: str) -> None:
        if rule == "collect":
            await dispatcher.submit(alarm.serial, f"alarm-{alarm.code:04x}-{uuid.uuid4()}")

    consumer = AlarmListener(store, kek, now, react, listener_policy)
    cluster = Cluster(dispatcher, consumer)
    collector = Collector(store, kek, now, collect_policy)
    cluster.workers = [Worker(store, queue, collector, worker_policy, now)
                       for _ in range(collectors)]  # fmt: skip
    tasks = [asyncio.create_task(dispatcher.run(stop)),
             asyncio.create_task(consumer.consume(queue, stop))]  # fmt: skip
    tasks += [asyncio.create_task(w.run(stop)) for w in cluster.workers]
    ondemand = OnDemand(store, kek, now)
    server = api = None
    try:
        if endpoints.listen_port is not None:
            cluster.forwarder = PushForwarder(queue, now)
            _, cluster.listen_port = await cluster.forwarder.start(
                endpoints.listen_host, endpoints.listen_port
            )
        if endpoints.api_port is not None:
            import uvicorn

            from openamr.headend.api import create_app

            # the dispatcher answers the API's submit/meters/outcomes as the runner does
            app = create_app(store, kek, ondemand, now, None, cast("Runner", dispatcher))
            config = uvicorn.Config(app, endpoints.api_host, endpoints.api_port,
                                    log_level="warning", lifespan="off")  # fmt: skip
            server = uvicorn.Server(config)
            api = asyncio.create_task(server.serve())
            while not server.started:
                if api.done():
                    api.result()
                    raise OSError(f"the API did not start on {endpoints.api_host}")
                await asyncio.sleep(0.01)
            cluster.api_port = int(server.servers[0].sockets[0].getsockname()[1])
        if started is not None:
            started(cluster)
        await stop.wait()
    finally:
        stop.set()
        if server is not None and api is not None:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(api, 5)
        if cluster.forwarder is not None:
            await cluster.forwarder.close()
        await asyncio.wait(tasks, timeout=35)
        await consumer.close()
        await ondemand.close()
    return cluster
