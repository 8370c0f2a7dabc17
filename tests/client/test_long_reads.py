"""Whole load profiles of 30 and 365 days (issue 10, "Reads that fail"): over the
wrapper, HDLC over TCP and the optical port's mode E; the HDLC link negotiated from
the meter's IEC HDLC setup object; and the timeout timed frame by frame on a line
paced like a real one (tests/paced_line.py), so that a long answer is not silence."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from openamr.aio.optical_port import serve_meter_optical_serial
from openamr.aio.serve import Listeners, serve_twin
from openamr.client.meter import connect
from openamr.client.transport import HdlcTransport
from openamr.client.url import parse_url
from openamr.codec.obis import Obis
from openamr.codec.types import LongUnsigned, Unsigned
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.link.hdlc.params import HdlcParameters
from openamr.meter.application import ServerApplication
from openamr.meter.assembly import TwinMeter
from openamr.meter.mt372 import build_mt372
from tests.client.conftest import CLIENTS
from tests.client.test_serial_transport import FAST, PASSWORD, serving
from tests.paced_line import DOWN, PacedLine
from tests.serial_pty import LineSettings, PtyLine

LP1 = Obis.parse("1.0.99.1.0.255")
LLS = CLIENTS["lls"]
SCHEMES = {"wrapper": "tcp", "hdlc": "hdlc+tcp"}


def rows_of(app: ServerApplication) -> list[tuple[object, ...]]:
    lp = app.device.find(LP1)
    assert isinstance(lp, ProfileGeneric)
    return list(lp.rows)


@pytest.fixture(scope="module", params=[30, 365], ids=["30-days", "365-days"])
def long_meter(request: pytest.FixtureRequest) -> TwinMeter:
    return build_mt372("12345678", history_days=request.param)


@pytest.fixture
def long_twin(long_meter: TwinMeter) -> ServerApplication:
    return long_meter.app


@contextlib.asynccontextmanager
async def served(meter: TwinMeter, link: str) -> AsyncIterator[str]:
    """The meter served by ``serve_twin`` on ``link``; its URL."""
    twin = await serve_twin(meter, Listeners(port=0, transport=link))  # type: ignore[arg-type]
    assert twin.dlms is not None
    try:
        yield f"{SCHEMES[link]}://127.0.0.1:{twin.dlms.sockets[0].getsockname()[1]}"
    finally:
        await twin.close()


@pytest.mark.parametrize("link", ["wrapper", "hdlc"])
async def test_a_whole_long_profile(long_meter: TwinMeter, link: str) -> None:
    """19,680 entries (the MT372's capacity, 205 days at 15 min) or 2,880: all rows.
    Before: HDLC stopped at 2,340 entries (a 64 KiB block with its LLC header was
    above the reassembly limit and dropped without a word)."""
    async with served(long_meter, link) as url, connect(url, timeout=5, **LLS) as meter:
        lp = await meter.profile(LP1)
    expected = rows_of(long_meter.app)
    assert len(expected) in (2880, 19680)
    assert lp.rows == expected


@pytest.fixture
async def line() -> AsyncIterator[PtyLine]:
    pty = PtyLine()
    pty.start()
    yield pty
    pty.close()


async def test_a_whole_long_profile_over_the_optical_port(
    long_twin: ServerApplication, line: PtyLine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mode E: sign-on at 300 Bd, HDLC at 9600 Bd (a pty carries it at memory speed)."""
    LineSettings(monkeypatch)
    port = serve_meter_optical_serial(long_twin, line.meter_path, password=PASSWORD, timing=FAST)
    async with serving(port):
        url = f"optical://{line.client_path}"
        async with connect(url, timeout=5, **LLS) as meter:
            lp = await meter.profile(LP1)
    assert lp.rows == rows_of(long_twin)


# -- the HDLC link negotiated ---------------------------------------------------------


def with_hdlc_setup(max_info: int, window: int) -> TwinMeter:
    meter = build_mt372("12345678", history_days=1)
    setup = meter.app.device.find(Obis.parse("0.0.22.0.0.255"))
    assert isinstance(setup, IecHdlcSetup)
    setup.max_info_field_length_transmit = LongUnsigned(max_info)
    setup.max_info_field_length_receive = LongUnsigned(max_info)
    setup.window_size_transmit = Unsigned(window)
    setup.window_size_receive = Unsigned(window)
    return meter


@pytest.mark.parametrize(("max_info", "window"), [(2030, 7), (256, 3), (128, 1)])
async def test_the_link_is_what_the_hdlc_setup_object_allows(max_info: int, window: int) -> None:
    """The client proposes 2030 bytes and window 7; the meter answers with what its
    0.0.22.0.0.255 allows, and its frames keep to it."""
    twin = with_hdlc_setup(max_info, window)
    async with served(twin, "hdlc") as url:
        line = PacedLine("127.0.0.1", int(url.rsplit(":", 1)[1]), baud=10_000_000)
        port = await line.start()
        try:
            transport = HdlcTransport(parse_url(f"hdlc+tcp://127.0.0.1:{port}"), 32, 3)
            await transport.open()
            negotiated = transport.station.params
            await transport.close()
            async with connect(f"hdlc+tcp://127.0.0.1:{port}", timeout=3, **LLS) as meter:
                lp = await meter.profile(LP1)
        finally:
            await line.close()
    assert negotiated == HdlcParameters(max_info, max_info, window, window)
    assert lp.rows == rows_of(twin.app)


async def test_the_twin_advertises_a_large_link() -> None:
    app = build_mt372("12345678").app
    setup = app.device.find(Obis.parse("0.0.22.0.0.255"))
    assert isinstance(setup, IecHdlcSetup)
    assert (setup.max_info_field_length_receive, setup.window_size_receive) == (2030, 7)


# -- a slow line: the timeout is silence, not the length of the answer --------------


@pytest.mark.parametrize("link", ["wrapper", "hdlc"])
async def test_a_long_answer_on_a_slow_line_is_not_silence(link: str) -> None:
    """About 14 kB at 57,600 Bd take 2.5 s; a timeout of 1 s must not cut them
    (before: "no answer within 1 s", the timeout covered the whole APDU)."""
    twin = build_mt372("12345678", history_days=6)
    async with served(twin, link) as url:
        upstream = int(url.rsplit(":", 1)[1])
        # 64-octet pieces (11 ms): a request or a poll crosses in one piece, so that a
        # stall of this busy test machine cannot break it against the 25 ms inter-octet
        # time-out (a lost poll costs the 2 s response timer, more than the timeout here)
        line = PacedLine("127.0.0.1", upstream, baud=57_600, turnaround=0.005, chunk=64)
        port = await line.start()
        try:
            url = f"{SCHEMES[link]}://127.0.0.1:{port}"
            async with connect(url, timeout=1, **LLS) as meter:
                lp = await meter.profile(LP1, entries=(1, 500))
        finally:
            await line.close()
    assert lp.rows == rows_of(twin.app)[:500]
    assert line.stats.octets[DOWN] * 10 / 57_600 > 2.0  # the answer took > 2 s to cross
