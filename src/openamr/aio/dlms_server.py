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
from collections.abc import Sequence

from openamr.aio.hdlc_line import HdlcLine
from openamr.aio.lines import DEFAULT_BAUD, FRAMING_8N1, open_serial
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.results import ServiceError, StateError
from openamr.association.server_association import ServerAssociation
from openamr.link.wrapper import (
    ApduReceived,
    ApduTooLong,
    WrapperConnection,
    WrapperFailed,
    encode_wrapper,
)
from openamr.meter.application import ServerApplication

log = logging.getLogger(__name__)


class WrapperSession(asyncio.Protocol):
    """One TCP connection speaking the wrapper; one association per client wPort."""

    def __init__(self, app: ServerApplication) -> None:
        self.app = app
        # an incoming APDU longer than any association can receive is answered with
        # an EXCEPTION-Response pdu-too-long (its body skipped, never buffered)
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
            if isinstance(event, ApduTooLong):
                self._too_long(event)
            else:
                self._answer(event)

    def _too_long(self, event: ApduTooLong) -> None:
        """Green Book 9.5: an APDU above the max receive PDU size the AARE gave."""
        if event.destination != self.app.logical_address or event.source not in self.app.configs:
            return  # nobody to answer, as for any APDU there
        assert self.transport is not None
        answer = ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.PDU_TOO_LONG)
        self.transport.write(encode_wrapper(event.destination, event.source, answer.to_bytes()))

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


async def serve_wrapper(app: ServerApplication, host: str, port: int) -> asyncio.Server:
    """Listen for wrapper connections (the GPRS path)."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: WrapperSession(app), host, port)


async def serve_hdlc(app: ServerApplication, host: str, port: int) -> asyncio.Server:
    """Listen for HDLC-over-TCP connections."""
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HdlcSession(app), host, port)


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
    apps: Sequence[ServerApplication], device: str, baud: int = DEFAULT_BAUD
) -> None:
    """Serve the meters ``apps`` on the serial line ``device`` (8N1 at ``baud``), each at
    its own HDLC physical address, until cancelled or the device goes away."""
    reader, writer = await open_serial(device, baud, FRAMING_8N1)
    try:
        await serve_bus_stream(apps, reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def serve_serial(app: ServerApplication, device: str, baud: int = DEFAULT_BAUD) -> None:
    """Serve one meter's HDLC port on ``device`` (8N1 at ``baud``)."""
    await serve_bus([app], device, baud)
