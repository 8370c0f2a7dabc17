"""The serial transports of the client on pseudo-terminals: ``serial://`` (HDLC 8N1) to
the twin's serial port, and ``optical://`` (IEC 62056-21 sign-on at 300 Bd 7E1, option
select mode E, HDLC at 9600 Bd 8N1) to the twin's optical port on its serial line.

Baud rate and framing changes are no-ops on a pty (see tests/serial_pty.py): the tests
check what both ends asked their ports for, and the bytes that crossed the line."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import termios
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from openamr.aio.dlms_server import serve_serial
from openamr.aio.optical_port import serve_meter_optical_serial
from openamr.apdu import decode_apdu
from openamr.apdu.get import GetResponseNormal
from openamr.client.errors import TransportError
from openamr.client.meter import connect
from openamr.client.transport import (
    HdlcTransport,
    OpticalHdlcTransport,
    SerialHdlcTransport,
    WrapperTransport,
    open_transport,
)
from openamr.client.url import parse_url
from openamr.codec import VisibleString
from openamr.codec.obis import Obis
from openamr.link.iec21 import Timing
from openamr.meter.application import ServerApplication
from openamr.meter.mt372 import build_mt372
from tests.client.conftest import CLIENTS
from tests.client.test_transport import AARQ, SERIAL
from tests.serial_pty import LineSettings, PtyLine

LP1 = "1.0.99.1.0.255"
FAST = Timing(baud_switch=0.01, response=1.0)
PASSWORD = "12345678"


@pytest.fixture
async def line() -> AsyncIterator[PtyLine]:
    pty = PtyLine()
    pty.start()
    yield pty
    pty.close()


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch) -> LineSettings:
    """Every port's settings recorded (and 7E1 made possible on this sandbox's ptys)."""
    return LineSettings(monkeypatch)


@pytest.fixture(scope="module")
def twin() -> ServerApplication:
    return build_mt372("87654321", history_days=2).app


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


@pytest.mark.parametrize(
    ("url", "cls"),
    [
        ("tcp://h:4059", WrapperTransport),
        ("hdlc+tcp://h:1", HdlcTransport),
        ("serial:///dev/ttyUSB0?baud=9600&physical=17", SerialHdlcTransport),
        ("optical:///dev/ttyUSB0", OpticalHdlcTransport),
    ],
)
def test_each_scheme_has_its_transport(url: str, cls: type) -> None:
    assert type(open_transport(parse_url(url), client=16)) is cls


async def test_serial_get_and_load_profile_by_entry(
    line: PtyLine, settings: LineSettings, twin: ServerApplication
) -> None:
    async with serving(serve_serial(twin, line.meter_path, 19200)):
        url = f"serial://{line.client_path}?baud=19200&physical=17"
        async with connect(url, client=32, auth="low", password=PASSWORD, timeout=3) as m:
            serial = await m.get("0.0.96.1.0.255")
            lp = await m.profile(LP1, entries=(1, 96))
            newest = await m.profile(LP1, entries=(190, 0))
    rows = list(twin.device.find(Obis.parse(LP1)).rows)  # type: ignore[union-attr]
    assert serial == VisibleString("87654321")
    assert lp.rows == rows[:96] and newest.rows == rows[189:]
    assert len(line.to_client) > 96 * 20  # the rows crossed the line
    assert settings.of(line.client_path) == [(19200, "8N1")]


async def test_serial_transport_exchange_and_disc(line: PtyLine, twin: ServerApplication) -> None:
    async with serving(serve_serial(twin, line.meter_path)):
        transport = SerialHdlcTransport(parse_url(f"serial://{line.client_path}"), 16, 3)
        await transport.open()
        await transport.exchange(AARQ)
        got = decode_apdu(await transport.exchange(SERIAL))
        await transport.close()
    assert isinstance(got, GetResponseNormal) and got.result == VisibleString("87654321")
    snrm = line.to_meter[: line.to_meter.index(b"\x7e", 1) + 1]
    assert snrm[3:7] == bytes.fromhex("02 23 21 93")  # SNRM to 1/17, from client 16
    assert bytes.fromhex("81 80 14 05 02 07 ee 06 02 07 ee") in snrm  # proposes 2030 bytes
    assert bytes.fromhex("02 23 21 53") in line.to_meter  # ... and DISC at the end


async def test_no_such_device_names_it() -> None:
    transport = SerialHdlcTransport(parse_url("serial:///dev/openamr-none"), 16, 1)
    with pytest.raises(TransportError, match="cannot open /dev/openamr-none at 9600 Bd 8N1"):
        await transport.open()


async def test_a_refused_setting_is_a_transport_error(
    line: PtyLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(fd: int, when: int, attributes: list[Any]) -> None:
        raise termios.error(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(termios, "tcsetattr", refuse)
    transport = OpticalHdlcTransport(parse_url(f"optical://{line.client_path}"), 16, 1)
    with pytest.raises(TransportError, match=r"300 Bd 7E1: the port refused the setting"):
        await transport.open()


# -- the optical port in mode E ----------------------------------------------------------


def optical(line: PtyLine, twin: ServerApplication) -> Coroutine[Any, Any, None]:
    return serve_meter_optical_serial(twin, line.meter_path, password=PASSWORD, timing=FAST)


async def test_optical_sign_on_mode_e_then_hdlc(
    line: PtyLine, settings: LineSettings, twin: ServerApplication
) -> None:
    async with serving(optical(line, twin)):
        url = parse_url(f"optical://{line.client_path}")
        for _ in range(2):  # back in IEC 62056-21 at 300 Bd after the DISC
            transport = OpticalHdlcTransport(url, 16, 3, timing=FAST)
            await transport.open()
            await transport.exchange(AARQ)
            got = decode_apdu(await transport.exchange(SERIAL))
            await transport.close()
            assert isinstance(got, GetResponseNormal) and got.result == VisibleString("87654321")
            await _until(lambda: settings.of(line.meter_path)[-1] == (300, "7E1"))
    assert line.to_meter.startswith(b"/?!\r\n\x06252\r\n")  # sign-on, ACK 2 Z=5 Y=2
    assert line.to_client.startswith(b"/ISK5\\2MT372-")  # mode E offered, 9600 Bd
    client, meter = settings.of(line.client_path), settings.of(line.meter_path)
    assert client[0] == (300, "7E1") and client[-1] == (9600, "8N1")
    assert meter[0] == (300, "7E1") and (9600, "8N1") in meter
    assert meter.count((9600, "8N1")) == 2  # each session's HDLC ran in 8N1


async def test_optical_url_through_connect_with_lls(line: PtyLine, twin: ServerApplication) -> None:
    async with serving(optical(line, twin)):
        url = f"optical://{line.client_path}"
        async with connect(url, client=32, auth="low", password=PASSWORD, timeout=3) as m:
            lp = await m.profile(LP1, entries=(1, 4))
    rows = list(twin.device.find(Obis.parse(LP1)).rows)  # type: ignore[union-attr]
    assert lp.rows == rows[:4]


async def test_optical_hls_signs_on_twice(line: PtyLine, twin: ServerApplication) -> None:
    """HLS reads the invocation counter as the public client first: two optical sessions
    one after the other on the same line, each with its own sign-on and mode E."""
    url = f"optical://{line.client_path}"
    async with (
        serving(optical(line, twin)),
        connect(url, timeout=3, **CLIENTS["hls"]) as m,
    ):
        assert await m.get("0.0.96.1.0.255") == VisibleString("87654321")
        assert m.server_invocation_counter is not None
    assert line.to_meter.count(b"/?!\r\n") == 2


async def test_optical_silent_line_fails_the_sign_on(line: PtyLine) -> None:
    url = parse_url(f"optical://{line.client_path}")
    transport = OpticalHdlcTransport(url, 16, 3, timing=Timing(response=0.2))
    with pytest.raises(TransportError, match="no sign-on"):
        await transport.open()
    await transport.close()


async def test_optical_baud_must_be_a_mode_c_rate() -> None:
    transport = OpticalHdlcTransport(parse_url("optical:///dev/x?baud=115200"), 16, 1)
    with pytest.raises(TransportError, match="baud=115200; the optical port has 300,"):
        await transport.open()


async def _until(condition: Any, timeout: float = 2.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)
