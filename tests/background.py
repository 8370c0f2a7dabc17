"""An asyncio loop in a background thread, for servers that blocking clients (the
CLI, dlms-cosem, gurux-dlms) talk to; torn down cleanly: servers closed, pending
connection tasks cancelled and awaited, then the loop closed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.meter.assembly import TwinMeter

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.servers: list[asyncio.Server] = []
        self.twins: list[ServedTwin] = []
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, factory: Callable[[], Awaitable[T]], timeout: float = 10) -> T:
        """Run a coroutine on the loop and wait for its result."""

        async def call() -> T:
            return await factory()

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def serve(self, factory: Callable[[], Awaitable[asyncio.Server]]) -> int:
        """Start a server on the loop; returns its port."""
        server = self.run(factory)
        self.servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def serve_twin(self, meter: TwinMeter, listeners: Listeners) -> int:
        """Serve ``meter`` on the loop as every meter is started; its DLMS port."""
        served = self.run(lambda: serve_twin(meter, listeners))
        self.twins.append(served)
        assert served.dlms_address is not None
        return served.dlms_address[1]

    def close(self) -> None:
        async def shutdown() -> None:
            for twin in self.twins:
                await twin.close()
            for server in self.servers:
                server.close()
            current = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for server in self.servers:
                await server.wait_closed()

        self.run(shutdown)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@contextmanager
def background_loop() -> Iterator[BackgroundLoop]:
    bg = BackgroundLoop()
    try:
        yield bg
    finally:
        bg.close()
