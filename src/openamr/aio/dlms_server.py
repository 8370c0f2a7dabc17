"""asyncio adapters serving a meter's DLMS/COSEM associations over TCP: the
IEC 62056-47 wrapper (the GPRS path) and HDLC over TCP (a terminal server or the
RS485/optical line as a byte stream).

Each connection gets its own associations; bytes go into the sans-IO link and
association machines and their answers are written back. The loop's monotonic
time is the ``now`` of the HDLC timers and of the LLS guard. Under load and under
attack (issue 11): fair service, read backpressure, idle time-outs as advertised and
a connection limit (:mod:`openamr.aio.connections`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from asyncio import FIRST_COMPLETED
from collections import deque
from collections.abc import Callable, Sequence

from openamr.aio.connections import (
    DEFAULT_MAX_CONNECTIONS,
    HDLC_SETUP,
    TCP_UDP_SETUP,
    ConnectionLimit,
    advertised_timeout,
    quiet_accept_errors,
)
from openamr.aio.hdlc_line import HdlcLine, whole_frames
from openamr.aio.lines import DEFAULT_BAUD, FRAMING_8N1, open_serial
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.mechanism import MechanismName
from openamr.apdu.results import ServiceError, StateError
from openamr.association.server_association import ServerAssociation, State
from openamr.link.wrapper import (
    ApduReceived,
    ApduTooLong,
    WrapperConnection,
    WrapperFailed,
    encode_wrapper,
)
from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)

#: why a new connection is refused now (None: admitted)
Gate = Callable[[], "str | None"]


#: APDUs a connection may have waiting before its reads are paused (fair share).
BUDGET = 16
#: Bytes of an HDLC connection framed per turn at most (whole frames; a frame is at
#: most 2 KB with the 2030-byte information field the twin negotiates).
SPLIT = 4096


def _authenticated(association: ServerAssociation | None) -> bool:
    return (
        association is not None
        and association.state is State.ASSOCIATED
        and association.config is not None
        and association.config.mechanism is not MechanismName.NONE
    )


class FairSession(asyncio.Protocol):
    """Fair under load (issue 11 items 9 and 11), for both transports: what a read
    brings is queued and answered one request per turn of the loop, so that one
    peer's pipeline cannot stall the others; reading pauses while ``BUDGET`` requests
    wait, and while the peer does not read what it was sent (asyncio's write
    high-water mark: :meth:`pause_writing`). A subclass says how many wait and
    answers one."""

    transport: asyncio.Transport | None
    loop: asyncio.AbstractEventLoop
    _scheduled = _blocked = _paused = False

    def _waiting(self) -> int:
        raise NotImplementedError

    def _serve_one(self) -> None:
        raise NotImplementedError

    def pause_writing(self) -> None:
        self._blocked = True
        self._flow()

    def resume_writing(self) -> None:
        self._blocked = False
        self._flow()

    def _flow(self) -> None:
        """Read while the peer drains its answers and few requests wait; answer one."""
        if self.transport is None or self.transport.is_closing():
            return
        waiting = self._waiting()
        pause = self._blocked or waiting >= BUDGET
        if pause != self._paused:
            self._paused = pause
            (self.transport.pause_reading if pause else self.transport.resume_reading)()
        if waiting and not self._blocked and not self._scheduled:
            self._scheduled = True
            self.loop.call_soon(self._turn)

    def _turn(self) -> None:
        self._scheduled = False
        if self._waiting() and not self._blocked and self.transport is not None:
            self._serve_one()
        self._flow()


class WrapperSession(FairSession):
    """One TCP connection speaking the wrapper; one association per client wPort,
    served fairly (:class:`FairSession`: one APDU per turn)."""

    def __init__(
        self, app: ServerApplication, limit: ConnectionLimit | None = None, gate: Gate | None = None
    ) -> None:
        self.app, self.limit, self.gate = app, limit, gate
        # an incoming APDU longer than any association can receive is answered with
        # an EXCEPTION-Response pdu-too-long (its body skipped, never buffered)
        largest = max((c.max_receive_pdu_size for c in app.configs.values()), default=0xFFFF)
        self.link = WrapperConnection(max_apdu_size=min(largest, 0xFFFF))
        # by (destination wPort, client wPort): a gateway serves many meters
        self.associations: dict[tuple[int, int], ServerAssociation] = {}
        self.transport: asyncio.Transport | None = None
        self.pending: deque[ApduReceived | ApduTooLong] = deque()
        self.idle = advertised_timeout(app, TCP_UDP_SETUP)
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None

    @property
    def authenticated(self) -> bool:
        return any(_authenticated(a) for a in self.associations.values())

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self._last = self.loop.time()
        refused = None if self.gate is None else self.gate()
        if refused is not None:
            log.info("refused a wrapper connection: %s", refused)
            transport.close()
            return
        if self.limit is not None and not self.limit.admit(self):
            return
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.limit is not None:
            self.limit.remove(self)
        if self._timer is not None:
            self._timer.cancel()
        self.pending.clear()
        self.transport = None

    def close(self, reason: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing a wrapper connection: %s", reason)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._last = self.loop.time()
        for event in self.link.receive_data(data):
            if isinstance(event, WrapperFailed):
                self.close(event.reason)
                return
            self.pending.append(event)
        self._flow()

    def _waiting(self) -> int:
        return len(self.pending)

    def _serve_one(self) -> None:
        event = self.pending.popleft()
        if isinstance(event, ApduTooLong):
            self._too_long(event)
        else:
            self._answer(event)

    def _arm_idle(self) -> None:
        if self.idle is not None and self.transport is not None:
            self._timer = self.loop.call_at(self._last + self.idle, self._idle_check)

    def _idle_check(self) -> None:
        assert self.idle is not None
        if self.loop.time() - self._last >= self.idle and not self.pending:
            self.close(f"idle for {self.idle:g} s (0.0.25.0.0.255 inactivity_time_out)")
        else:
            self._arm_idle()

    def route(self, destination: int) -> ServerApplication | None:
        """The meter a destination wPort reaches: its logical device only (a gateway
        of many meters, :mod:`openamr.fleet.serve`, chooses by wPort)."""
        return self.app if destination == self.app.logical_address else None

    def _too_long(self, event: ApduTooLong) -> None:
        """Green Book 9.5: an APDU above the max receive PDU size the AARE gave."""
        app = self.route(event.destination)
        if app is None or event.source not in app.configs:
            return  # nobody to answer, as for any APDU there
        assert self.transport is not None
        answer = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
        self.transport.write(encode_wrapper(event.destination, event.source, answer.to_bytes()))
        self._last = self.loop.time()

    def _answer(self, event: ApduReceived) -> None:
        app = self.route(event.destination)
        if app is None:
            return  # no such logical device: the wrapper has nobody to answer
        key = (event.destination, event.source)
        association = self.associations.get(key)
        if association is None:
            association = ServerAssociation(
                app.configs, event.source, os.urandom, app.outgoing, app.received
            )
            self.associations[key] = association
        app.refresh()
        answer = association.receive(event.payload, self.loop.time())
        if answer is not None and self.transport is not None:
            self.transport.write(encode_wrapper(event.destination, event.source, answer))
        self._last = self.loop.time()


class HdlcSession(FairSession):
    """One TCP connection carrying HDLC frames for the meter's secondary station; it
    is closed when the link drops (DISC, the link's inactivity) and when no link was
    set up for the advertised ``inactivity_time_out``. Served fairly
    (:class:`FairSession`: one frame per turn, whatever a read brings)."""

    def __init__(self, app: ServerApplication, limit: ConnectionLimit | None = None) -> None:
        self.app, self.limit = app, limit
        self.line: HdlcLine | None = None
        self.transport: asyncio.Transport | None = None
        self.idle = advertised_timeout(app, HDLC_SETUP)
        self._timer: asyncio.TimerHandle | None = None
        self._raw = bytearray()  # received, not yet framed

    @property
    def authenticated(self) -> bool:
        return self.line is not None and any(_authenticated(d.association) for d in self.line.drops)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self.line = HdlcLine(self.app, transport.write, self._released)
        if self.limit is not None and not self.limit.admit(self):
            return
        if self.idle is not None:
            self._timer = asyncio.get_running_loop().call_later(self.idle, self._no_link)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.limit is not None:
            self.limit.remove(self)
        if self._timer is not None:
            self._timer.cancel()
        if self.line is not None:
            self.line.close()
            self.line.queue.clear()
        self.transport = None

    def close(self, reason: str) -> None:
        if self.transport is not None and not self.transport.is_closing():
            log.debug("closing an HDLC connection: %s", reason)
            self.transport.close()

    def _released(self) -> None:
        self.close("the HDLC link is down")

    def _no_link(self) -> None:
        if self.line is not None and not self.line.connected:
            self.close(f"no HDLC link for {self.idle:g} s (0.0.22.0.0.255 inactivity_time_out)")

    def data_received(self, data: bytes) -> None:
        if self.line is not None:
            self._raw += data
            if not self.line.queue and len(self._raw) <= SPLIT:
                self._split()  # the usual case, at once: the inter-octet time-out runs
            self._flow()

    def _split(self) -> None:
        """Frame the next few KB of what came (splitting checks each frame's FCS: a
        256 KiB read is framed a piece per turn, not in one go)."""
        assert self.line is not None
        cut = whole_frames(self._raw, SPLIT)
        chunk = bytes(self._raw[:cut])
        del self._raw[:cut]
        self.line.take(chunk)

    def _waiting(self) -> int:
        if self.line is None:
            return 0
        return len(self.line.queue) + -(-len(self._raw) // SPLIT)

    def _serve_one(self) -> None:
        assert self.line is not None
        if not self.line.queue:
            self._split()
        self.line.turn()
        if self._timer is not None and self.line.connected:
            self._timer.cancel()
            self._timer = None


async def serve_hdlc_stream(
    app: ServerApplication,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    prefix: bytes = b"",
    idle: float = 120.0,
) -> None:
    """Serve HDLC on an open stream (the optical line after mode E), beginning with
    the bytes ``prefix`` already read from it. Returns when the link is released
    (DISC, inactivity), when the stream closes, or when no frame came for ``idle``
    seconds before a link was set up; the line then belongs to its owner again."""
    released = asyncio.Event()
    line = HdlcLine(app, writer.write, released.set)
    release = asyncio.ensure_future(_nothing_after(released))
    try:
        if prefix:
            line.receive(prefix)
        while not released.is_set():
            data = await _read_or_release(reader, release, idle if not line.connected else None)
            if not data:
                return
            line.receive(data)
        await writer.drain()
    finally:
        release.cancel()
        line.close()


async def _nothing_after(event: asyncio.Event) -> bytes:
    await event.wait()
    return b""


async def _read_or_release(
    reader: asyncio.StreamReader, release: asyncio.Task[bytes], timeout: float | None
) -> bytes:
    """The next bytes of the stream; b"" at its end, on release, or after ``timeout``."""
    reading = asyncio.ensure_future(reader.read(4096))
    done, _ = await asyncio.wait({reading, release}, timeout=timeout, return_when=FIRST_COMPLETED)
    if reading in done:
        return reading.result()
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    return b""


async def serve_wrapper(
    app: ServerApplication,
    host: str,
    port: int,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    gate: Gate | None = None,
) -> asyncio.Server:
    """Listen for wrapper connections (the GPRS path), at most ``max_connections``;
    ``gate`` says why a new connection is refused now (None: admitted), as a meter's
    GPRS address answers only while its modem is attached."""
    loop = asyncio.get_running_loop()
    quiet_accept_errors(loop, loop.time)
    limit = ConnectionLimit(max_connections)
    return await loop.create_server(lambda: WrapperSession(app, limit, gate), host, port)


async def serve_hdlc(
    app: ServerApplication, host: str, port: int, max_connections: int = DEFAULT_MAX_CONNECTIONS
) -> asyncio.Server:
    """Listen for HDLC-over-TCP connections, at most ``max_connections``."""
    loop = asyncio.get_running_loop()
    quiet_accept_errors(loop, loop.time)
    limit = ConnectionLimit(max_connections)
    return await loop.create_server(lambda: HdlcSession(app, limit), host, port)


# -- HDLC on a serial line: one meter's port, or several meters on one RS485 bus ------


async def serve_bus_stream(
    apps: Sequence[ServerApplication],
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """Serve the meters ``apps`` on an open stream until it ends."""
    line = HdlcLine(apps, writer.write)
    try:
        while data := await reader.read(4096):
            line.receive(data)
    finally:
        line.close()


async def serve_bus(
    apps: Sequence[ServerApplication],
    device: str,
    baud: int = DEFAULT_BAUD,
    line: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None,
) -> None:
    """Serve the meters ``apps`` on the serial line ``device`` (8N1 at ``baud``; ``line``:
    opened already), each at its own HDLC physical address, until cancelled or the
    device goes away."""
    reader, writer = line if line is not None else await open_serial(device, baud, FRAMING_8N1)
    try:
        await serve_bus_stream(apps, reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def serve_serial(
    app: ServerApplication,
    device: str,
    baud: int = DEFAULT_BAUD,
    line: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None,
) -> None:
    """Serve one meter's HDLC port on ``device`` (8N1 at ``baud``; ``line``: opened)."""
    await serve_bus([app], device, baud, line)
