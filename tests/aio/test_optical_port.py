"""The twin's optical port adapters: the serial variant's mode E (HDLC at the new speed,
then back to IEC 62056-21 at 300 Bd) and the HDLC stream server's ends."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import pytest

from openamr.aio.dlms_server import serve_hdlc_stream
from openamr.aio.optical_port import (
    DeviceSource,
    identification,
    serve_meter_optical_serial,
)
from openamr.link.hdlc.address import mt372_server
from openamr.link.hdlc.primary import PrimaryStation
from openamr.link.hdlc.station import Connected, Disconnected, HdlcEvent
from openamr.link.iec21 import DataSet, Refusal, Timing
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
from openamr.meter.readout import READ_ONLY, DeviceReadout
from tests.aio.test_iec21_serial import FakePort, fake_serial  # noqa: F401 (fixture)

IDENTIFICATION = b"/ISK5\\2MT372-1004\r\n"


@pytest.fixture
def app() -> ServerApplication:
    start = SteppedTime(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    return build_mt372("12345678", time_base=start).app


async def until(
    primary: PrimaryStation, reader: asyncio.StreamReader, kind: type[HdlcEvent]
) -> HdlcEvent:
    loop = asyncio.get_running_loop()
    while True:
        data = await asyncio.wait_for(reader.read(4096), 5)
        assert data, "the line closed"
        for event in primary.receive_data(data, loop.time()):
            if isinstance(event, kind):
                return event


async def test_device_source_speaks_the_links_data_sets(app: ServerApplication) -> None:
    source = DeviceSource(DeviceReadout(app.device))
    assert source.readout()[0] == DataSet("C.1.0", "12345678")
    assert source.read("1.8.0") == DataSet("1.8.0", "000000.000", "kWh")
    assert source.write("1.8.0", "1") == Refusal(READ_ONLY)
    assert source.write("0.9.1", "120000") is None
    assert identification(app).encode() == IDENTIFICATION


async def test_serial_mode_e_then_back_to_300_bd(
    app: ServerApplication,
    fake_serial: tuple[list[FakePort], socket.socket],  # noqa: F811
) -> None:
    ports, hhu_end = fake_serial  # the meter opens the stand-in port; the HHU holds the other end
    timing = Timing(baud_switch=0.01)
    serving = asyncio.create_task(
        serve_meter_optical_serial(app, "/dev/ttyFAKE", password="12345678", timing=timing)
    )
    reader, writer = await asyncio.open_connection(sock=hhu_end)
    writer.write(b"/?!\r\n")
    assert await reader.readline() == IDENTIFICATION
    [port] = ports
    loop = asyncio.get_running_loop()
    primary = PrimaryStation(16, mt372_server(app.physical_address, app.logical_address))
    writer.write(bytes.fromhex("06 32 35 32 0d 0a") + primary.connect(loop.time()))
    assert isinstance(await until(primary, reader, Connected), Connected)
    assert port.baudrate == 9600
    writer.write(primary.disconnect(loop.time()))
    assert isinstance(await until(primary, reader, Disconnected), Disconnected)
    for _ in range(100):
        if port.baudrate == 300:
            break
        await asyncio.sleep(0.01)
    assert port.baudrate == 300  # the line is IEC 62056-21 again
    writer.write(b"/?12345678!\r\n")
    assert await reader.readline() == IDENTIFICATION
    writer.close()
    await asyncio.wait_for(serving, 5)


async def _stream_pair() -> tuple[
    asyncio.StreamReader, asyncio.StreamWriter, asyncio.StreamReader, asyncio.StreamWriter
]:
    a, b = socket.socketpair()
    ra, wa = await asyncio.open_connection(sock=a)
    rb, wb = await asyncio.open_connection(sock=b)
    return ra, wa, rb, wb


async def test_hdlc_stream_gives_the_line_back_when_nobody_connects(
    app: ServerApplication,
) -> None:
    meter_r, meter_w, _, hhu_w = await _stream_pair()
    await asyncio.wait_for(serve_hdlc_stream(app, meter_r, meter_w, b"\x7e\x00", idle=0.1), 2)
    hhu_w.close()


async def test_hdlc_stream_ends_with_the_line(app: ServerApplication) -> None:
    meter_r, meter_w, hhu_r, hhu_w = await _stream_pair()
    serving = asyncio.create_task(serve_hdlc_stream(app, meter_r, meter_w))
    loop = asyncio.get_running_loop()
    primary = PrimaryStation(16, mt372_server(app.physical_address, app.logical_address))
    hhu_w.write(primary.connect(loop.time()))
    assert isinstance(await until(primary, hhu_r, Connected), Connected)
    hhu_w.close()  # the HHU goes away with the link up
    await asyncio.wait_for(serving, 2)
