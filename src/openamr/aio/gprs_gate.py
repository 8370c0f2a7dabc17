"""A meter's GPRS address in ``openamr gsm modem`` (docs/gsm.md): a listener that
relays connections to the twin's wrapper port while the meter is attached (a PDP
context up, 3GPP TS 23.060), and the connections the meter opens itself to the
head-end after a wake-up (:mod:`openamr.gsm.gprs`), relayed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openamr.gsm.modem import MeterModem
from openamr.gsm.pool import Endpoint

if TYPE_CHECKING:
    from openamr.aio.modem import NetworkClock


@dataclass
class GprsGate:
    """The meter's GPRS address: connections are relayed to its twin's wrapper port
    while the meter is attached, refused otherwise, cut when its session ends."""

    target: Endpoint
    clock: NetworkClock
    modem: MeterModem | None = None  # set once the gate's address is known
    server: asyncio.Server | None = None
    writers: set[asyncio.StreamWriter] = field(default_factory=set)
    calls: set[asyncio.Task[None]] = field(default_factory=set)  # the meter's own

    async def start(self, host: str) -> Endpoint:
        self.server = await asyncio.start_server(self._connection, host, 0)
        bound = self.server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.modem is None or not self.modem.gprs_attached(self.clock.now()):
            writer.transport.abort()  # no PDP context: nobody at this address
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        await self._relay(reader, writer, up_reader, up_writer)

    async def call_out(self, modem: MeterModem, destination: Endpoint) -> bool:
        """The meter connects to the head-end (its Auto connect destination): the
        connection is opened, then relayed to the twin's wrapper port like one to the
        gate (:class:`~openamr.aio.dial_out.Dialler`'s ``connect``)."""
        reader, writer = await asyncio.open_connection(*destination)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            raise
        task = asyncio.create_task(self._relay(reader, writer, up_reader, up_writer))
        self.calls.add(task)
        task.add_done_callback(self.calls.discard)
        return True

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader, up_writer: asyncio.StreamWriter,
    ) -> None:  # fmt: skip
        self.writers |= {writer, up_writer}
        pumps = [asyncio.create_task(self._pump(reader, up_writer)),
                 asyncio.create_task(self._pump(up_reader, writer))]  # fmt: skip
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            for w in (writer, up_writer):
                self.writers.discard(w)
                w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                if self.modem is not None:
                    self.modem.data_activity(self.clock.now())
                writer.write(data)
                await writer.drain()

    def sweep(self, now: float) -> None:
        """The session ended: its connections go down with it."""
        if self.writers and self.modem is not None and not self.modem.gprs_attached(now):
            for w in list(self.writers):
                w.transport.abort()

    async def close(self) -> None:
        for w in list(self.writers):
            w.transport.abort()
        for task in list(self.calls):
            task.cancel()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
