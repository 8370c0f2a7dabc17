"""Queues, databases and servers for the scale-out tests: the in-process queue, a
JetStream queue under a name of its own (its streams and buckets deleted after),
a fresh PostgreSQL schema, a private nats-server (own port, own store directory)
for the tests that stop it, and MT372 twins on a background loop."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from openamr.aio.serve import Listeners
from openamr.headend.model import MeterRecord
from openamr.headend.queue.base import QueueSettings, WorkQueue
from openamr.headend.queue.inproc import InProcessQueue
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import build_mt372
from tests.background import BackgroundLoop, background_loop
from tests.headend.conftest import KEK, PG_DSN, _drop_schema
from tests.services import answers, require

NATS = "nats://127.0.0.1:4222"


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def open_test_queue(kind: str, settings: QueueSettings, url: str = NATS
                          ) -> AsyncIterator[WorkQueue]:  # fmt: skip
    if kind == "memory":
        yield InProcessQueue(settings)
        return
    require("nats")
    from openamr.headend.queue.jetstream import JetStreamQueue

    q = await JetStreamQueue.open(f"{url}?name={unique('t')}", settings)
    try:
        yield q
    finally:
        with contextlib.suppress(Exception):
            await q.destroy()
        await q.close()


@contextlib.asynccontextmanager
async def pg_url() -> AsyncIterator[str]:
    """A PostgreSQL URL with a schema of its own, dropped afterwards."""
    require("postgresql")
    name = unique("scale")
    try:
        yield f"{PG_DSN}?schema={name}"
    finally:
        await _drop_schema(name)


def wall() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateNats:
    """A nats-server of this test's own (port and -sd), stopped and started at will."""

    def __init__(self, work: Path) -> None:
        self.port, self.store = free_port(), work / "nats-js"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.proc = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert answers(self.port), "the private nats-server did not start"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@contextlib.contextmanager
def private_nats(work: Path) -> Iterator[PrivateNats]:
    require("nats")  # the binary comes with the service
    if shutil.which("nats-server") is None and not Path("/usr/sbin/nats-server").exists():
        import pytest

        pytest.skip("nats-server is not installed: apt-get install nats-server")
    server = PrivateNats(work)
    server.start()
    try:
        yield server
    finally:
        server.stop()


SECRETS = MeterSecrets(None, DEFAULT_EK, DEFAULT_AK)


@contextlib.contextmanager
def twins(n: int, first: int = 30000001) -> Iterator[tuple[BackgroundLoop, list[str]]]:
    """``n`` MT372 twins (a day of history, on the wall clock) on a background loop."""
    with background_loop() as bg:
        ports = [bg.serve_twin(build_mt372(f"{first + i}", time_base=wall, history_days=1),
                               Listeners(port=0)) for i in range(n)]  # fmt: skip
        yield bg, [f"tcp://127.0.0.1:{p}" for p in ports]


async def add_meters(store: Store, urls: list[str], cells: int = 2, first: int = 30000001
                     ) -> list[MeterRecord]:  # fmt: skip
    for i, url in enumerate(urls):
        record = MeterRecord(f"{first + i}", url, cell=i % cells, secrets=SECRETS)
        await store.put_meter(record, KEK, 0)
    return await store.meters()
