"""HDLC on a serial line, meter side: one twin or a bus of twins on a pseudo-terminal,
read by our client's serial transport and by dlms-cosem's HdlcTransport over its
SerialIO (a blocking pyserial port, in a thread). Baud rates are no-ops on a pty (see
tests/serial_pty.py): the tests check what the ports asked for, not the timing."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from dlms_cosem import cosem, enumerations
from dlms_cosem.client import DlmsClient
from dlms_cosem.io import HdlcTransport, SerialIO
from dlms_cosem.security import NoSecurityAuthentication

from openamr.aio.dlms_server import serve_bus, serve_serial
from openamr.aio.hdlc_line import HdlcLine
from openamr.aio.lines import open_serial
from openamr.apdu import decode_apdu
from openamr.apdu.get import GetResponseNormal
from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.codec import VisibleString, decode
from openamr.link.hdlc import Connected, DataReceived, PrimaryStation, mt372_server
from openamr.meter.application import ServerApplication
from openamr.meter.mt372 import build_mt372
from tests.client.test_transport import AARQ
from tests.client.test_transport import SERIAL as GET_SERIAL
from tests.serial_pty import LineSettings, PtyLine

SERIAL_NUMBER = "0.0.96.1.0.255"


@pytest.fixture
async def line() -> AsyncIterator[PtyLine]:
    pty = PtyLine()
    pty.start()
    yield pty
    pty.close()


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> LineSettings:
    return LineSettings(monkeypatch)


@contextlib.asynccontextmanager
async def serving(coroutine: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(coroutine)
    await asyncio.sleep(0.05)  # the port is open
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def meter(serial: str, physical: int = 17) -> ServerApplication:
    meter = build_mt372(serial)
    app = meter.app
    app.physical_address = physical
    return app


async def test_a_bus_of_two_answers_each_at_its_own_address(
    line: PtyLine, settings: LineSettings
) -> None:
    bus = [meter("11111117", 17), meter("22222218", 18)]
    async with serving(serve_bus(bus, line.meter_path, 19200)):
        for physical, expected in ((18, "22222218"), (17, "11111117"), (18, "22222218")):
            url = f"serial://{line.client_path}?physical={physical}&baud=19200"
            async with connect(url, client=16, timeout=3) as m:
                assert await m.get(SERIAL_NUMBER) == VisibleString(expected)
        with pytest.raises(MeterError, match=r"no answer within 0\.3 s"):
            url = f"serial://{line.client_path}?physical=19&baud=19200"
            async with connect(url, client=16, timeout=0.3, retries=0):
                pass  # nobody at 19: the SNRM goes unanswered
    assert settings.of(line.meter_path) == [(19200, "8N1")]
    assert settings.of(line.client_path) == [(19200, "8N1")]


async def test_two_links_open_at_once_on_one_bus() -> None:
    """A concentrator keeps links to meters 17 and 18 up together and polls them in
    turn: every frame reaches the station it names, each answer comes from its own."""
    bus = [meter("11111117", 17), meter("22222218", 18)]
    wire = bytearray()
    line = HdlcLine(bus, wire.extend)
    primaries = {p: PrimaryStation(16, mt372_server(p)) for p in (17, 18)}

    def exchange(physical: int, out: bytes, wanted: type) -> Any:
        line.receive(out)
        answer, wire[:] = bytes(wire), b""
        found = [e for p in primaries.values() for e in p.receive_data(answer, 0.0)]
        (event,) = [e for e in found if isinstance(e, wanted)]  # one station answered
        return event

    for p in (17, 18):
        exchange(p, primaries[p].connect(0.0), Connected)
    for p in (17, 18, 17):
        exchange(p, primaries[p].send_data(AARQ, 0.0), DataReceived)
    for p, serial in ((18, "22222218"), (17, "11111117")):
        got = decode_apdu(exchange(p, primaries[p].send_data(GET_SERIAL, 0.0), DataReceived).data)
        assert isinstance(got, GetResponseNormal) and got.result == VisibleString(serial)
    line.close()


async def test_garbage_on_the_line_does_not_stop_the_bus(line: PtyLine) -> None:
    async with serving(serve_serial(meter("33333333"), line.meter_path)):
        _, writer = await open_serial(line.client_path)
        writer.write(bytes.fromhex("7e a0 07 03 21 93 ff ff 7e") + b"\x00\xff" * 40 + b"\x7e")
        await writer.drain()
        writer.close()
        async with connect(f"serial://{line.client_path}", client=16, timeout=3) as m:
            assert await m.get(SERIAL_NUMBER) == VisibleString("33333333")


def test_a_bus_needs_distinct_addresses() -> None:
    async def build() -> None:
        HdlcLine([meter("1", 17), meter("2", 17)], lambda data: None)

    with pytest.raises(ValueError, match="distinct HDLC addresses"):
        asyncio.run(build())


async def test_dlms_cosem_reads_the_twin_over_its_serial_io(line: PtyLine) -> None:
    def read() -> tuple[Any, Any]:
        io = SerialIO(port_name=line.client_path, baud_rate=9600, timeout=3)
        link = HdlcTransport(
            client_logical_address=16, server_logical_address=1, server_physical_address=17,
            io=io, timeout=3,
        )  # fmt: skip
        auth = NoSecurityAuthentication()
        with DlmsClient(transport=link, authentication=auth).session() as client:  # type: ignore[arg-type]
            name = cosem.Obis.from_string(SERIAL_NUMBER)
            raw = client.get(cosem.CosemAttribute(enumerations.CosemInterface.DATA, name, 2))
            a_plus = cosem.Obis.from_string("1.0.1.8.0.255")
            energy = client.get(
                cosem.CosemAttribute(enumerations.CosemInterface.REGISTER, a_plus, 2)
            )
        return raw, energy

    async with serving(serve_serial(meter("44444444"), line.meter_path)):
        raw, energy = await asyncio.wait_for(asyncio.to_thread(read), 10)
        async with connect(f"serial://{line.client_path}", client=16, timeout=3) as m:
            ours = await m.get("1.0.1.8.0.255")
    assert decode(raw) == VisibleString("44444444")
    assert decode(energy) == ours  # the twin's clock is stepped: one value


async def test_meter_serve_cli_on_a_serial_line(line: PtyLine) -> None:
    """``openamr meter serve --serial PATH --baud 19200``, read over the line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openamr.cli.main", "meter", "serve", "--port", "0",
        "--serial", line.meter_path, "--baud", "19200", "--serial-number", "55555555",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        banner = await asyncio.wait_for(_line_with(process.stdout, b"HDLC on"), 10)
        assert f"HDLC on {line.meter_path} at 19200 Bd 8N1".encode() in banner
        url = f"serial://{line.client_path}?baud=19200"
        async with connect(url, client=16, timeout=3) as m:
            assert await m.get(SERIAL_NUMBER) == VisibleString("55555555")
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 5)


async def _line_with(stream: asyncio.StreamReader, text: bytes) -> bytes:
    while text not in (got := await stream.readline()):
        assert got, "the meter exited"
    return got
