"""Transports: one APDU out, one APDU back, over the wrapper or HDLC.

A transport owns a byte stream and a sans-IO link machine from ``openamr.link``;
the loop's monotonic time drives the link's timers. Every failure is a
:class:`TransportError` that names the meter and the step.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from openamr.client.url import MeterUrl
from openamr.errors import DlmsError
from openamr.link.hdlc.address import mt372_server
from openamr.link.hdlc.primary import PrimaryStation
from openamr.link.hdlc.station import Connected, DataReceived, Disconnected, HdlcEvent
from openamr.link.wrapper import ApduReceived, WrapperConnection, WrapperFailed


class TransportError(DlmsError):
    """The meter could not be reached or stopped answering."""


class Transport(Protocol):
    """What the client needs from a link to one meter."""

    name: str

    async def open(self) -> None: ...

    async def exchange(self, apdu: bytes) -> bytes: ...

    async def close(self) -> None: ...


class _Stream:
    """A reader/writer pair with timeouts that become TransportErrors."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self, host: str, port: int) -> None:
        try:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), self.timeout
            )
        except (OSError, TimeoutError) as e:
            raise TransportError(
                f"{self.name}: cannot connect ({e or 'timed out'}); check the address and that "
                "the meter's modem is online"
            ) from None

    def write(self, data: bytes) -> None:
        if data and self.writer is not None:
            self.writer.write(data)

    async def read(self, until: float | None) -> bytes:
        """Bytes from the meter, or b"" once ``until`` (loop time) has passed."""
        assert self.reader is not None
        loop = asyncio.get_running_loop()
        wait = None if until is None else max(0.0, until - loop.time())
        try:
            data = await asyncio.wait_for(self.reader.read(65536), wait)
        except TimeoutError:
            return b""
        except OSError as e:
            raise TransportError(f"{self.name}: connection lost ({e})") from None
        if not data:
            raise TransportError(f"{self.name}: the meter closed the connection")
        return data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


class WrapperTransport:
    """IEC 62056-47 wrapper over TCP: client wPort = client SAP."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        self.url, self.client = url, client
        self.name = f"meter {url}"
        self.stream = _Stream(self.name, timeout)
        self.link = WrapperConnection()

    async def open(self) -> None:
        await self.stream.connect(self.url.host, self.url.port)

    async def exchange(self, apdu: bytes) -> bytes:
        self.stream.write(self.link.send(self.client, self.url.server, apdu))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.stream.timeout
        while True:
            data = await self.stream.read(deadline)
            if not data:
                raise TransportError(f"{self.name}: no answer within {self.stream.timeout:g} s")
            for event in self.link.receive_data(data):
                if isinstance(event, WrapperFailed):
                    raise TransportError(f"{self.name}: bad wrapper frame ({event.reason})")
                if isinstance(event, ApduReceived) and event.destination == self.client:
                    return event.payload

    async def close(self) -> None:
        await self.stream.close()


class HdlcTransport:
    """HDLC over a TCP byte stream (a terminal server, or a twin's HDLC port)."""

    def __init__(self, url: MeterUrl, client: int, timeout: float = 10.0) -> None:
        self.url = url
        self.name = f"meter {url} (HDLC {url.physical}/{url.server})"
        self.stream = _Stream(self.name, timeout)
        self.station = PrimaryStation(client, mt372_server(url.physical, url.server))

    async def open(self) -> None:
        await self.stream.connect(self.url.host, self.url.port)
        loop = asyncio.get_running_loop()
        self.stream.write(self.station.connect(loop.time()))
        await self._until(Connected, "link set-up (SNRM)")

    async def exchange(self, apdu: bytes) -> bytes:
        loop = asyncio.get_running_loop()
        self.stream.write(self.station.send_data(apdu, loop.time()))
        event = await self._until(DataReceived, "waiting for the answer")
        assert isinstance(event, DataReceived)
        return event.data

    async def close(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            self.stream.write(self.station.disconnect(loop.time()))
            await asyncio.wait_for(self._until(Disconnected, "DISC"), 2.0)
        except (DlmsError, TimeoutError):
            pass
        finally:
            await self.stream.close()

    async def _until(self, wanted: type, step: str) -> HdlcEvent:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.stream.timeout
        while True:
            timer = self.station.get_timer()
            until = give_up if timer is None else min(timer, give_up)
            data = await self.stream.read(until)
            now = loop.time()
            events = (
                self.station.receive_data(data, now) if data else self.station.handle_timer(now)
            )
            self.stream.write(self.station.data_to_send())
            for event in events:
                if isinstance(event, wanted):
                    return event
                if isinstance(event, Disconnected):
                    raise TransportError(f"{self.name}: link down during {step} ({event.reason})")
            if now >= give_up:
                raise TransportError(
                    f"{self.name}: no answer within {self.stream.timeout:g} s ({step})"
                )


def open_transport(url: MeterUrl, client: int, timeout: float = 10.0) -> Transport:
    """The transport for a parsed URL (serial and optical come with their adapters)."""
    if url.scheme == "tcp":
        return WrapperTransport(url, client, timeout)
    if url.scheme == "hdlc+tcp":
        return HdlcTransport(url, client, timeout)
    raise TransportError(
        f"{url}: the {url.scheme} transport is not available yet; use tcp:// or hdlc+tcp://"
    )
