"""The virtual GSM modem end to end, over real sockets and a real pseudo-terminal: the
``csd://`` transport dials a twin's HDLC port through it (TCP and pty), ``openamr read
csd://`` in a subprocess, a caller off the whitelist gets NO ANSWER, the line's pace,
and the SMS wake-up that opens the meter's GPRS gate for its session only.

The network runs ``SPEED`` times as fast as true time (rings, timeouts, and the line's
9600 bit/s alike: see ``[network] speed`` in docs/gsm.md), so that a call is set up in
half a second; the pace is checked against the network's clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from openamr.aio.modem import ModemPool, NetworkClock
from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.client.transport import CsdTransport
from openamr.client.url import parse_url
from openamr.devices.mt372 import objects as mt372
from openamr.gsm.network import CallState, GsmNetwork
from openamr.gsm.pool import MeterLine, NetworkFile
from openamr.gsm.sim import Sim
from openamr.meter.mt372 import build_mt372
from tests.serial_pty import LineSettings

SPEED = 10.0
HEAD_END = "+38640100200"
SIM = Sim.derive(1)
PUBLIC = {"client": 16, "auth": "none", "environ": {}}


def network(csd: tuple[str, int] | None = None, **meter: object) -> NetworkFile:
    line = MeterLine(SIM, csd=csd, whitelist=(HEAD_END,), rings=1)
    return NetworkFile(HEAD_END, 9600, (replace(line, **meter),), SPEED, 0.0, 0.0, 10.0)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def meter_app() -> object:
    return build_mt372("12345678", history_days=1)


@pytest.fixture
async def hdlc_twin(meter_app: object) -> AsyncIterator[tuple[str, int]]:
    served: ServedTwin = await serve_twin(meter_app, Listeners(port=0, transport="hdlc"))  # type: ignore[arg-type]
    assert served.dlms_address is not None
    yield served.dlms_address
    await served.close()


@pytest.fixture
async def pool(hdlc_twin: tuple[str, int]) -> AsyncIterator[ModemPool]:
    p = ModemPool(network(hdlc_twin))
    await p.start()
    yield p
    await p.close()


async def read_energy(url: str) -> float:
    async with connect(url, timeout=5.0, **PUBLIC) as meter:  # type: ignore[arg-type]
        value = await meter.get("1.0.1.8.0.255", 2, class_id=3)
        assert isinstance(value, int)
        return float(value)


async def test_read_through_the_modem_on_tcp(pool: ModemPool) -> None:
    host, port = await pool.serve_tcp("127.0.0.1", 0)
    assert await read_energy(f"csd://{host}:{port}/{SIM.msisdn}") >= 0
    await asyncio.sleep(0.3)
    assert not pool.network.calls  # hung up (the meter after the DISC, or ATH)


async def test_read_through_the_modem_on_a_pty(
    pool: ModemPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    LineSettings(monkeypatch)
    path = pool.serve_pty()
    assert await read_energy(f"csd://{path}/{SIM.msisdn}") >= 0


async def test_openamr_read_csd(pool: ModemPool) -> None:
    host, port = await pool.serve_tcp("127.0.0.1", 0)
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openamr.cli.main", "read", f"csd://{host}:{port}/{SIM.msisdn}",
        "1.0.1.8.0.255", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(cli.communicate(), 60)
    assert cli.returncode == 0, err.decode()
    assert b'"1.0.1.8.0.255"' in out and b'"Wh"' in out


async def test_a_caller_off_the_whitelist_hears_no_answer(hdlc_twin: tuple[str, int]) -> None:
    p = ModemPool(network(hdlc_twin, whitelist=("+38640999999",)))
    await p.start()
    try:
        host, port = await p.serve_tcp("127.0.0.1", 0)
        with pytest.raises(MeterError, match=r"NO ANSWER.*whitelist"):
            await read_energy(f"csd://{host}:{port}/{SIM.msisdn}")
    finally:
        await p.close()


async def test_unknown_number_is_no_carrier(pool: ModemPool) -> None:
    host, port = await pool.serve_tcp("127.0.0.1", 0)
    with pytest.raises(MeterError, match=r"NO CARRIER.*check the MSISDN"):
        await read_energy(f"csd://{host}:{port}/+38649000000")


async def test_the_bytes_take_the_time_they_take() -> None:
    """N octets from the head-end reach the meter no sooner than N x 10 / 9600 s of the
    network's time after they were written, and the answer as long again."""
    arrived: list[tuple[float, int]] = []

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            arrived.append((time.monotonic(), len(data)))
            writer.write(data)

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    p = ModemPool(network(server.sockets[0].getsockname()[:2]))
    await p.start()
    try:
        reader, writer = await asyncio.open_connection(*await p.serve_tcp("127.0.0.1", 0))
        writer.write(f"ATE0D{SIM.msisdn}\r".encode())
        assert b"CONNECT 9600" in await asyncio.wait_for(reader.readuntil(b"9600\r\n"), 10)
        n = 4800  # 5 s on the line
        start = time.monotonic()
        writer.write(bytes(n))
        got = 0
        while got < n:
            got += len(await asyncio.wait_for(reader.read(65536), 10))
        both_ways = (time.monotonic() - start) * SPEED
        one_way = (arrived[-1][0] - start) * SPEED
        assert sum(size for _, size in arrived) == n
        assert one_way >= n * 10 / 9600
        assert both_ways >= n * 10 / 9600  # full duplex: the echo overlaps
        assert both_ways < 2.5 * n * 10 / 9600
        writer.close()
    finally:
        await p.close()
        server.close()


async def test_sms_wake_up_opens_the_gprs_gate_for_the_session(meter_app: object) -> None:
    served = await serve_twin(meter_app, Listeners(port=0))  # type: ignore[arg-type]
    assert served.dlms_address is not None
    p = ModemPool(network(gprs=served.dlms_address, session_s=10.0))
    await p.start()
    try:
        gate = p.gates_by_meter()[0]
        assert gate is not None and p.lookup(SIM.msisdn) is None
        with pytest.raises(MeterError, match=r"cannot connect|closed"):
            await read_energy(f"tcp://{gate[0]}:{gate[1]}")  # asleep: nobody there
        reader, writer = await asyncio.open_connection(*await p.serve_tcp("127.0.0.1", 0))
        writer.write(f'ATE0+CMGF=1;+CMGS="{SIM.msisdn}"\r'.encode())
        await asyncio.wait_for(reader.readuntil(b"> "), 5)
        writer.write(b"wake up\x1a")
        assert b"+CMGS:" in await asyncio.wait_for(reader.readuntil(b"OK\r\n"), 5)
        address = None
        for _ in range(50):  # SMS delivery 3 s + attach 5 s of the network's time
            address = p.lookup(SIM.msisdn)
            if address is not None:
                break
            await asyncio.sleep(0.05)
        assert address == gate
        assert await read_energy(f"tcp://{gate[0]}:{gate[1]}") >= 0
        for _ in range(100):  # 10 s of the network's time without data: detached
            if p.lookup(SIM.msisdn) is None:
                break
            await asyncio.sleep(0.05)
        assert p.lookup(SIM.msisdn) is None
        with pytest.raises(MeterError, match=r"cannot connect|closed"):
            await read_energy(f"tcp://{gate[0]}:{gate[1]}")  # the session is over
        writer.close()
    finally:
        await p.close()
        await served.close()


async def test_the_transport_escapes_and_hangs_up_when_the_meter_stays_on() -> None:
    """A meter that keeps the call after the DISC: the transport sends +++ after the
    guard time, gets OK, and hangs up with ATH (V.250 §6.3)."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    p = ModemPool(network(server.sockets[0].getsockname()[:2]))
    await p.start()
    try:
        host, port = await p.serve_tcp("127.0.0.1", 0)
        transport = CsdTransport(parse_url(f"csd://{host}:{port}/{SIM.msisdn}"), 16, 5.0)
        assert await transport.open_stream() == 9600
        (call,) = p.network.calls
        assert call.poll(p.clock.now()) is CallState.CONNECTED
        await transport.close_stream()
        assert call.poll(p.clock.now()) is CallState.ENDED  # hung up by the caller (ATH)
        assert not p.network.calls
    finally:
        await p.close()
        server.close()


@pytest.mark.parametrize("caller", [mt372.HEAD_END_CSD_NUMBER, "+38640999999"])
async def test_a_twin_s_own_modem_answers_as_its_auto_answer_object_says(caller: str) -> None:
    """A twin in this process with its own modem on the network: its Auto answer
    object's whitelist (the factory's head-end number) and rings decide; the call
    reaches its HDLC stations in process."""
    meter = build_mt372("20260001", time_base=lambda: dt.datetime.now(dt.UTC), speed=SPEED,
                        history_days=1)  # fmt: skip
    modem = meter.peripherals.modem.gsm
    net = GsmNetwork(setup_s=0.0, handshake_s=0.0, no_answer_s=10.0)
    net.register(modem)
    clock = NetworkClock(SPEED, meter.peripherals.modem.true_now)
    p = ModemPool(NetworkFile(caller), network=net, clock=clock, end_of=lambda m: meter.app)
    await p.start()
    try:
        host, port = await p.serve_tcp("127.0.0.1", 0)
        assert modem.sim is not None
        url = f"csd://{host}:{port}/{modem.sim.msisdn}"
        if caller == mt372.HEAD_END_CSD_NUMBER:
            assert await read_energy(url) >= 0
        else:
            with pytest.raises(MeterError, match=r"NO ANSWER"):
                await read_energy(url)
    finally:
        await p.close()
