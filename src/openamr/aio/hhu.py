"""The hand-held unit's side of the optical port on asyncio (IEC 62056-21 mode C): sign
on, read the data readout, read and write registers in programming mode, over TCP or a
serial line (:func:`openamr.aio.lines.open_serial_line`, 300 Bd 7E1)::

    readout = await read_readout("tcp://127.0.0.1:6210")
    value = await read_register("tcp://127.0.0.1:6210", "1.8.0", password="00000000")
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from openamr.aio.lines import SetBaud, act_on_line, open_serial_line
from openamr.errors import RemoteProtocolError
from openamr.link.iec21 import (
    BaudRateChange,
    ClientEvent,
    DataSet,
    Failed,
    FailureKind,
    IdentificationMessage,
    Identified,
    ModeControl,
    OpticalClient,
    PasswordAccepted,
    PasswordRequested,
    ReadoutReceived,
    Timing,
    Transmit,
    ValueRead,
    Waiting,
    WriteAccepted,
)


class OpticalPortError(RemoteProtocolError):
    """The meter did not answer as asked; ``failure`` says how (a protocol value)."""

    def __init__(self, failure: Failed) -> None:
        super().__init__(f"{failure.kind}: {failure.detail}" if failure.detail else failure.kind)
        self.failure = failure


class OpticalSession:
    """An HHU session over an open line: each request waits for its answer event."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        set_baud: SetBaud | None = None,
        timing: Timing | None = None,
    ) -> None:
        self.reader, self.writer, self.set_baud = reader, writer, set_baud
        self.client = OpticalClient(timing) if timing else OpticalClient()
        self.programming = False
        self._loop = asyncio.get_running_loop()

    def now(self) -> float:
        return self._loop.time()

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def answer(self) -> ClientEvent:
        """Wait for the answer to the last request: its event, or ``Failed``."""
        while True:
            timer = self.client.get_timer()
            timeout = None if timer is None else max(0.0, timer - self.now())
            try:
                data = await asyncio.wait_for(self.reader.read(4096), timeout)
            except TimeoutError:
                events = self.client.handle_timer(self.now())
            else:
                if not data:
                    return Failed(FailureKind.NO_ANSWER, "the line was closed")
                events = self.client.receive_data(data, self.now())
            for event in events:
                if isinstance(event, (Transmit, BaudRateChange)):
                    await act_on_line(event, self.writer, self.set_baud)
                else:
                    return event

    async def expect(self, kind: type[ClientEvent]) -> Any:
        event = await self.answer()
        if isinstance(event, Failed):
            raise OpticalPortError(event)
        if not isinstance(event, kind):
            raise OpticalPortError(Failed(FailureKind.UNEXPECTED, repr(event)))
        return event

    async def sign_on(self, device_address: str = "") -> IdentificationMessage:
        await self.send(self.client.sign_on(self.now(), device_address))
        event: Identified = await self.expect(Identified)
        return event.message

    async def select(self, mode: ModeControl, baud: int | None = None) -> None:
        data, change = self.client.select(mode, self.now(), baud)
        await self.send(data)
        if change is not None and self.set_baud is not None:
            await self.set_baud(change.baud)

    async def readout(self, baud: int | None = None) -> ReadoutReceived:
        await self.select(ModeControl.READOUT, baud)
        received: ReadoutReceived = await self.expect(ReadoutReceived)
        return received

    async def enter_programming(self, password: str, baud: int | None = None) -> str:
        """Option select 'programming', answer P0 with P1; the P0 operand."""
        await self.select(ModeControl.PROGRAMMING, baud)
        self.programming = True
        request: PasswordRequested = await self.expect(PasswordRequested)
        await self.send(self.client.password(password, self.now()))
        await self.expect(PasswordAccepted)
        return request.operand

    async def read(self, address: str) -> DataSet:
        await self.send(self.client.read(address, self.now()))
        event: ValueRead = await self.expect(ValueRead)
        return event.data_set

    async def write(self, address: str, value: str) -> None:
        await self.send(self.client.write(address, value, self.now()))
        await self.expect(WriteAccepted)

    async def sign_off(self) -> None:
        self.programming = False
        await self.send(self.client.sign_off())


async def open_optical(url: str, timing: Timing | None = None) -> OpticalSession:
    """``tcp://host:port``, or a serial device (``/dev/ttyUSB0``, ``serial:///dev/...``)."""
    if url.startswith("tcp://"):
        host, _, port = url[len("tcp://") :].rpartition(":")
        try:
            reader, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except (OSError, ValueError) as e:
            raise OpticalPortError(Failed(FailureKind.NO_ANSWER, f"{url}: {e}")) from None
        return OpticalSession(reader, writer, timing=timing)
    if "://" in url and not url.startswith("serial://"):
        raise ValueError(
            f"{url!r} is not an optical port: give tcp://HOST:PORT, a serial device "
            "(/dev/ttyUSB0) or serial:///dev/ttyUSB0"
        )
    device = url.removeprefix("serial://")
    reader, writer, set_baud = await open_serial_line(device)
    return OpticalSession(reader, writer, set_baud=set_baud, timing=timing)


async def _closing(session: OpticalSession) -> None:
    """Close the line; a programming session still open gets its B0 first."""
    with contextlib.suppress(ConnectionError, OSError):
        if session.programming and session.client.waiting is not Waiting.CLOSED:
            await session.sign_off()
    session.writer.close()
    with contextlib.suppress(ConnectionError, OSError):
        await session.writer.wait_closed()


async def read_readout(
    url: str, device_address: str = "", timing: Timing | None = None, baud: int | None = None
) -> tuple[IdentificationMessage, ReadoutReceived]:
    """Sign on and read the data readout (mode C, option select 'readout')."""
    session = await open_optical(url, timing)
    try:
        identification = await session.sign_on(device_address)
        return identification, await session.readout(baud)
    finally:
        await _closing(session)


async def read_register(url: str, address: str, password: str, device_address: str = "") -> DataSet:
    """Programming mode: P1 with ``password``, R1 of ``address``, B0."""
    session = await open_optical(url)
    try:
        await session.sign_on(device_address)
        await session.enter_programming(password)
        value = await session.read(address)
        await session.sign_off()
        return value
    finally:
        await _closing(session)


async def write_register(
    url: str, address: str, value: str, password: str, device_address: str = ""
) -> None:
    """Programming mode: P1 with ``password``, W1 of ``address(value)``, B0."""
    session = await open_optical(url)
    try:
        await session.sign_on(device_address)
        await session.enter_programming(password)
        await session.write(address, value)
        await session.sign_off()
    finally:
        await _closing(session)
