"""Client transports against our server over loopback sockets, and their errors."""

from __future__ import annotations

import asyncio

import pytest

from openamr.aio.dlms_server import serve_hdlc, serve_wrapper
from openamr.apdu import decode_apdu
from openamr.apdu.acse import Aare, Aarq, AssociationResult
from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.get import GetRequestNormal, GetResponseNormal
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.client.errors import TransportError
from openamr.client.transport import HdlcTransport, WrapperTransport, open_transport
from openamr.client.url import MeterUrl, UrlError, parse_url
from openamr.codec import VisibleString
from openamr.codec.obis import Obis
from openamr.meter.mt372 import build_mt372

AARQ = Aarq(
    user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes()
).to_bytes()
SERIAL = GetRequestNormal(CosemAttributeDescriptor(1, Obis.parse("0.0.96.1.0.255"), 2)).to_bytes()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp://10.0.0.5:4059", MeterUrl("tcp", "10.0.0.5", 4059, baud=0)),
        ("hdlc+tcp://h:10001?physical=42", MeterUrl("hdlc+tcp", "h", 10001, physical=42, baud=0)),
        ("hdlc+tcp://h:1?baud=9600", MeterUrl("hdlc+tcp", "h", 1, baud=9600)),
        ("serial:///dev/ttyUSB0?baud=19200", MeterUrl("serial", device="/dev/ttyUSB0", baud=19200)),
        ("optical:///dev/ttyUSB1", MeterUrl("optical", device="/dev/ttyUSB1")),
    ],
)
def test_parse_url(text: str, expected: MeterUrl) -> None:
    assert parse_url(text) == expected


@pytest.mark.parametrize(
    "bad", ["10.0.0.5:4059", "tcp://host", "ftp://x:1", "serial://", "tcp://h:1?server=x"]
)
def test_bad_urls_say_what_to_write(bad: str) -> None:
    with pytest.raises(UrlError, match=r"tcp://|give host|device|invalid"):
        parse_url(bad)


@pytest.mark.parametrize("kind", ["tcp", "hdlc+tcp"])
async def test_exchange_with_the_twin(kind: str) -> None:
    meter = build_mt372("87654321")
    app = meter.app
    server = await (serve_wrapper if kind == "tcp" else serve_hdlc)(app, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = open_transport(MeterUrl(kind, "127.0.0.1", port), client=16, timeout=3)
    await transport.open()
    try:
        aare = decode_apdu(await transport.exchange(AARQ))
        assert isinstance(aare, Aare) and aare.result is AssociationResult.ACCEPTED
        got = decode_apdu(await transport.exchange(SERIAL))
        assert isinstance(got, GetResponseNormal) and got.result == VisibleString("87654321")
    finally:
        await transport.close()
        server.close()


async def test_no_listener_is_a_clear_error() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    transport = WrapperTransport(MeterUrl("tcp", "127.0.0.1", port), client=16, timeout=2)
    with pytest.raises(TransportError, match="cannot connect"):
        await transport.open()


@pytest.mark.parametrize("cls", [WrapperTransport, HdlcTransport])
async def test_silent_meter_times_out(cls: type[WrapperTransport] | type[HdlcTransport]) -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = cls(MeterUrl("tcp", "127.0.0.1", port), client=16, timeout=0.5)
    try:
        with pytest.raises(TransportError, match=r"no answer|link down"):
            await transport.open()
            await transport.exchange(AARQ)
    finally:
        await transport.close()
        server.close()


@pytest.mark.parametrize("pause", [0.15, 0.6])
async def test_the_wrapper_timeout_is_silence_not_the_length_of_an_answer(pause: float) -> None:
    """An answer in chunks that each come within ``timeout`` arrives however long it
    takes in all (here 4 pauses of 0.15 s with a 0.4 s timeout); a pause longer than
    the timeout mid-answer is "no answer"."""
    from openamr.link.wrapper import encode_wrapper

    answer = encode_wrapper(1, 16, bytes(range(200)))

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)
        for i in range(0, len(answer), 50):
            writer.write(answer[i : i + 50])
            await writer.drain()
            await asyncio.sleep(pause)

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = WrapperTransport(MeterUrl("tcp", "127.0.0.1", port), client=16, timeout=0.4)
    try:
        await transport.open()
        if pause < 0.4:
            assert await transport.exchange(SERIAL) == bytes(range(200))
        else:
            with pytest.raises(TransportError, match=r"no answer within 0.4 s"):
                await transport.exchange(SERIAL)
    finally:
        await transport.close()
        server.close()
