"""``openamr fleet serve``: the fleet's asyncio adapter (issue 12, "Addresses like
GPRS"), the only module of the fleet that does I/O.

Each meter listens at its own address (by default its own loopback address
127.x.y.z, port 4059, as each GPRS meter has its own IP; or a port each): one
listening socket per meter, watched with ``loop.add_reader`` (no ``asyncio.Server``
per meter: a listener costs a socket and a callback). Or many meters behind one
listener (``[addresses]`` in :mod:`.config`): HDLC buses of up to 32 meters, a
listener each (RS485 behind a terminal server; a meter by its HDLC physical
address, IEC 62056-46 6.4.2), or one wrapper listener for the whole fleet (a meter
by its destination wPort, IEC 62056-47 5.2). A meter is woken when a frame or an
APDU first names it, and held awake while the connection lasts (:meth:`Fleet.hold`).

A connection to a meter's own listener is shaped by the fault model (:mod:`.faults`)
before the meter sees it:

* refused (RST) while the meter's modem is offline, its feeder without power, its
  cell out of service, or its cell at capacity (``[network] cell_capacity``);
* accepted and never answered (``no_answer``);
* each answer held back a round trip (``slow``: 0.5 to 3 s);
* cut after its 1st to 4th answer (``drop``).

Otherwise the wrapper (IEC 62056-47) is served by the house's adapter
(:class:`openamr.aio.dlms_server.WrapperSession`) on the meter's twin, which
:meth:`Fleet.app` builds or wakes on the connection. Every second the fleet's
scenarios are swept (their pushes go out); idle meters hibernate; every
``save_s`` the memory of the meters reached since their last save and the fleet's
clock are written to the state file (:meth:`Fleet.save_awake`).

Memory: a meter never reached costs its listening socket (about 1 KiB); an awake
twin with 30 days of history about 0.6 MiB of Python objects (0.9 MiB resident with
its in-memory store), freed when it hibernates (the process reuses it for the next
twin it wakes). ``max_awake`` bounds the awake ones: the least recently used beyond
it hibernate at the next tick.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import resource
import socket
from array import array
from collections.abc import Callable
from typing import Any

from openamr.aio.dlms_server import WrapperSession
from openamr.aio.hdlc_line import HdlcLine
from openamr.fleet.config import FIRST_PHYSICAL
from openamr.fleet.faults import SessionFate
from openamr.fleet.identity import cell_of
from openamr.fleet.meters import Fleet
from openamr.link.hdlc.address import Address
from openamr.link.wrapper import ApduReceived
from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)


def raise_file_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE to the hard limit (a listener per meter); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed and soft != hard:
        target = hard if hard != resource.RLIM_INFINITY else max(needed, soft)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


class _Shaped(asyncio.Transport):
    """The transport the meter's session writes to: answers held back ``rtt_s``,
    the connection cut after ``drop_after`` answers."""

    def __init__(self, real: asyncio.Transport, fate: SessionFate) -> None:
        super().__init__()
        self.real, self.fate, self.answers = real, fate, 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.answers += 1
        cut = self.fate.drop_after is not None and self.answers >= self.fate.drop_after
        if self.fate.rtt_s > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(self.fate.rtt_s, self._send, bytes(data), cut)
        else:
            self._send(bytes(data), cut)

    def _send(self, data: bytes, cut: bool) -> None:
        if self.real.is_closing():
            return
        if cut:  # mid-transfer: half of the frame, then the line is gone
            self.real.write(data[: max(1, len(data) // 2)])
            self.real.abort()
        else:
            self.real.write(data)

    def close(self) -> None:
        self.real.close()

    def is_closing(self) -> bool:
        return self.real.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.real.get_extra_info(name, default)


class MeterSession(asyncio.Protocol):
    """One connection to one meter of the fleet."""

    def __init__(self, server: FleetServer, index: int) -> None:
        self.server, self.index = server, index
        self.inner: WrapperSession | None = None
        self.counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        fleet, index = self.server.fleet, self.index
        fate = self.server.admit(index)
        if fate.refused is not None:
            fleet.stats.refused += 1
            transport.abort()
            return
        self.counted = True
        self.server.opened(index)
        if fate.silent:
            return
        app = fleet.hold(index, self.server.loop.time())
        self.inner = WrapperSession(app)
        self.inner.connection_made(_Shaped(transport, fate))

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.server.fleet.answering()
            self.inner.data_received(data)
            self.server.fleet.collect_pushes(self.index)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.inner is not None:
            self.inner.connection_lost(exc)
            self.server.fleet.release(self.index, self.server.loop.time())
        if self.counted:
            self.server.closed(self.index)


class GatewaySession(WrapperSession):
    """One wrapper connection to the fleet's gateway: each destination wPort reaches
    one meter (``first_wport + index``), with its own associations; a wPort that
    names no meter, or a meter without power, is not answered (IEC 62056-47 5.2:
    nobody listens there)."""

    def __init__(self, server: FleetServer, template: ServerApplication) -> None:
        super().__init__(template)
        self.server = server
        self.held: dict[int, ServerApplication] = {}

    def route(self, destination: int) -> ServerApplication | None:
        fleet = self.server.fleet
        index = destination - fleet.config.addresses.first_wport
        if not 0 <= index < fleet.config.size:
            return None
        app = self.held.get(index)
        if app is None:
            if fleet.refusal(index) is not None:
                return None
            app = self.held[index] = fleet.hold(index, self.loop.time())
        return app

    def _answer(self, event: ApduReceived) -> None:
        self.server.fleet.answering()
        super()._answer(event)
        index = event.destination - self.server.fleet.config.addresses.first_wport
        if index in self.held:
            self.server.fleet.collect_pushes(index)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.server.fleet.stats.connections += 1
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        stats, now = self.server.fleet.stats, self.server.loop.time()
        stats.connections -= 1
        stats.sessions += 1
        for index in self.held:
            self.server.fleet.release(index, now)
        self.held.clear()


class BusSession(asyncio.Protocol):
    """One connection to an HDLC bus of the fleet (an RS485 line of up to 32 meters
    behind a terminal server): each meter answers at its own physical address; a
    link going down on one meter leaves the line to the others."""

    def __init__(self, server: FleetServer, bus: int) -> None:
        self.server, self.bus = server, bus
        self.held: list[int] = []
        self.line: HdlcLine | None = None

    def _meter(self, address: Address) -> ServerApplication | None:
        fleet = self.server.fleet
        size = fleet.config.addresses.bus
        slot = (address.lower or 0) - FIRST_PHYSICAL
        index = self.bus * size + slot
        if not 0 <= slot < size or index >= fleet.config.size or fleet.refusal(index):
            return None
        self.held.append(index)
        return fleet.hold(index, self.server.loop.time())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.server.fleet.stats.connections += 1
        self.line = HdlcLine([], transport.write, resolve=self._meter)

    def data_received(self, data: bytes) -> None:
        if self.line is not None:
            self.server.fleet.answering()
            self.line.receive(data)
            for index in self.held:
                self.server.fleet.collect_pushes(index)

    def connection_lost(self, exc: Exception | None) -> None:
        stats, now = self.server.fleet.stats, self.server.loop.time()
        stats.connections -= 1
        stats.sessions += 1
        if self.line is not None:
            self.line.close()
            self.line = None
        for index in self.held:
            self.server.fleet.release(index, now)
        self.held.clear()


class Garbage:
    """The process's cyclic garbage collector, tuned for a fleet (``openamr fleet
    serve`` owns the process; tests and benchmarks that serve a fleet in theirs
    leave it as it is).

    A twin is about a thousand container objects that live long and refer to each
    other. CPython's full passes (after 10 passes of the middle generation, when
    the survivors reach 25 % of the old objects) walk every awake twin again and
    again while a collection builds thousands of them (1.5 ms of CPU per twin built
    at 3,000 twins), and most of its young passes (every 700 allocations) find
    nothing. So the young passes run every ``young`` allocations, a full one by
    itself only after 10 of 20 middle passes (10 million allocations), and the
    objects of start-up (modules, listeners) are frozen out of every pass. What
    does go to garbage is a hibernated twin (its objects are cycles: only a full
    pass frees them): the fleet runs a full pass when the twins hibernated since
    the last one reach a quarter of those awake (``FLOOR`` at least), as CPython's
    rule would, so the memory stays bounded by ``max_awake``."""

    FLOOR = 64

    def __init__(self, young: int = 50_000) -> None:
        self.young = young
        self.dropped = 0  # twins hibernated since the last full pass

    def start(self) -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(self.young, 20, 10)

    def hibernated(self, twins: int, awake: int) -> bool:
        """``twins`` went to sleep, ``awake`` stay: a full pass if their garbage
        is due (True: it ran)."""
        self.dropped += twins
        if self.dropped == 0 or self.dropped * 4 < max(awake, self.FLOOR * 4):
            return False
        self.dropped = 0
        gc.collect()
        return True


class FleetServer:
    """The listeners and the housekeeping of one fleet."""

    def __init__(
        self,
        fleet: Fleet,
        loop: asyncio.AbstractEventLoop,
        idle_s: float = 60.0,
        max_awake: int = 256,
        save_s: float = 10.0,
        garbage: Garbage | None = None,
    ) -> None:
        self.fleet, self.loop = fleet, loop
        self.idle_s, self.max_awake, self.save_s = idle_s, max_awake, save_s
        self.garbage = garbage
        self.sockets: list[socket.socket] = []
        self.numbers = array("I", bytes(4 * fleet.config.size))  # connections per meter
        self._tasks: list[asyncio.Task[None]] = []
        self._make: Callable[[int], asyncio.Protocol] = lambda index: MeterSession(self, index)

    # -- listening ----------------------------------------------------------------------

    def listen(self, backlog: int = 16) -> None:
        """One listening socket per meter, per bus, or the gateway's one (OSError names
        the address that failed)."""
        addresses, size = self.fleet.config.addresses, self.fleet.config.size
        count = addresses.listeners(size)
        raise_file_limit(count + 256)
        if addresses.gateway:
            template = self.fleet.app(0)  # the MT372's limits (max PDU, inactivity)
            self._make = lambda _: GatewaySession(self, template)
        elif addresses.bus:
            self._make = lambda bus: BusSession(self, bus)
        else:
            self._make = lambda index: MeterSession(self, index)
        for listener in range(count):
            host, port = addresses.of(listener)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((host, port))
                sock.listen(backlog)
            except OSError as e:
                sock.close()
                self.close()
                raise OSError(e.errno, f"{host}:{port}: {e.strerror}") from None
            sock.setblocking(False)
            self.loop.add_reader(sock.fileno(), self._accept, sock, listener)
            self.sockets.append(sock)

    def _accept(self, listener: socket.socket, number: int) -> None:
        try:
            conn, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:  # out of file descriptors: say so, keep listening
            log.warning("listener %d: accept failed: %s", number, e)
            return
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.loop.create_task(self._connect(conn, number))

    async def _connect(self, conn: socket.socket, number: int) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: self._make(number), conn)
        except OSError:
            conn.close()

    # -- the network --------------------------------------------------------------------

    def admit(self, index: int) -> SessionFate:
        """The fate of a new connection to meter ``index`` (counts it)."""
        fleet = self.fleet
        number = self.numbers[index]
        self.numbers[index] = (number + 1) & 0xFFFFFFFF
        refused = fleet.refusal(index)
        if refused is not None:
            return SessionFate(refused=refused)
        fate = fleet.faults.session(index, number, fleet.now().timestamp())
        capacity = fleet.config.network.cell_capacity
        cell = cell_of(fleet.config, index)
        if fate.refused is None and capacity and fleet.stats.per_cell.get(cell, 0) >= capacity:
            return SessionFate(refused="cell at capacity")
        return fate

    def opened(self, index: int) -> None:
        stats, cell = self.fleet.stats, cell_of(self.fleet.config, index)
        stats.connections += 1
        stats.per_cell[cell] = stats.per_cell.get(cell, 0) + 1

    def closed(self, index: int) -> None:
        stats, cell = self.fleet.stats, cell_of(self.fleet.config, index)
        stats.connections -= 1
        stats.sessions += 1
        stats.per_cell[cell] -= 1

    # -- housekeeping -------------------------------------------------------------------

    def start(self) -> None:
        if self.garbage is not None:
            self.garbage.start()
        self._tasks.append(self.loop.create_task(self._every(1.0, self._tick)))
        self._tasks.append(self.loop.create_task(self._every(self.save_s, self._save)))

    async def _every(self, period: float, job: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                job()
            except Exception:  # a bug must not stop the housekeeping of the others
                log.exception("fleet housekeeping failed")

    def _tick(self) -> None:
        now = self.loop.time()
        self.fleet.sweep(now)
        self.fleet.flush()
        slept = self.fleet.hibernate_idle(now, self.idle_s, keep=self.max_awake)
        if self.garbage is not None:
            self.garbage.hibernated(slept, len(self.fleet.awake))

    def _save(self) -> None:
        self.fleet.save_awake()

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for sock in self.sockets:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        self.sockets.clear()
