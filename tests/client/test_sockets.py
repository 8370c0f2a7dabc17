"""The blocking ``tcp://`` transport and the loop-free runner (openamr.client.sockets)
against the twin and against misbehaving peers, each served from a background
event loop so that the test's own thread may block: the same answers and the same
errors as the asyncio transport."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from openamr.aio.serve import Listeners
from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, AssociationResult
from openamr.apdu.get import GetResponseNormal
from openamr.client.errors import TransportError
from openamr.client.meter import connect
from openamr.client.sockets import SocketTransport, open_blocking, run_blocking
from openamr.client.transport import HdlcTransport, WrapperTransport
from openamr.client.url import MeterUrl
from openamr.codec import VisibleString
from openamr.link.wrapper import encode_wrapper
from openamr.meter.mt372 import build_mt372
from tests.background import BackgroundLoop, background_loop
from tests.client.test_transport import AARQ, SERIAL

LP1 = "1.0.99.1.0.255"


@pytest.fixture
def bg() -> Iterator[BackgroundLoop]:
    with background_loop() as loop:
        yield loop


def _twin(bg: BackgroundLoop) -> MeterUrl:
    port = bg.serve_twin(build_mt372("87654321", history_days=2), Listeners(port=0))
    return MeterUrl("tcp", "127.0.0.1", port)


def _peer(bg: BackgroundLoop, answer: bytes, pause: float = 0.0, chunk: int = 1 << 16) -> MeterUrl:
    """A peer that reads one request, then sends ``answer`` in chunks of ``chunk``
    bytes ``pause`` seconds apart and closes."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        for i in range(0, len(answer), chunk):
            writer.write(answer[i : i + chunk])
            await writer.drain()
            await asyncio.sleep(pause)
        await asyncio.sleep(pause)
        writer.close()

    port = bg.serve(lambda: asyncio.start_server(serve, "127.0.0.1", 0))
    return MeterUrl("tcp", "127.0.0.1", port)


def _exchange(url: MeterUrl, apdu: bytes, timeout: float = 3.0) -> bytes:
    transport = SocketTransport(url, client=16, timeout=timeout)

    async def go() -> bytes:
        await transport.open()
        try:
            return await transport.exchange(apdu)
        finally:
            await transport.close()

    return run_blocking(go())


def test_exchange_with_the_twin_without_an_event_loop(bg: BackgroundLoop) -> None:
    transport = SocketTransport(_twin(bg), client=16, timeout=3)

    async def go() -> tuple[bytes, bytes]:
        await transport.open()
        try:
            return await transport.exchange(AARQ), await transport.exchange(SERIAL)
        finally:
            await transport.close()

    aare, got = map(decode_apdu, run_blocking(go()))
    assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
    assert isinstance(got, GetResponseNormal) and got.result == VisibleString("87654321")
    assert transport.line is None  # closed


def test_a_session_reads_what_the_asyncio_transport_reads(bg: BackgroundLoop) -> None:
    """A whole association (AARQ, a long GET in blocks, RLRQ) through connect():
    the same rows over the blocking socket as over asyncio's streams."""
    url = _twin(bg)

    async def profile(**kwargs: object) -> list[tuple[object, ...]]:
        async with connect(url, 32, "low", password=b"12345678", environ={},
                           max_pdu_size=512, **kwargs) as meter:  # fmt: skip
            return (await meter.profile(LP1)).rows

    blocking = run_blocking(profile(open_transport=open_blocking))
    assert len(blocking) == 2 * 96
    assert blocking == asyncio.run(profile())


def test_no_listener_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        url = MeterUrl("tcp", "127.0.0.1", probe.getsockname()[1])
    with pytest.raises(TransportError, match=r"cannot connect.*check the address"):
        _exchange(url, AARQ)


def test_a_silent_meter_times_out() -> None:
    with background_loop() as bg:
        url = _peer(bg, b"", pause=2.0)
        with pytest.raises(TransportError, match=r"no answer within 0.3 s"):
            _exchange(url, AARQ, timeout=0.3)


@pytest.mark.parametrize("pause", [0.15, 0.6])
def test_the_timeout_is_silence_not_the_length_of_an_answer(
    bg: BackgroundLoop, pause: float
) -> None:
    """Chunks that each come within the timeout make an answer however long it takes
    in all (4 pauses of 0.15 s against 0.4 s); a longer pause mid-answer is silence."""
    url = _peer(bg, encode_wrapper(1, 16, bytes(range(200))), pause=pause, chunk=50)
    if pause < 0.4:
        assert _exchange(url, SERIAL, timeout=0.4) == bytes(range(200))
    else:
        with pytest.raises(TransportError, match=r"no answer within 0.4 s"):
            _exchange(url, SERIAL, timeout=0.4)


def test_a_meter_that_hangs_up_and_a_bad_frame_are_named(bg: BackgroundLoop) -> None:
    with pytest.raises(TransportError, match="the meter closed the connection"):
        _exchange(_peer(bg, b""), AARQ)
    with pytest.raises(TransportError, match="bad wrapper frame"):
        _exchange(_peer(bg, b"\x00\x02" + bytes(30)), AARQ)  # wrapper version 2


def test_open_blocking_leaves_the_other_schemes_to_asyncio() -> None:
    assert isinstance(open_blocking(MeterUrl("tcp", "h", 1), 16, 1.0), SocketTransport)
    assert isinstance(open_blocking(MeterUrl("hdlc+tcp", "h", 1), 16, 1.0), HdlcTransport)
    assert not isinstance(open_blocking(MeterUrl("tcp", "h", 1), 16, 1.0), WrapperTransport)


def test_run_blocking_refuses_a_coroutine_that_waits_and_closes_it() -> None:
    closed: list[bool] = []

    async def waits() -> int:
        try:
            await asyncio.sleep(0)  # yields to a loop: there is none
            return 1
        finally:
            closed.append(True)

    with pytest.raises(RuntimeError, match="needs an event loop"):
        run_blocking(waits())
    assert closed == [True]

    async def answers() -> int:
        return 42

    assert run_blocking(answers()) == 42
