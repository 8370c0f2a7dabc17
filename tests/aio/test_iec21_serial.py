"""The serial variant: 7E1 at 300 Bd, and the baud switch after the option select.

pyserial-asyncio-fast is optional; a stand-in for the port opener records how the port
is opened and carries the bytes over a socket pair, so the whole mode C session runs
through it.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import types
from typing import Any

import pytest

from openamr.aio import lines
from openamr.aio.hhu import OpticalSession
from openamr.aio.iec21_server import serve_optical_line
from openamr.aio.lines import Framing
from openamr.link.iec21 import EXAMPLE_READOUT, OpticalServer, StaticSource, Timing


class FakePort:
    def __init__(self, **settings: Any) -> None:
        self.settings = settings
        self.baudrate: int = settings["baudrate"]
        self.history: list[int] = []
        self.flushed = 0

    def flush(self) -> None:
        self.flushed += 1


@pytest.fixture
def fake_serial(monkeypatch: pytest.MonkeyPatch) -> tuple[list[FakePort], socket.socket]:
    """The stand-in module; the ports it opened and the meter's end of the line."""
    ports: list[FakePort] = []
    meter_end, probe_end = socket.socketpair()

    async def open_serial(device: str, baud: int, framing: Framing) -> Any:
        reader, writer = await asyncio.open_connection(sock=probe_end)
        port = FakePort(url=device, baudrate=baud, **framing.settings())
        writer.transport.serial = port  # type: ignore[attr-defined]
        ports.append(port)
        return reader, writer

    monkeypatch.setitem(sys.modules, "serial_asyncio_fast", types.ModuleType("serial_asyncio_fast"))
    monkeypatch.setattr(lines, "open_serial", open_serial)
    return ports, meter_end


async def test_serial_line_is_7e1_at_300_and_switches_after_the_option_select(
    fake_serial: tuple[list[FakePort], socket.socket],
) -> None:
    ports, meter_end = fake_serial
    timing = Timing(baud_switch=0.01)
    reader, writer, set_baud = await lines.open_serial_line("/dev/ttyFAKE", timing)
    [port] = ports
    assert port.settings == {
        "url": "/dev/ttyFAKE", "baudrate": 300, "bytesize": 7, "parity": "E", "stopbits": 1
    }  # fmt: skip

    meter_reader, meter_writer = await asyncio.open_connection(sock=meter_end)
    meter = OpticalServer(StaticSource.of(EXAMPLE_READOUT))
    serving = asyncio.create_task(serve_optical_line(meter_reader, meter_writer, meter))

    session = OpticalSession(reader, writer, set_baud=set_baud, timing=timing)
    await session.sign_on()
    readout = await session.readout()
    assert readout.data_sets == EXAMPLE_READOUT
    assert port.baudrate == 9600 and port.flushed == 1
    writer.close()
    await serving


async def test_missing_package_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "serial_asyncio_fast", None)
    with pytest.raises(RuntimeError, match="pyserial-asyncio-fast"):
        await lines.open_serial_line("/dev/ttyUSB0")
