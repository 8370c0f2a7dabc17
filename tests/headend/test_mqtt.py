"""MQTT against the real Mosquitto on 127.0.0.1:1883: a subscriber receives what the
store stored, once: the readings of a collection from a twin (and nothing for a
second collection, which stores nothing new), and the alarms of a twin's power
failure taken by the push listener."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from openamr.headend.alarms import POWER_FAILURE, POWER_RETURNED
from openamr.headend.collector import Collector
from openamr.headend.mqtt import MqttError, MqttPublisher, parse_url
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from openamr.meter.mt372 import EPOCH
from tests.services import require

aiomqtt = pytest.importorskip("aiomqtt")


class Subscriber:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.messages: list[tuple[str, Any]] = []
        self.ready = asyncio.Event()

    async def run(self) -> None:
        async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"sub-{uuid.uuid4().hex}") as c:
            await c.subscribe(f"{self.prefix}/#", qos=1)
            self.ready.set()
            async for m in c.messages:
                self.messages.append((str(m.topic), json.loads(bytes(m.payload))))  # type: ignore[arg-type]

    async def quiet(self, seconds: float = 0.3) -> None:
        """Until no message has arrived for ``seconds``."""
        while True:
            n = len(self.messages)
            await asyncio.sleep(seconds)
            if len(self.messages) == n:
                return


@pytest.fixture
async def subscriber() -> AsyncIterator[Subscriber]:
    require("mosquitto")
    sub = Subscriber(f"openamr-test-{uuid.uuid4().hex[:8]}")
    task = asyncio.create_task(sub.run())
    await asyncio.wait_for(sub.ready.wait(), 5)
    yield sub
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_collected_readings_arrive_once(
    sqlite_store: Store, subscriber: Subscriber, tmp_path: Path
) -> None:
    from tests.client.conftest import start_twin, stop_twin
    from tests.headend.test_collect_e2e import KEK_BYTES, imported

    publisher = MqttPublisher(f"mqtt://127.0.0.1:1883/{subscriber.prefix}", sqlite_store, batch=50)
    await publisher.start()
    twin = await start_twin(history_days=1)
    try:
        meter = await imported(sqlite_store, tmp_path, twin.url("wrapper"))
        collector = Collector(sqlite_store, Kek(KEK_BYTES), lambda: EPOCH)
        first = await collector.collect(meter)
        assert first.ok, first.reason
        assert await publisher.flush()
        await subscriber.quiet()
        got = [(t, r) for t, m in subscriber.messages for r in m["readings"]]
        stored = await sqlite_store.readings()
        assert len(got) == len(stored) == first.readings
        assert {t for t, _ in got} == {f"{subscriber.prefix}/meters/12345678/readings"}
        assert sorted((r["channel"], r["ts"], r["value"]) for _, r in got) == sorted(
            (r.channel, r.ts, r.value) for r in stored)  # fmt: skip
        assert max(len(m["readings"]) for _, m in subscriber.messages) <= 50
        before = len(subscriber.messages)
        again = await collector.collect(meter)  # nothing new is stored: nothing published
        assert again.ok and again.readings == 0
        assert await publisher.flush()
        await subscriber.quiet()
        assert len(subscriber.messages) == before
    finally:
        await stop_twin(twin)
        await publisher.close()
    assert publisher.dropped == 0 and sqlite_store.observers == []


async def test_alarms_arrive_once(sqlite_store: Store, subscriber: Subscriber) -> None:
    from tests.headend.test_listener import (
        SERIAL,
        add_twin_meter,
        send,
        start_listener,
        twin_power_failure,
    )  # fmt: skip

    await add_twin_meter(sqlite_store)
    publisher = MqttPublisher(f"mqtt://127.0.0.1/{subscriber.prefix}", sqlite_store)
    await publisher.start()
    listener, port, _ = await start_listener(sqlite_store)
    try:
        apdus = await twin_power_failure(port)
        await listener.drain()
        await send(port, *apdus)  # the same pushes again: stored once, published once
        await asyncio.sleep(0.1)
        await listener.drain()
        assert await publisher.flush()
        await subscriber.quiet()
    finally:
        await listener.close()
        await publisher.close()
    alarms = [(t, m) for t, m in subscriber.messages if t.endswith("/alarms")]
    assert [m["code"] for _, m in alarms] == [POWER_FAILURE, POWER_RETURNED]
    assert {t for t, _ in alarms} == {f"{subscriber.prefix}/meters/{SERIAL}/alarms"}
    assert alarms[1][1]["ts"] - alarms[0][1]["ts"] == 120


async def test_the_publisher_waits_for_a_broker_and_catches_up(sqlite_store: Store) -> None:
    """No broker on the port at first: the queue holds the messages, the publisher
    retries with backoff; nothing is lost while under the queue's bound."""
    publisher = MqttPublisher("mqtt://127.0.0.1:1/x", sqlite_store, backoff=0.05, queue_max=3)
    await publisher.start()
    from openamr.headend.model import Reading

    for i in range(5):
        publisher.readings_stored([Reading(1, "c", i, 1.0, "Wh")])
    await asyncio.sleep(0.3)
    assert publisher.reconnects >= 2 and publisher.published == 0
    assert publisher.dropped == 2 and not await publisher.flush(0.05)
    await publisher.close(0.05)


def test_bad_urls_say_what_to_write() -> None:
    assert parse_url("mqtt://10.1.2.3/amr/test").prefix == "amr/test"
    assert parse_url("mqtt://u:p%40ss@h:1884").password == "p@ss"
    for bad in ("http://h", "mqtt://", "mqtt://h:x", "mqtt://h/a+b"):
        with pytest.raises(MqttError, match=r"mqtt://|port|topic"):
            parse_url(bad)
