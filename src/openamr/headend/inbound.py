"""The meters' own connections to the head-end (issue 16; docs/gsm.md "The meter
calls the head-end"): a woken meter whose Auto connect (class 29, modes 103/104)
holds the listener's ``host:port`` connects to it over GPRS; the head-end takes the
connection, finds out who called, and runs the meter's collection over it::

    meter --TCP (wrapper)--> InboundListener
        1. identify: as the public client (16, no security) read the logical device
           name 0.0.42.0.0.255 and the serial 0.0.96.1.0.255 (Blue Book 4.1.8.2,
           4.4.1), release; the serial is looked up in the inventory, the name
           checked against the inventory's when that holds one
        2. a wake-up of this meter waits for its call (:meth:`expect`): the
           connection is handed to that session; else the meter's collection runs
           now (``collect``)
        3. the connection is closed when the session is over

A source address says nothing in the field (the operator's NAT, a pool of private
addresses), so the head-end asks the meter, as head-ends do. The collector speaks to
the meter over a loopback relay of the connection (:class:`Relay`): every client
connection to the relay's URL is carried over the one connection the meter opened,
so the collector's own transports are used unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from openamr.client.errors import TransportError
from openamr.client.meter import connect
from openamr.errors import DlmsError
from openamr.headend.model import MeterRecord
from openamr.headend.store import StoreError

if TYPE_CHECKING:
    from openamr.headend.paths import GsmPolicy
    from openamr.headend.store import Store

log = logging.getLogger(__name__)

LOGICAL_DEVICE_NAME = "0.0.42.0.0.255"  # Data [1], octet-string
SERIAL = "0.0.96.1.0.255"  # Data [1], the serial number
PUBLIC_CLIENT = 16
IDENTIFY_S = 10.0  # silence allowed while identifying

#: serial -> the meter of the inventory (None: not ours)
Find = Callable[[str], Awaitable["MeterRecord | None"]]
#: a meter (its URL the relay's) -> its collection over the connection
Collect = Callable[[MeterRecord], Awaitable[object]]


class Relay:
    """One connection the meter opened, offered to local clients at :attr:`url`
    (a loopback listener on a port of its own): one local connection at a time is
    carried over it, byte for byte, until either side closes. Closing the relay
    closes the meter's connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.server: asyncio.Server | None = None
        self.url = ""
        self.lock = asyncio.Lock()
        self.closed = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()  # the local connections' handlers
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._local, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"tcp://127.0.0.1:{port}"
        return self.url

    async def _local(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            async with self.lock:
                if not self.closed.is_set():
                    await self._carry(reader, writer)
        except asyncio.CancelledError:
            pass  # the relay closed: the local connection goes with it
        finally:
            writer.close()
            if task is not None:
                self.tasks.discard(task)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up = asyncio.create_task(self._pump(reader, self.writer))
        down = asyncio.create_task(self._pump(self.reader, writer))
        try:
            done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            if down in done:  # the meter hung up
                self.closed.set()
        finally:
            up.cancel()
            down.cancel()
            await asyncio.gather(up, down, return_exceptions=True)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

    async def close(self) -> None:
        self.closed.set()
        self.writer.close()
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(OSError):
                await self.server.wait_closed()


async def identify(url: str, timeout: float = IDENTIFY_S) -> tuple[str, str]:
    """(serial, logical device name) of the meter at ``url``, read as the public
    client; a failure is a :class:`DlmsError` or OSError."""
    async with connect(url, PUBLIC_CLIENT, "none", environ={}, timeout=timeout,
                       retries=0) as meter:  # fmt: skip
        name = await meter.get(LOGICAL_DEVICE_NAME, 2, class_id=1)
        serial = await meter.get(SERIAL, 2, class_id=1)
    return _text(serial), _text(name)


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("ascii", "replace").strip("\x00 ")
    return str(value)


class InboundListener:
    """Takes the meters' connections (see the module docstring); ``find`` looks a
    serial up in the inventory, ``collect`` runs a meter's collection (a meter that
    calls unasked: its URL is the relay's, its path ``tcp``)."""

    def __init__(self, find: Find, collect: Collect | None = None) -> None:
        self.find, self.collect = find, collect
        self.server: asyncio.Server | None = None
        self.waiting: dict[str, asyncio.Future[Relay]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.taken = self.refused = 0  # connections identified, and not
        self.handed = 0  # of those taken, handed to a waiting wake-up

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._accept, host, port)
        bound = self.server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    def expect(self, serial: str) -> asyncio.Future[Relay]:
        """A wake-up of ``serial`` waits for its call: the future gets the relay."""
        future: asyncio.Future[Relay] = asyncio.get_running_loop().create_future()
        self.waiting[serial] = future
        return future

    def forget(self, serial: str, future: asyncio.Future[Relay]) -> None:
        if self.waiting.get(serial) is future:
            del self.waiting[serial]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        relay = Relay(reader, writer)
        try:
            await self._serve(relay)
        finally:
            if task is not None:
                self.tasks.discard(task)

    async def _serve(self, relay: Relay) -> None:
        handed = False
        try:
            url = await relay.start()
            try:
                serial, name = await identify(url)
                meter = await self.find(serial)
            except (DlmsError, OSError, TimeoutError, EOFError, ValueError) as e:
                log.warning("a call from %s: not identified (%s)", relay.peer, e or type(e))
                self.refused += 1
                return
            if meter is None or (meter.logical_device_name and name and
                                 meter.logical_device_name != name):  # fmt: skip
                why = "not in the inventory" if meter is None else f"its name is {name!r}"
                log.warning("a call from %s, serial %s: refused, %s", relay.peer, serial, why)
                self.refused += 1
                return
            self.taken += 1
            waiter = self.waiting.pop(serial, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(relay)  # the waiting session closes it
                handed, self.handed = True, self.handed + 1
                return
            if self.collect is not None:
                log.info("meter %s called from %s: collecting", serial, relay.peer)
                try:
                    await self.collect(replace(meter, url=url, path="tcp"))
                except (DlmsError, OSError, TimeoutError) as e:  # the collector stores its own
                    log.warning("meter %s: the collection over its call failed (%s)", serial, e)
        finally:
            if not handed:
                await relay.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for future in self.waiting.values():
            future.cancel()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()


@contextlib.asynccontextmanager
async def open_inbound(
    store: Store, where: str, policy: GsmPolicy, collect: Collect | None = None
) -> AsyncIterator[GsmPolicy]:
    """``policy`` with a listener on ``where`` (``HOST:PORT``; "": none) for the
    time of the block; the inventory is ``store``'s. A port taken is a
    :class:`~openamr.client.errors.TransportError` saying so."""
    if not where:
        yield policy
        return
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise TransportError(f"--inbound {where!r}: write HOST:PORT, e.g. 0.0.0.0:4100")

    async def find(serial: str) -> MeterRecord | None:
        try:
            return await store.meter(serial)
        except StoreError:
            return None

    listener = InboundListener(find, collect)
    try:
        bound = await listener.start(host.strip("[]"), int(port))
    except OSError as e:
        raise TransportError(f"--inbound {where}: cannot listen ({e.strerror or e})") from None
    log.info("listening for the meters' calls on %s:%d", *bound)
    try:
        yield replace(policy, inbound=listener)
    finally:
        await listener.close()
