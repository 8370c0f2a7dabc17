"""Readings and alarms published to an MQTT broker as they are stored (an asyncio
adapter over aiomqtt; off unless ``--mqtt URL`` is given).

The store tells its observers what was new once it is committed
(:class:`openamr.headend.store_base.Observer`); this adapter queues it and one task
publishes it, QoS 1 (at least once: the broker acknowledges each message), in order.
When the broker is away the task reconnects with exponential backoff and jitter
(``backoff`` s doubling up to ``backoff_max``) and publishes what was queued
meanwhile; past ``queue_max`` messages the oldest are dropped and counted.

Topics (``PREFIX`` from the URL, default ``openamr``; docs/mqtt.md):

- ``PREFIX/meters/SERIAL/readings``: one message per meter and stored batch, at most
  ``batch`` readings: ``{"meter", "readings": [{"channel", "ts", "time", "value",
  "unit", "status", "quality"}]}``;
- ``PREFIX/meters/SERIAL/alarms``: one message per alarm: ``{"meter", "ts", "time",
  "code", "name", "received"}``.

URL: ``mqtt://HOST[:PORT][/PREFIX]`` (port 1883), ``mqtt://USER:PASSWORD@HOST/...``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from openamr.headend.model import Quality, Reading
from openamr.headend.store import Store

if TYPE_CHECKING:
    from openamr.headend.alarms import Alarm

log = logging.getLogger(__name__)


class MqttError(ValueError):
    """A broker URL that cannot be used; the message says what to write."""


@dataclass(frozen=True, slots=True)
class Broker:
    host: str
    port: int = 1883
    prefix: str = "openamr"
    username: str | None = None
    password: str | None = None


def parse_url(url: str) -> Broker:
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise MqttError(f"MQTT broker {url!r}: write mqtt://HOST[:PORT][/PREFIX]")
    try:
        port = parts.port or 1883
    except ValueError:
        raise MqttError(f"MQTT broker {url!r}: the port must be a number") from None
    prefix = parts.path.strip("/") or "openamr"
    if any(c in prefix for c in "+#"):
        raise MqttError(f"MQTT prefix {prefix!r}: no '+' or '#' in a topic")
    user = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    return Broker(parts.hostname, port, prefix, user, password)


def _segment(text: str) -> str:
    """A topic level: no separators or wildcards."""
    return "".join("_" if c in "/+#" else c for c in text) or "_"


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reading_payload(r: Reading) -> dict[str, Any]:
    return {
        "channel": r.channel, "ts": r.ts, "time": _iso(r.ts), "value": r.value, "unit": r.unit,
        "status": r.status,
        "quality": [str(q.name).lower() for q in Quality if q and r.quality & q],
    }  # fmt: skip


class MqttPublisher:
    """A store observer; ``await start()`` before storing, ``await close()`` after."""

    def __init__(
        self, url: str, store: Store, *, batch: int = 1000, queue_max: int = 100_000,
        backoff: float = 0.5, backoff_max: float = 30.0,
    ) -> None:  # fmt: skip
        self.broker = parse_url(url)
        self.store, self.batch, self.queue_max = store, batch, queue_max
        self.backoff, self.backoff_max = backoff, backoff_max
        self._queue: collections.deque[tuple[str, int, Any]] = collections.deque()
        self._wake = asyncio.Event()
        self._serials: dict[int, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()
        self._sending = False  # a message is out, not yet acknowledged
        self.published = self.dropped = self.reconnects = 0

    # -- the store's observer (never blocks) ----------------------------------------------

    def _put(self, item: tuple[str, int, Any]) -> None:
        if len(self._queue) >= self.queue_max:
            self._queue.popleft()
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("MQTT queue full: %d messages dropped so far", self.dropped)
        self._queue.append(item)
        self._wake.set()

    def readings_stored(self, rows: Sequence[Reading]) -> None:
        by_meter: dict[int, list[Reading]] = {}
        for r in rows:
            by_meter.setdefault(r.meter_id, []).append(r)
        for meter_id, mine in by_meter.items():
            for i in range(0, len(mine), self.batch):
                self._put(("readings", meter_id, mine[i : i + self.batch]))

    def alarms_stored(self, alarms: Sequence[Alarm]) -> None:
        for a in alarms:
            self._put(("alarms", a.meter_id, a))

    # -- publishing -------------------------------------------------------------------

    async def start(self) -> None:
        self.store.observers.append(self)
        self._task = asyncio.create_task(self._run(), name="mqtt-publisher")

    async def flush(self, timeout: float = 10.0) -> bool:
        """Until everything queued is acknowledged (or ``timeout``); True when it was."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue or self._sending:
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    async def close(self, timeout: float = 5.0) -> None:
        if self in self.store.observers:
            self.store.observers.remove(self)
        if self._task is None:
            return
        if not await self.flush(timeout) and self._queue:
            log.warning("MQTT: %d messages not published before closing", len(self._queue))
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _serial(self, meter_id: int) -> str:
        if meter_id not in self._serials:
            self._serials = {m.id: m.serial for m in await self.store.meters(state=None)
                             if m.id is not None}  # fmt: skip
        return self._serials.get(meter_id, str(meter_id))

    async def _message(self, item: tuple[str, int, Any]) -> tuple[str, bytes]:
        kind, meter_id, body = item
        serial = await self._serial(meter_id)
        topic = f"{self.broker.prefix}/meters/{_segment(serial)}/{kind}"
        if kind == "readings":
            payload: dict[str, Any] = {"meter": serial,
                                       "readings": [reading_payload(r) for r in body]}  # fmt: skip
        else:
            a: Alarm = body
            payload = {"meter": serial, "ts": a.ts, "time": _iso(a.ts), "code": a.code,
                       "name": a.name, "received": a.received}  # fmt: skip
        return topic, json.dumps(payload, separators=(",", ":")).encode()

    async def _run(self) -> None:
        import aiomqtt

        delay = self.backoff
        b = self.broker
        while True:
            try:
                async with aiomqtt.Client(
                    b.host, b.port, username=b.username, password=b.password,
                    identifier=f"openamr-{uuid.uuid4().hex[:12]}", timeout=10,
                ) as client:  # fmt: skip
                    self.connected.set()
                    delay = self.backoff
                    log.info("MQTT: connected to %s:%d", b.host, b.port)
                    while True:
                        while not self._queue:
                            self._wake.clear()
                            await self._wake.wait()
                        self._sending = True
                        topic, payload = await self._message(self._queue[0])
                        await client.publish(topic, payload, qos=1)
                        self._queue.popleft()  # acknowledged: only now
                        self._sending = False
                        self.published += 1
            except aiomqtt.MqttError as e:
                self._sending = False
                self.connected.clear()
                self.reconnects += 1
                wait = delay * (0.5 + random.random() / 2)
                log.warning("MQTT broker %s:%d: %s; retrying in %.1f s", b.host, b.port, e, wait)
                await asyncio.sleep(wait)
                delay = min(self.backoff_max, delay * 2)
