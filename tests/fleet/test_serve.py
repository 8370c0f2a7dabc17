"""The fleet's adapter on real loopback sockets: faults shape each connection (a
refused call, a silent meter, a full cell, a cut transfer), hibernation on idle."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import replace

from openamr.fleet.config import Addresses, FleetConfig, Network
from openamr.fleet.faults import FaultRates
from openamr.fleet.serve import FleetServer
from openamr.link.wrapper import encode_wrapper
from tests.addresses import loopback_block
from tests.fleet.conftest import serving as fleet_serving
from tests.fleet.conftest import small

FIRST = loopback_block()  # drawn per run (tests/addresses.py)
SECOND = FIRST[: -len(".1")] + ".2"


def _config(meters: int, **faults: float) -> FleetConfig:
    base = small(meters, addresses=Addresses(first=FIRST, port=4059))
    return replace(base, faults=replace(FaultRates.none(), **faults))


def serving(config: FleetConfig) -> AbstractAsyncContextManager[FleetServer]:
    return fleet_serving(config, idle_s=0.2)


#: The public client's AARQ (Green Book 11.5 example: LN referencing, no security).
AARQ = bytes.fromhex(
    "60 1D A1 09 06 07 60 85 74 05 08 01 01 BE 10 04 0E 01 00 00 00 06 5F 1F 04 00 00 7E 1F FF FF"
)


def _aarq() -> bytes:
    """The AARQ in a wrapper frame (client 16 to the logical device 1)."""
    return encode_wrapper(16, 1, AARQ)


async def _exchange(host: str, timeout: float = 2.0) -> bytes:
    reader, writer = await asyncio.open_connection(host, 4059)
    try:
        writer.write(_aarq())
        return await asyncio.wait_for(reader.read(4096), timeout)
    finally:
        writer.close()


async def test_a_meter_answers_an_aarq() -> None:
    async with serving(_config(2)) as server:
        answer = await _exchange(SECOND)
        assert answer[:2] == b"\x00\x01" and answer[8] == 0x61  # an AARE
        assert server.fleet.condition(1) == "awake" and server.fleet.condition(0) == "unbuilt"


async def test_an_offline_meter_refuses_the_call() -> None:
    async with serving(_config(2, offline=1.0)) as server:
        reader, writer = await asyncio.open_connection(FIRST, 4059)
        assert await reader.read(100) == b""  # reset at once
        writer.close()
        assert server.fleet.stats.refused == 1 and server.fleet.awake == {}


async def test_a_silent_meter_never_answers() -> None:
    async with serving(_config(1, no_answer=1.0)):
        try:
            await _exchange(FIRST, timeout=0.3)
            raise AssertionError("the silent meter answered")
        except TimeoutError:
            pass


async def test_a_full_cell_refuses_the_next_call() -> None:
    config = replace(_config(2), network=replace(Network(), cell_capacity=1))
    async with serving(config) as server:
        _, first = await asyncio.open_connection(FIRST, 4059)
        await asyncio.sleep(0.05)
        reader, second = await asyncio.open_connection(SECOND, 4059)
        assert await reader.read(100) == b""
        assert server.fleet.stats.refused == 1
        first.close(), second.close()
        await asyncio.sleep(0.05)
        assert (await _exchange(SECOND))[8] == 0x61  # the cell has room again


GET_CLOCK = bytes.fromhex("C0 01 C1 00 08 00 00 01 00 00 FF 02 00")


def _frames(data: bytes) -> tuple[int, bool]:
    """Complete wrapper frames in ``data``, and whether it ends inside one."""
    count, at = 0, 0
    while at + 8 <= len(data) and at + 8 + int.from_bytes(data[at + 6 : at + 8]) <= len(data):
        at += 8 + int.from_bytes(data[at + 6 : at + 8])
        count += 1
    return count, at < len(data)


async def test_a_dropped_session_is_cut_mid_answer() -> None:
    async with serving(_config(1, drop=1.0)) as server:
        fate = server.fleet.faults.session(0, 0, server.fleet.now().timestamp())
        assert fate.drop_after is not None
        reader, writer = await asyncio.open_connection(FIRST, 4059)
        got = b""
        for request in [_aarq()] + [encode_wrapper(16, 1, GET_CLOCK)] * 4:
            writer.write(request)
            chunk = await asyncio.wait_for(reader.read(4096), 2)
            got += chunk
            if not chunk or _frames(got)[1]:
                break
        rest = await asyncio.wait_for(reader.read(4096), 2)
        writer.close()
        assert rest == b"" and _frames(got) == (fate.drop_after - 1, True)


async def test_a_slow_meter_holds_its_answer() -> None:
    async with serving(_config(1, slow=1.0)) as server:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await _exchange(FIRST, timeout=4)
        rtt = server.fleet.faults.session(0, 0, server.fleet.now().timestamp()).rtt_s
        assert loop.time() - t0 >= rtt >= 0.5


async def test_idle_meters_hibernate() -> None:
    async with serving(_config(1)) as server:
        await _exchange(FIRST)
        await asyncio.sleep(0.3)
        server._tick()
        assert server.fleet.condition(0) == "hibernated"
        assert (await _exchange(FIRST))[8] == 0x61 and server.fleet.stats.woken == 1
