"""The virtual GSM network on asyncio: the head-end's AT modem on TCP or a pseudo-
terminal, the meters' end of each CSD call carried to the twin's HDLC port, a GPRS
gate per meter, and the address lookup (docs/gsm.md)::

    head-end --AT, then HDLC--> [ModemLine: AtModem]  ~~call, 9600 bit/s~~
        [CsdBridge] --TCP--> twin's HDLC port (csd = "host:port")
    head-end --TCP--> [GprsGate: open while the meter is attached] --> twin's wrapper
    head-end --"LOOKUP +386..."--> [lookup] --> "127.0.0.1 40123" | "NONE"

Everything runs on one clock (:class:`NetworkClock`: POSIX seconds moved on by the
loop's monotonic clock), the one ``now`` of the sans-IO network
(:class:`~openamr.gsm.network.GsmNetwork`), the modems and the paced lines: the
bytes of a call take the time they take in both directions. The lookup service
stands in for the operator's RADIUS accounting: one line in, one out (``LOOKUP
<msisdn or imsi>`` -> ``<host> <port>`` or ``NONE``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import tty
from collections.abc import Callable

from openamr.aio.csd_bridge import CsdBridge, HdlcBridge, Timer
from openamr.aio.dial_out import Dialler
from openamr.aio.gprs_gate import GprsGate
from openamr.gsm.at import AtModem, ModemEvent, ModemIdentity, Offline, Online
from openamr.gsm.modem import MeterModem
from openamr.gsm.network import Call, GsmNetwork
from openamr.gsm.pool import Endpoint, NetworkFile
from openamr.meter.application import ServerApplication

#: where a called meter's end of the call goes: its twin's HDLC port, or its twin's
#: application in this process (None: nowhere, the call carries nothing)
MeterEnd = Endpoint | ServerApplication | None

log = logging.getLogger(__name__)
TICK_S = 1.0  # the network's sweep (SMS delivery, sessions ending) when nothing is due


class NetworkClock:
    """The network's time in POSIX seconds (the convention of :mod:`openamr.gsm`),
    moved on by the loop's monotonic clock, ``speed`` times as fast (1 in use; tests
    run rings, timeouts and the line's pace alike faster). ``source``: another clock
    that runs at ``speed`` (a twin's or a fleet's true time, for their own modems)."""

    def __init__(self, speed: float = 1.0, source: Callable[[], float] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.speed = speed
        self.start, self.posix = self.loop.time(), time.time()
        self.source = source

    def now(self) -> float:
        if self.source is not None:
            return self.source()
        return self.posix + (self.loop.time() - self.start) * self.speed

    def loop_time(self, at: float) -> float:
        """The loop's time when the network's clock shows ``at``."""
        return self.loop.time() + (at - self.now()) / self.speed


class ModemLine:
    """One AT modem on one DTE byte stream (``write`` sends to the DTE)."""

    def __init__(self, pool: ModemPool, write: Callable[[bytes], object]) -> None:
        self.pool, self.write = pool, write
        self.modem = AtModem(pool.network, pool.identity)
        self.timer = Timer(pool.clock, self._on_timer)
        self.bridge: CsdBridge | HdlcBridge | None = None
        self.closed = False

    def receive(self, data: bytes) -> None:
        self._after(self.modem.receive_data(data, self.timer.clock.now()))

    def close(self) -> bool:
        """The DTE went away: DTR off, as &D says (:mod:`openamr.gsm.at_call`). True:
        the line is done; False: a call it left up goes on until the meter ends it."""
        self.closed, self.write = True, _nowhere
        self._after(self.modem.dtr_off(self.timer.clock.now()))
        if self.modem.call is not None:
            return False
        self._finish()
        return True

    def _finish(self) -> None:
        self.timer.cancel()
        if self.bridge is not None:
            self.bridge.close()
            self.bridge = None
        self.pool.lines.discard(self)

    def carrier_lost(self) -> None:
        self._after(self.modem.carrier_lost(self.timer.clock.now()))

    def _on_timer(self) -> None:
        self._after(self.modem.handle_timer(self.timer.clock.now()))

    def _after(self, events: list[ModemEvent]) -> None:
        for event in events:
            if isinstance(event, Online):
                self.bridge = self.pool.bridge(event.call, self)
            elif isinstance(event, Offline) and self.bridge is not None:
                log.info("call ended: %s", event.reason)
                self.bridge.close()
                self.bridge = None
        if self.closed and self.modem.call is None:
            self._finish()  # the call the DTE left up is over
            return
        out = self.modem.data_to_send()
        if out:
            self.write(out)
        self.timer.arm(self.modem.get_timer())
        if self.bridge is not None:
            self.bridge.poke()


def _nowhere(data: bytes) -> None:
    """The DTE is gone: what the modem says is lost."""


class ModemPool:
    """The network and everything around it; ``start`` the listeners, ``close`` them."""

    def __init__(
        self, config: NetworkFile, host: str = "127.0.0.1", *,
        network: GsmNetwork | None = None, clock: NetworkClock | None = None,
        end_of: Callable[[MeterModem], MeterEnd] | None = None,
    ) -> None:  # fmt: skip
        """The meters of ``config``; or, with ``network``, ``clock`` and ``end_of``, a
        network built elsewhere (a fleet's, a twin's own modem registered on it), its
        clock, and where each called meter's end of a call goes."""
        self.config, self.host = config, host
        self.clock = clock or NetworkClock(config.speed)
        self.network = network or GsmNetwork(
            bit_rate=config.bit_rate, setup_s=config.setup_s, handshake_s=config.handshake_s,
            no_answer_s=config.no_answer_s,
        )  # fmt: skip
        self.end_of = end_of
        self.own_network = network is None
        self.dialler: Dialler | None = None
        self.gate_of: dict[int, GprsGate] = {}  # id(modem) -> its gate
        self.identity = ModemIdentity(config.msisdn)
        self.csd: dict[int, Endpoint | None] = {}
        self.gates: list[GprsGate] = []
        self.addresses: list[Endpoint | None] = []  # each meter's GPRS gate, in file order
        self.lines: set[ModemLine] = set()
        self.writers: set[asyncio.StreamWriter] = set()  # the TCP lines' DTE ends
        self.servers: list[asyncio.Server] = []
        self.ptys: list[int] = []
        self.ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        now = self.clock.now()
        for meter in self.config.meters:
            gate, address = None, None
            if meter.gprs is not None:
                gate = GprsGate(meter.gprs, self.clock)  # bound first: its address is the meter's
                address = await gate.start(self.host)
                self.gates.append(gate)
            modem = meter.modem(now, address)
            self.addresses.append(address)
            if gate is not None:
                gate.modem = modem
                self.gate_of[id(modem)] = gate
            self.network.register(modem)
            self.csd[id(modem)] = meter.csd
        if self.own_network:  # the meters of the file connect through their gates
            self.dialler = Dialler(self.clock.now, self.clock.loop_time, self._call_out)
            self.network.on_dial = self.dialler.schedule
        self.network.terminals.setdefault(self.identity.msisdn, []).append(self)
        self.ticker = asyncio.create_task(self._tick())

    def offer(self, call: Call, now: float) -> bool:
        """A meter calls the head-end's number: it rings at the first idle line (a
        hunt group, :class:`~openamr.gsm.call.Terminal`)."""
        for line in list(self.lines):
            if not line.closed and line.modem.offer(call, now):
                line.timer.arm(line.modem.get_timer())
                return True
        return False

    async def _call_out(self, modem: MeterModem, destination: Endpoint) -> bool:
        gate = self.gate_of.get(id(modem))
        if gate is None:
            log.warning("meter %s has no gprs endpoint: it cannot connect", modem.sim)
            return False
        return await gate.call_out(modem, destination)

    def gates_by_meter(self) -> list[Endpoint | None]:
        return list(self.addresses)

    def bridge(self, call: Call, line: ModemLine) -> CsdBridge | HdlcBridge:
        end: MeterEnd = None
        if call.modem is not None:
            end = self.csd.get(id(call.modem))
            if end is None and self.end_of is not None:
                end = self.end_of(call.modem)
        if isinstance(end, ServerApplication):
            return HdlcBridge(call, line, end)
        return CsdBridge(call, line, end)

    def lookup(self, number: str) -> Endpoint | None:
        return self.network.lookup_address(number, self.clock.now())

    # -- the modem's line on TCP and on a pty ---------------------------------------------

    async def serve_tcp(self, host: str, port: int) -> Endpoint:
        """Each TCP connection is one modem of the pool (one line of a modem bank)."""
        server = await asyncio.start_server(self._tcp_line, host, port)
        self.servers.append(server)
        bound = server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def _tcp_line(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = ModemLine(self, writer.write)
        self.lines.add(line)
        self.writers.add(writer)
        try:
            while data := await reader.read(4096):
                line.receive(data)
        except OSError:
            pass
        finally:
            line.close()  # DTR off; the line stays while a call it left up goes on
            self.writers.discard(writer)
            writer.close()

    def serve_pty(self) -> str:
        """One modem on a new pseudo-terminal; the path the head-end opens."""
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.ptys += [master, slave]
        loop = asyncio.get_running_loop()
        pending = bytearray()

        def flush() -> None:
            with contextlib.suppress(BlockingIOError):
                del pending[: os.write(master, pending)]
            if pending:
                loop.add_writer(master, flush)
            else:
                loop.remove_writer(master)

        def write(data: bytes) -> None:
            pending.extend(data)
            flush()

        line = ModemLine(self, write)
        self.lines.add(line)

        def readable() -> None:
            try:
                data = os.read(master, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # EIO: nobody has the slave open just now
                return
            line.receive(data)

        loop.add_reader(master, readable)
        return os.ttyname(slave)

    async def serve_lookup(self, host: str, port: int) -> Endpoint:
        server = await asyncio.start_server(self._lookup, host, port)
        self.servers.append(server)
        bound = server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def _lookup(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, ValueError):
            while raw := await reader.readline():
                word, _, number = raw.decode("latin-1").strip().partition(" ")
                if word.upper() != "LOOKUP" or not number:
                    writer.write(b"ERROR write LOOKUP <msisdn or imsi>\r\n")
                else:
                    found = self.lookup(number.strip())
                    answer = "NONE" if found is None else f"{found[0]} {found[1]}"
                    writer.write(f"{answer}\r\n".encode())
                await writer.drain()
        writer.close()

    async def _tick(self) -> None:
        while True:
            now = self.clock.now()
            self.network.tick(now)
            for gate in self.gates:
                gate.sweep(now)
            due = self.network.next_change()
            wait = TICK_S if due is None else min(TICK_S, max(0.001, due - now))
            await asyncio.sleep(wait / self.clock.speed)

    async def close(self) -> None:
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ticker
        terminals = self.network.terminals.get(self.identity.msisdn, [])
        if self in terminals:
            terminals.remove(self)
        for line in list(self.lines):
            line.modem.settings.dtr = 2  # the pool goes down: every call with it
            line.close()
        for writer in list(self.writers):
            writer.transport.abort()  # each line's task sees the end of its stream
        loop = asyncio.get_running_loop()
        for fd in self.ptys:
            loop.remove_reader(fd)
            loop.remove_writer(fd)
            os.close(fd)
        self.ptys = []
        for server in self.servers:
            server.close()
            await server.wait_closed()
        if self.dialler is not None:
            await self.dialler.close()
        for gate in self.gates:
            await gate.close()
