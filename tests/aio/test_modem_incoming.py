"""A meter calls the head-end's modem over a real socket (issue 16; docs/gsm.md "The
modem's commands"): the TCP line prints RING, ATA answers, CONNECT 9600, and the call
carries the head-end's HDLC to the twin (SNRM answered by UA); the DTE closing the
line under &D2 hangs the call up, under &D0 leaves it to the meter's inactivity
timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from openamr.aio.modem import ModemPool
from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.gsm.call import CallState
from openamr.gsm.pool import MeterLine, NetworkFile
from openamr.gsm.sim import Sim
from openamr.link.hdlc.address import PUBLIC_CLIENT, Address, mt372_server
from openamr.link.hdlc.frame import Control, Frame, Kind
from openamr.meter.mt372 import build_mt372

SPEED = 10.0
HEAD_END = "+38640100200"
SIM = Sim.derive(5)


@pytest.fixture
async def pool() -> AsyncIterator[ModemPool]:
    served: ServedTwin = await serve_twin(build_mt372("12345679", history_days=1),
                                          Listeners(port=0, transport="hdlc"))  # fmt: skip
    line = MeterLine(SIM, csd=served.dlms_address, whitelist=(HEAD_END,), inactivity_s=20.0)
    p = ModemPool(NetworkFile(HEAD_END, 9600, (line,), SPEED, 0.5, 0.5, 10.0))
    await p.start()
    yield p
    await p.close()
    await served.close()


async def until(reader: asyncio.StreamReader, wanted: bytes, seconds: float = 10.0) -> bytes:
    got = bytearray()
    async with asyncio.timeout(seconds):
        while wanted not in got:
            got += await reader.read(4096)
    return bytes(got)


async def frames(reader: asyncio.StreamReader, seconds: float = 10.0) -> bytes:
    """Up to the closing flag of the first HDLC frame (its octets arrive at the line's
    pace: in one read or in several)."""
    got = bytearray()
    async with asyncio.timeout(seconds):
        while got.count(b"\x7e") < 2:
            got += await reader.read(4096)
    return bytes(got)


async def test_a_meters_call_is_answered_with_ata_and_carries_hdlc(pool: ModemPool) -> None:
    host, port = await pool.serve_tcp("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"ATE0\r")
    await until(reader, b"OK")
    modem = pool.network.find(SIM.msisdn)
    assert modem is not None
    call = pool.network.call_head_end(modem, HEAD_END, pool.clock.now())
    assert b"RING" in await until(reader, b"RING")
    writer.write(b"ATA\r")
    assert b"CONNECT 9600" in await until(reader, b"CONNECT 9600")
    snrm = Frame(mt372_server(), Address.client(PUBLIC_CLIENT), Control(Kind.SNRM, pf=True))
    writer.write(snrm.encode())
    answer = await frames(reader)
    assert Frame.decode(answer[answer.index(b"\x7e") :]).kind is Kind.UA
    writer.close()  # DTR off under &D2: the call is hung up
    for _ in range(100):
        if call.poll(pool.clock.now()).final:
            break
        await asyncio.sleep(0.05)
    assert call.state is CallState.ENDED


async def test_under_and_d0_the_call_outlives_the_dte(pool: ModemPool) -> None:
    host, port = await pool.serve_tcp("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(b"ATE0&D0S0=1\r")
    await until(reader, b"OK")
    modem = pool.network.find(SIM.msisdn)
    assert modem is not None
    call = pool.network.call_head_end(modem, HEAD_END, pool.clock.now())
    assert b"CONNECT 9600" in await until(reader, b"CONNECT 9600")  # S0=1: answered
    writer.close()
    await asyncio.sleep(0.3)
    assert call.poll(pool.clock.now()) is CallState.CONNECTED and pool.lines
    for _ in range(100):  # the meter's inactivity timeout: 20 s, 2 s at SPEED
        if call.poll(pool.clock.now()).final:
            break
        await asyncio.sleep(0.05)
    assert call.state is CallState.NO_CARRIER
    await asyncio.sleep(0.1)
    assert not pool.lines  # the line went with its call
