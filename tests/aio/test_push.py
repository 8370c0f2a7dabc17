"""Alarm call-backs over a real socket: the twin pushes a DATA-NOTIFICATION in a
wrapper frame to the head-end's listener when a cover is opened."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from openamr.aio.push import PushDelivery, parse_destination
from openamr.apdu import decode_apdu
from openamr.apdu.notification import DataNotification
from openamr.codec import Enum, OctetString, Structure
from openamr.codec.obis import Obis
from openamr.link.wrapper import ApduReceived, WrapperConnection
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode
from openamr.meter.mt372 import build_mt372


async def test_a_cover_opening_is_pushed_to_the_head_end() -> None:
    received: asyncio.Queue[ApduReceived] = asyncio.Queue()

    async def head_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = WrapperConnection()
        while data := await reader.read(4096):
            for event in link.receive_data(data):
                assert isinstance(event, ApduReceived)
                await received.put(event)
        writer.close()

    listener = await asyncio.start_server(head_end, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    time = SteppedTime(dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    meter = build_mt372("55550001", time_base=time)
    app = meter.app
    peripherals = meter.peripherals
    delivery = PushDelivery(app.logical_address, repetition_delay=0.05)
    peripherals.push.send = delivery
    setup = app.device.find(Obis.parse("0.0.25.9.0.255"))
    assert setup is not None
    where = Structure((Enum(0), OctetString(f"127.0.0.1:{port}".encode()), Enum(0)))
    assert setup.set(3, where).name == "SUCCESS"
    peripherals.open_cover("terminal")
    time.step(60)
    app.refresh()
    event = await asyncio.wait_for(received.get(), 5)
    await delivery.wait()
    listener.close()
    assert (event.source, event.destination) == (1, 1)  # meter wPort 1, push client SAP 1
    push = decode_apdu(event.payload)
    assert isinstance(push, DataNotification)
    body = push.notification_body
    assert isinstance(body, tuple) and body[-1] == EventCode.TERMINAL_COVER_OPENED
    assert delivery.delivered == 1


async def test_an_unreachable_head_end_is_retried_then_given_up() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    from openamr.meter.peripherals.push import PushMessage

    delivery = PushDelivery(repetition_delay=0.01, timeout=1)
    message = PushMessage(
        b"\x0f", f"127.0.0.1:{port}".encode(), 0, 1, 2, dt.datetime.now(dt.UTC), None
    )
    assert await delivery.deliver(message) is False
    assert delivery.delivered == 0


@pytest.mark.parametrize(
    ("text", "expected"), [(b"10.0.0.1:4059", ("10.0.0.1", 4059)), (b"[::1]:9", ("::1", 9))]
)
def test_destinations(text: bytes, expected: tuple[str, int]) -> None:
    assert parse_destination(text) == expected


@pytest.mark.parametrize("bad", [b"", b"host", b"host:", b":4059", b"h:99999", b"h:x"])
def test_bad_destinations_are_refused(bad: bytes) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_destination(bad)
