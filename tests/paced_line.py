"""A serial line's pace on loopback: a TCP relay that carries bytes at ``baud`` (10 bits
an octet, 8N1), half duplex, with a ``turnaround`` at every change of direction.

Client --TCP--> PacedLine --TCP--> meter (a twin's wrapper or HDLC port). The line is
one medium: bytes queue in the order they arrive, each direction's bytes take
``10 / baud`` s an octet, and when the other side starts to speak the line first
waits ``turnaround`` s (a modem or RS485 transceiver switching, the meter's reaction:
added on top of whatever the software took). Bytes are delivered in ``chunk``-octet
pieces at the instant their last bit has crossed, so the receiver sees the pace of a
real line (inter-octet gaps of ``chunk`` octet times, far below 25 ms at 9600 Bd).

The line keeps its own clock: a chunk starts when the line is free or when it
arrived, whichever is later, so a late wake-up of the event loop delays bytes but
never costs line capacity. ``octets`` counts what crossed each way.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field

UP, DOWN = "to meter", "to client"


@dataclass
class LineStats:
    octets: dict[str, int] = field(default_factory=lambda: {UP: 0, DOWN: 0})
    turnarounds: int = 0


class PacedLine:
    """A relay to ``host:port`` at ``baud``; :meth:`start` gives the port to dial."""

    def __init__(
        self, host: str, port: int, baud: int, turnaround: float = 0.0, chunk: int = 8
    ) -> None:
        self.upstream = (host, port)
        self.octet_time = 10 / baud
        self.turnaround = turnaround
        self.chunk = chunk
        self.stats = LineStats()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        queue: deque[tuple[str, float, bytes]] = deque()
        ready = asyncio.Event()
        pumps = [
            asyncio.create_task(self._pump(reader, UP, queue, ready)),
            asyncio.create_task(self._pump(up_reader, DOWN, queue, ready)),
        ]
        pacer = asyncio.create_task(self._pace(queue, ready, {UP: up_writer, DOWN: writer}))
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            # a side hung up: what the line already carries still arrives (a meter's UA
            # to a DISC is on the line when it drops the connection), then it closes
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while queue and loop.time() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)
        finally:
            for t in (*pumps, pacer):
                t.cancel()
            await asyncio.gather(*pumps, pacer, return_exceptions=True)
            for w in (writer, up_writer):
                w.close()
                with contextlib.suppress(OSError):
                    await w.wait_closed()
            self._tasks.discard(task)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        direction: str,
        queue: deque[tuple[str, float, bytes]],
        ready: asyncio.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        while data := await reader.read(65536):
            now = loop.time()
            for i in range(0, len(data), self.chunk):
                queue.append((direction, now, data[i : i + self.chunk]))
            ready.set()

    async def _pace(
        self,
        queue: deque[tuple[str, float, bytes]],
        ready: asyncio.Event,
        writers: dict[str, asyncio.StreamWriter],
    ) -> None:
        loop = asyncio.get_running_loop()
        free_at, last = loop.time(), ""
        while True:
            if not queue:
                ready.clear()
                await ready.wait()
                continue
            direction, arrived, data = queue.popleft()
            start = max(free_at, arrived)
            if last and direction != last:
                start += self.turnaround
                self.stats.turnarounds += 1
            end = start + len(data) * self.octet_time
            delay = end - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writers[direction].write(data)
            self.stats.octets[direction] += len(data)
            free_at, last = end, direction
