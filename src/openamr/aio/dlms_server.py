"""asyncio adapters serving a meter's DLMS/COSEM associations over TCP: the
IEC 62056-47 wrapper (the GPRS path) and HDLC over TCP (a terminal server or the
RS485/optical line as a byte stream).

Each connection gets its own associations; bytes go into the sans-IO link and
association machines and their answers are written back. The loop's monotonic
time is the ``now`` of the HDLC timers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from asyncio import FIRST_COMPLETED
from collections.abc import Callable

from openamr.association.server import ServerAssociation
from openamr.link.hdlc.address import mt372_server
from openamr.link.hdlc.secondary import SecondaryStation
from openamr.link.hdlc.station import Connected, DataReceived, Disconnected, HdlcEvent
from openamr.link.wrapper import ApduReceived, WrapperConnection, WrapperFailed, encode_wrapper
from openamr.meter.server import ServerApplication

log = logging.getLogger(__name__)


class WrapperSession(asyncio.Protocol):
    """One TCP connection speaking the wrapper; one association per client wPort."""

    def __init__(self, app: ServerApplication) -> None:
        self.app = app
        # an incoming APDU longer than any association can receive drops the connection
        largest = max((c.max_receive_pdu_size for c in app.configs.values()), default=0xFFFF)
        self.link = WrapperConnection(max_apdu_size=min(largest, 0xFFFF))
        self.associations: dict[int, ServerAssociation] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        for event in self.link.receive_data(data):
            if isinstance(event, WrapperFailed):
                log.info("dropping connection: %s", event.reason)
                self.transport.close()
                return
            self._answer(event)

    def _answer(self, event: ApduReceived) -> None:
        if event.destination != self.app.logical_address:
            return  # no such logical device: the wrapper has nobody to answer
        association = self.associations.get(event.source)
        if association is None:
            association = ServerAssociation(
                self.app.configs, event.source, os.urandom, self.app.outgoing
            )
            self.associations[event.source] = association
        self.app.refresh()
        answer = association.receive(event.payload)
        if answer is not None and self.transport is not None:
            self.transport.write(encode_wrapper(event.destination, event.source, answer))


class HdlcLine:
    """The meter's HDLC secondary station and its association on one byte stream.

    Bytes from the line go to :meth:`receive`; frames go out through ``write``;
    ``on_release`` is called when the link goes down (DISC, inactivity). Shared by
    :class:`HdlcSession` (a TCP connection) and :func:`serve_hdlc_stream` (a line
    handed over by the optical port in mode E).
    """

    def __init__(
        self,
        app: ServerApplication,
        write: Callable[[bytes], object],
        on_release: Callable[[], object] | None = None,
    ) -> None:
        self.app = app
        self.loop = asyncio.get_running_loop()
        address = mt372_server(app.physical_address, app.logical_address)
        self.station = SecondaryStation(address)
        self.association: ServerAssociation | None = None
        self.write, self.on_release = write, on_release
        self.timer: asyncio.TimerHandle | None = None

    def receive(self, data: bytes) -> None:
        now = self.loop.time()
        self._handle(self.station.receive_data(data, now), now)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def _on_timer(self) -> None:
        now = self.loop.time()
        self._handle(self.station.handle_timer(now), now)

    def _handle(self, events: list[HdlcEvent], now: float) -> None:
        released = False
        for i, event in enumerate(events):
            if isinstance(event, Connected):
                self.association = ServerAssociation(
                    self.app.configs, event.client_address, os.urandom, self.app.outgoing
                )
            elif isinstance(event, DataReceived) and self.association is not None:
                self.app.refresh()
                answer = self.association.receive(event.data)
                if answer is not None and _link_kept(events[i + 1 :]):
                    self._write(self.station.send_data(answer, now))
            elif isinstance(event, Disconnected):
                self.association, released = None, True
        self._flush()
        self._arm()
        if released and self.on_release is not None:
            self.on_release()

    def _flush(self) -> None:
        self._write(self.station.data_to_send())

    def _write(self, out: bytes) -> None:
        if out:
            self.write(out)

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        deadline = self.station.get_timer()
        self.timer = None if deadline is None else self.loop.call_at(deadline, self._on_timer)


class HdlcSession(asyncio.Protocol):
    """One TCP connection carrying HDLC frames for the meter's secondary station."""

    def __init__(self, app: ServerApplication) -> None:
        self.app = app
        self.line: HdlcLine | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.line = HdlcLine(self.app, transport.write)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.line is not None:
            self.line.close()

    def data_received(self, data: bytes) -> None:
        if self.line is not None:
            self.line.receive(data)


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
            data = await _read_or_release(
                reader, release, idle if line.association is None else None
            )
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


def _link_kept(later: list[HdlcEvent]) -> bool:
    """The link that carried a request is still up: no DISC, DM or SNRM came after it
    in the same read (an answer to it must not go out on a dead or a new link)."""
    return not any(isinstance(e, (Connected, Disconnected)) for e in later)


async def serve_wrapper(app: ServerApplication, host: str, port: int) -> asyncio.Server:
    """Listen for wrapper connections (the GPRS path)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: WrapperSession(app), host, port)


async def serve_hdlc(app: ServerApplication, host: str, port: int) -> asyncio.Server:
    """Listen for HDLC-over-TCP connections."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HdlcSession(app), host, port)
