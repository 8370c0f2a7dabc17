"""The optical port over TCP: our HHU and the independent iec62056-21 client against our
meter server on 127.0.0.1, with exactly the bytes of the serial line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from iec62056_21 import messages  # test oracle, dev extra only
from iec62056_21.client import Iec6205621Client

from openamr.aio.hhu import (
    OpticalPortError,
    open_optical,
    read_readout,
    read_register,
    write_register,
)
from openamr.aio.iec21_server import start_optical_server
from openamr.link.iec21 import (
    EXAMPLE_READOUT,
    FailureKind,
    ModeEHandover,
    StaticSource,
    Timing,
    iskraemeco_identification,
)

PASSWORD = "12345678"


@pytest.fixture
def source() -> StaticSource:
    return StaticSource.of(EXAMPLE_READOUT, writable={"1.8.0"})


@pytest.fixture
async def url(source: StaticSource) -> AsyncIterator[str]:
    server = await start_optical_server("127.0.0.1", 0, source, password=PASSWORD)
    port = server.sockets[0].getsockname()[1]
    yield f"tcp://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


async def test_our_client_reads_the_readout(url: str) -> None:
    ident, readout = await read_readout(url)
    assert ident == iskraemeco_identification()
    assert readout.data_sets == EXAMPLE_READOUT


async def test_our_client_reads_and_writes_in_programming_mode(
    url: str, source: StaticSource
) -> None:
    value = await read_register(url, "1.8.0", PASSWORD)
    assert (value.value, value.unit) == ("001234.567", "kWh")
    await write_register(url, "1.8.0", "000042.000", PASSWORD)
    assert source.registers["1.8.0"].value == "000042.000"


async def test_wrong_password_is_reported(url: str) -> None:
    with pytest.raises(OpticalPortError) as e:
        await read_register(url, "1.8.0", "nope")
    assert e.value.failure.kind is FailureKind.WRONG_PASSWORD


async def test_unknown_register_is_refused(url: str) -> None:
    with pytest.raises(OpticalPortError) as e:
        await read_register(url, "9.9.9", PASSWORD)
    assert e.value.failure.kind is FailureKind.REFUSED


async def test_silent_peer_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        await asyncio.sleep(5)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(OpticalPortError) as e:
            await read_readout(f"tcp://127.0.0.1:{port}", timing=Timing(response=0.2))
        assert e.value.failure.kind is FailureKind.NO_ANSWER
    finally:
        server.close()


async def test_nobody_listening_is_no_answer() -> None:
    with pytest.raises(OpticalPortError) as e:
        await open_optical("tcp://127.0.0.1:1")
    assert e.value.failure.kind is FailureKind.NO_ANSWER


async def test_garbage_does_not_stop_the_server(url: str) -> None:
    host, port = url[6:].rsplit(":", 1)
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"\x00\xff\x02garbage\x03\x00/xx\r\n\x01\x01\x01")
    await writer.drain()
    writer.close()
    _, readout = await read_readout(url)  # the server still answers the next HHU
    assert readout.data_sets == EXAMPLE_READOUT


async def test_mode_e_hands_the_connection_to_the_callback(source: StaticSource) -> None:
    handed: list[tuple[ModeEHandover, bytes]] = []

    async def hdlc(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, event: ModeEHandover
    ) -> None:
        handed.append((event, await reader.read(100)))
        writer.write(b"\x7e\x7e")
        await writer.drain()

    server = await start_optical_server("127.0.0.1", 0, source, on_mode_e=hdlc)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"/?!\r\n")
    assert await reader.readline() == b"/ISK5\\2MT372-1004\r\n"
    writer.write(bytes.fromhex("06 32 35 32 0d 0a 7e a0"))
    await writer.drain()
    await asyncio.sleep(0.05)
    writer.write(bytes.fromhex("07 03"))
    assert await reader.readexactly(2) == b"\x7e\x7e"
    writer.close()
    server.close()
    assert handed[0][0] == ModeEHandover(9600, bytes.fromhex("7e a0"))
    assert handed[0][1] == bytes.fromhex("07 03")


# -- the independent client (iec62056-21 from PyPI) -----------------------------------


def _oracle(url: str) -> Iec6205621Client:
    host, port = url[len("tcp://") :].rsplit(":", 1)
    return Iec6205621Client.with_tcp_transport((host, int(port)), password=PASSWORD)


async def test_oracle_reads_our_readout(url: str) -> None:
    def read() -> list[tuple[str, str, str]]:
        client = _oracle(url)
        client.connect()
        try:
            answer = client.standard_readout()
        finally:
            client.disconnect()
        assert client.manufacturer_id == "ISK" and client.switchover_baudrate == 9600
        return [(d.address, d.value, d.unit or "") for d in answer.data]

    sets = await asyncio.to_thread(read)
    assert sets == [(s.address, s.value, s.unit) for s in EXAMPLE_READOUT]


async def test_oracle_programming_mode(url: str, source: StaticSource) -> None:
    def session() -> tuple[str, str]:
        client = _oracle(url)
        client.connect()
        try:
            request = client.access_programming_mode()
            # iec62056-21 0.0.2's send_password() builds DataSet(value=...) without the
            # address its constructor requires; send the same P1 with its own classes.
            p1 = messages.CommandMessage("P", 1, messages.DataSet(address="", value=PASSWORD))
            client.transport.send(p1.to_bytes())
            before = client.read_single_value("1.8.0")
            client.write_single_value("1.8.0", "000007.000")
            client.send_break()
        finally:
            client.disconnect()
        assert request.command == "P" and request.command_type == 0
        return before.value, before.unit

    assert await asyncio.to_thread(session) == ("001234.567", "kWh")
    assert source.registers["1.8.0"].value == "000007.000"
