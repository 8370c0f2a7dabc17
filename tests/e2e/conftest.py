"""Our MT372 server on real loopback sockets, in a thread with its own event loop,
so that blocking oracle clients (dlms-cosem, gurux-dlms) can talk to it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from openamr.aio.dlms_server import serve_hdlc, serve_wrapper
from openamr.meter.mt372 import build_mt372
from openamr.meter.server import ServerApplication


@dataclass
class RunningMeter:
    app: ServerApplication
    host: str
    wrapper_port: int
    hdlc_port: int


@pytest.fixture(scope="module")
def meter() -> Iterator[RunningMeter]:
    app = build_mt372("12345678", history_days=2)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    ports: list[int] = []

    async def start() -> None:
        for serve in (serve_wrapper, serve_hdlc):
            server = await serve(app, "127.0.0.1", 0)
            ports.append(server.sockets[0].getsockname()[1])
        ready.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    assert ready.wait(10)
    yield RunningMeter(app, "127.0.0.1", ports[0], ports[1])
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
