"""The push listener: meters' alarm call-backs over TCP in the IEC 62056-47 wrapper
(Green Book 7.3.3), read by :mod:`openamr.headend.alarms`, stored once, reacted to.

Each connection is cut into wrapper PDUs (:mod:`openamr.headend.push_port`); each
payload is read at once against the in-memory :class:`~openamr.headend.alarms.Directory`
(refreshed from the store when an unknown sender calls, at most every
``refresh_s``). Accepted alarms go to one writer task, which stores them in batches,
one transaction per batch: each alarm once (unique on sender, time and code; a
repeated push is counted as a duplicate), the meters' push invocation counters
raised (never lowered). Then the rules react to the new ones only: by default a
power return asks for an on-demand collection of that meter (its log-book since the
last event and the load profile's gap), through ``react``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from openamr.headend import schema
from openamr.headend.alarms import POWER_RETURNED, Alarm, Directory, Reader, Refusal, Sender
from openamr.headend.counters import DEFAULT_COUNTER_ALERT, counter_alerts
from openamr.headend.push_port import PushPort, Receive
from openamr.headend.queue.base import PushMessage, WorkQueue
from openamr.headend.store import Store
from openamr.headend.vault import Kek

log = logging.getLogger(__name__)
PUSH_COUNTER = "push"
_ALARM_COLUMNS = ("meter_id", "sender", "ts", "code", "name", "payload", "received")
Reaction = Callable[[Alarm, str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ListenerPolicy:
    batch: int = 500  # alarms stored in one transaction at most
    refresh_s: float = 5.0  # the directory is re-read at most this often
    require_ciphered: bool = False  # refuse plain pushes from meters with keys
    #: event code -> the rule's name; ``react`` is called with it for each new alarm
    rules: dict[int, str] = field(default_factory=lambda: {POWER_RETURNED: "collect"})
    #: a push invocation counter past it: an alarm (:mod:`openamr.headend.counters`)
    counter_alert: int = DEFAULT_COUNTER_ALERT


@dataclass(slots=True)
class ListenerStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    reactions: int = 0


async def load_directory(store: Store, kek: Kek | None, require_ciphered: bool) -> Directory:
    """Every active meter with its identity, keys and last push counter."""
    senders = []
    for m in await store.meters():
        assert m.id is not None
        secrets = await store.secrets_of(m.id, kek) if kek is not None else None
        ek, ak = (secrets.ek, secrets.ak) if secrets is not None else (None, None)
        senders.append(Sender(
            m.id, m.serial, m.logical_device_name.encode(), bytes.fromhex(m.system_title or ""),
            ek, ak, require_ciphered and ek is not None,
        ))  # fmt: skip
    c = schema.invocation_counters
    async with store.engine.connect() as conn:
        rows = (await conn.execute(select(c.c.meter_id, c.c.value)
                                   .where(c.c.key == PUSH_COUNTER))).all()  # fmt: skip
    return Directory(senders, {int(r.meter_id): int(r.value) for r in rows})


class AlarmListener:
    """``await start(host, port)``, then ``close()``; ``now`` is the reference clock."""

    def __init__(
        self, store: Store, kek: Kek | None, now: Callable[[], dt.datetime],
        react: Reaction | None = None, policy: ListenerPolicy | None = None,
    ) -> None:  # fmt: skip
        self.store, self.kek, self.now, self.react = store, kek, now, react
        self.policy = policy or ListenerPolicy()
        self.stats = ListenerStats()
        self.refusals: deque[Refusal] = deque(maxlen=100)
        self.directory = Directory([])
        self._queue: asyncio.Queue[Alarm] = asyncio.Queue()
        self._port = PushPort(self._session, self._skipped)
        self._writer: asyncio.Task[None] | None = None
        self._refreshed = float("-inf")
        self._idle = asyncio.Event()
        self._idle.set()
        self.store_failures = 0
        insert = sqlite.insert if store.url.dialect == "sqlite" else postgresql.insert
        self._insert = insert
        c = schema.invocation_counters
        upsert = insert(c)
        self._raise_counter = upsert.on_conflict_do_update(
            index_elements=[c.c.meter_id, c.c.key],
            set_={"value": upsert.excluded.value, "updated": upsert.excluded.updated},
            where=c.c.value < upsert.excluded.value,
        )

    async def start(self, host: str = "127.0.0.1", port: int = 4061) -> tuple[str, int]:
        await self.refresh()
        bound = await self._port.start(host, port)
        self._writer = asyncio.create_task(self._write())
        return bound

    async def close(self) -> None:
        await self._port.close()
        await self.drain()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def consume(self, queue: WorkQueue, stop: asyncio.Event, batch: int = 500) -> None:
        """Store what stateless listeners (:class:`openamr.headend.pushes.PushForwarder`)
        published to the push stream, until ``stop``: each batch read, stored and
        reacted to, then acknowledged (a store failure leaves it to be delivered
        again; alarms are stored once whatever happens)."""
        await self.refresh()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        readers: OrderedDict[str, Reader] = OrderedDict()  # per listener connection
        pause = 0.0
        while not stop.is_set():
            try:
                deliveries = await queue.take_pushes(batch, 1.0)
            except Exception as e:  # the queue is away: back off, it reconnects
                pause = min(5.0, max(0.1, pause * 2))
                log.warning("push stream: %s; again in %.1f s", e or type(e).__name__, pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), pause)
                continue
            pause, failures = 0.0, self.store_failures
            for d in deliveries:
                try:
                    push = PushMessage.decode(d.data)
                except ValueError as e:
                    await queue.set_aside(d, str(e), d.delivered)
                    continue
                reader = readers.pop(push.connection, None) or Reader(self.directory)
                readers[push.connection] = reader
                while len(readers) > 10_000:
                    readers.popitem(last=False)
                await self._payload(reader, push.payload, push.peer, push.received)
            await self.drain()
            stored = self.store_failures == failures
            for d in deliveries:
                with contextlib.suppress(Exception):
                    await (d.ack() if stored else d.nak(1.0))

    async def drain(self) -> None:
        """Until every alarm received so far is stored and reacted to."""
        while not self._queue.empty() or not self._idle.is_set():
            await asyncio.sleep(0.005)

    async def refresh(self) -> None:
        self._refreshed = self.now().timestamp()
        self.directory = await load_directory(self.store, self.kek, self.policy.require_ciphered)

    # -- reading -------------------------------------------------------------------------

    def _session(self, peer: str) -> Receive:
        session = Reader(self.directory)

        async def receive(payload: bytes) -> bool:
            await self._payload(session, payload, peer)
            return True

        return receive

    def _skipped(self) -> None:
        self.stats.refused += 1

    async def _payload(
        self, session: Reader, payload: bytes, peer: object, received: int | None = None
    ) -> None:
        self.stats.received += 1
        received = int(self.now().timestamp()) if received is None else received
        outcome = session.read(payload, received)
        unknown = isinstance(outcome, Refusal) and "no meter in the inventory" in outcome.reason
        if unknown and received - self._refreshed >= self.policy.refresh_s:  # added since?
            await self.refresh()
            session.directory = self.directory
            outcome = session.read(payload, received)
        if isinstance(outcome, Refusal):
            self.stats.refused += 1
            self.refusals.append(outcome)
            log.warning("push from %s (%s) refused: %s", peer, outcome.sender, outcome.reason)
            return
        self._idle.clear()
        self._queue.put_nowait(outcome)

    # -- storing, reacting ------------------------------------------------------------------

    async def _write(self) -> None:
        while True:
            batch = [await self._queue.get()]
            self._idle.clear()
            while len(batch) < self.policy.batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                new = await self._store(batch)
                self.store.notify_alarms(new)
                for alarm in new:
                    await self._react(alarm)
            except Exception:  # the store failed: logged, the listener keeps listening
                self.store_failures += 1
                log.exception("storing %d alarms failed", len(batch))
            finally:
                if self._queue.empty():
                    self._idle.set()

    async def _store(self, batch: list[Alarm]) -> list[Alarm]:
        """One statement for the batch: ``INSERT ... ON CONFLICT DO NOTHING RETURNING``
        names the rows that were new (both engines), in one transaction with the
        counters."""
        unique: dict[tuple[str, int, int], Alarm] = {}
        counters: dict[int, tuple[int, int]] = {}
        for a in batch:
            unique.setdefault((a.serial, a.ts, a.code), a)
            if a.counter is not None and a.counter > counters.get(a.meter_id, (-1, 0))[0]:
                counters[a.meter_id] = (a.counter, a.received)
        rows = [(a.meter_id, a.serial, a.ts, a.code, a.name, a.payload, a.received)
                for a in unique.values()]  # fmt: skip
        async with self.store.engine.begin() as conn:
            keys = await self._insert_alarms(conn, rows)
            if counters:
                await conn.execute(self._raise_counter, [
                    {"meter_id": m, "key": PUSH_COUNTER, "value": v, "updated": t}
                    for m, (v, t) in counters.items()
                ])  # fmt: skip
        new = [unique[(str(k[0]), int(k[1]), int(k[2]))] for k in keys]
        await self._counter_alerts(batch, counters)
        new.sort(key=lambda a: (a.ts, a.code))
        self.stats.stored += len(new)
        self.stats.duplicates += len(batch) - len(new)
        return new

    async def _counter_alerts(
        self, batch: list[Alarm], counters: dict[int, tuple[int, int]]
    ) -> None:
        threshold = self.policy.counter_alert
        for meter_id, (value, received) in counters.items():
            if value >= threshold:
                serial = next(a.serial for a in batch if a.meter_id == meter_id)
                await counter_alerts(self.store, serial, meter_id, {PUSH_COUNTER: value},
                                     received, threshold)  # fmt: skip

    async def _insert_alarms(self, conn: AsyncConnection, rows: list[tuple[Any, ...]]) -> list[Any]:
        """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the new rows' keys. SQLite:
        the statement as text with its parameters as they are (compiling a
        multi-row VALUES through SQLAlchemy costs more than the insert)."""
        if self.store.url.dialect == "sqlite":
            sql = (f"INSERT INTO alarms ({', '.join(_ALARM_COLUMNS)}) VALUES "
                   + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
                   + " ON CONFLICT DO NOTHING RETURNING sender, ts, code")  # fmt: skip
            flat = tuple(v for row in rows for v in row)
            return list((await conn.exec_driver_sql(sql, flat)).all())
        t = schema.alarms
        statement = (
            self._insert(t).values([dict(zip(_ALARM_COLUMNS, row, strict=True)) for row in rows])
            .on_conflict_do_nothing().returning(t.c.sender, t.c.ts, t.c.code)
        )  # fmt: skip
        return list((await conn.execute(statement)).all())

    async def _react(self, alarm: Alarm) -> None:
        rule = self.policy.rules.get(alarm.code)
        if rule is None or self.react is None:
            return
        try:
            await self.react(alarm, rule)
            self.stats.reactions += 1
        except Exception:
            log.exception("rule %s for meter %s failed", rule, alarm.serial)
