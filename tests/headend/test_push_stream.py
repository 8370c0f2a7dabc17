"""Stateless push listeners: two forwarders (as behind a load balancer) publish what
a real twin pushes to the push stream; one consumer reads, verifies against the
inventory, stores each alarm once and reacts; in process and on JetStream."""

from __future__ import annotations

import asyncio

import pytest

from openamr.headend.alarms import POWER_FAILURE, POWER_RETURNED
from openamr.headend.listener import AlarmListener
from openamr.headend.pushes import PushForwarder
from openamr.headend.queue.base import QueueSettings
from openamr.headend.store import Store
from tests.headend.conftest import KEK
from tests.headend.queues import open_test_queue
from tests.headend.test_listener import (
    Reactions,
    add_twin_meter,
    send,
    stored_alarms,
    twin_power_failure,
    utc_now,
)


@pytest.mark.parametrize("kind", ["memory", "nats"])
async def test_forwarded_pushes_are_stored_once(kind: str, sqlite_store: Store) -> None:
    store = sqlite_store
    meter_id = await add_twin_meter(store)
    async with open_test_queue(kind, QueueSettings(ack_wait=5)) as q:
        a, b = PushForwarder(q, utc_now), PushForwarder(q, utc_now)
        _, port_a = await a.start("127.0.0.1", 0)
        _, port_b = await b.start("127.0.0.1", 0)
        reactions = Reactions()
        consumer = AlarmListener(store, KEK, utc_now, reactions)
        stop = asyncio.Event()
        consuming = asyncio.create_task(consumer.consume(q, stop))
        try:
            apdus = await twin_power_failure(port_a)
            await send(port_b, *apdus)  # the same pushes again, through the other listener
            for _ in range(200):
                if consumer.stats.stored + consumer.stats.duplicates >= 4:
                    break
                await asyncio.sleep(0.05)
        finally:
            stop.set()
            await consuming
            await a.close()
            await b.close()
            await consumer.close()
    assert (a.published, b.published) == (2, 2)
    alarms = await stored_alarms(store)
    assert [(x[0], x[2]) for x in alarms] == [(meter_id, POWER_FAILURE), (meter_id, POWER_RETURNED)]
    assert reactions.seen[0][1] == POWER_RETURNED and len(reactions.seen) == 1
