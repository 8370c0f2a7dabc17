"""The DLMS listeners under load and under attack, over real loopback sockets (issue
11, items 8, 9 and 11): idle time-outs as advertised, the HDLC line hung up when the
link drops, a connection limit that closes the oldest unauthenticated peer first,
fair service across connections, and no unbounded output buffering."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time

import pytest

from openamr.aio.connections import HDLC_SETUP, TCP_UDP_SETUP, ConnectionLimit
from openamr.aio.dlms_server import HdlcSession, WrapperSession, serve_hdlc, serve_wrapper
from openamr.apdu.acse import Aarq, AcseRequirements, Rlrq
from openamr.apdu.initiate import Conformance, InitiateRequest
from openamr.apdu.mechanism import MechanismName
from openamr.codec.types import LongUnsigned
from openamr.link.hdlc.address import Address, mt372_server
from openamr.link.hdlc.frame import Control, Frame, FrameSplitter, Kind
from openamr.link.hdlc.station import LLC_COMMAND
from openamr.meter.application import ServerApplication
from openamr.meter.mt372 import build_mt372

PUBLIC = Aarq(user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes())
LLS = Aarq(
    sender_acse_requirements=AcseRequirements.AUTHENTICATION,
    mechanism_name=MechanismName.LLS,
    calling_authentication_value=b"12345678",
    user_information=InitiateRequest(proposed_conformance=Conformance.GET).to_bytes(),
)
OBJECT_LIST = bytes.fromhex("c0 01 c1 00 0f 00 00 28 00 00 ff 02 00")


def wrap(source: int, apdu: bytes) -> bytes:
    return struct.pack(">HHHH", 1, source, 1, len(apdu)) + apdu


async def read_apdu(reader: asyncio.StreamReader, timeout: float = 5) -> bytes:
    header = await asyncio.wait_for(reader.readexactly(8), timeout)
    return await asyncio.wait_for(reader.readexactly(struct.unpack(">H", header[6:])[0]), timeout)


def advertise(app: ServerApplication, setup: object, seconds: int) -> None:
    obj = app.device.find(setup)  # type: ignore[arg-type]
    assert obj is not None
    obj.inactivity_time_out = LongUnsigned(seconds)  # type: ignore[attr-defined]


@pytest.fixture
def app() -> ServerApplication:
    return build_mt372("11111111").app


async def closed(reader: asyncio.StreamReader, within: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), within) == b""
    except TimeoutError:
        return False


async def test_an_idle_wrapper_connection_is_closed_as_advertised(app: ServerApplication) -> None:
    """Item 8: 0.0.25.0.0.255 says how long; a connection that talks stays."""
    advertise(app, TCP_UDP_SETUP, 1)
    server = await serve_wrapper(app, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        idle_r, _ = await asyncio.open_connection("127.0.0.1", port)
        busy_r, busy_w = await asyncio.open_connection("127.0.0.1", port)
        began = time.monotonic()
        for _ in range(3):
            busy_w.write(wrap(16, PUBLIC.to_bytes()))
            await read_apdu(busy_r)
            await asyncio.sleep(0.5)
        assert await closed(idle_r, 2)
        assert 0.9 <= time.monotonic() - began <= 3.5
        busy_w.write(wrap(16, OBJECT_LIST))
        assert (await read_apdu(busy_r))[0] == 0xC4  # still served
        busy_w.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_an_hdlc_connection_without_a_link_is_closed_as_advertised(
    app: ServerApplication,
) -> None:
    advertise(app, HDLC_SETUP, 1)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: HdlcSession(app), "127.0.0.1", 0)
    try:
        reader, _ = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
        assert await closed(reader, 3)
    finally:
        server.close()
        await server.wait_closed()


async def test_the_oldest_unauthenticated_connection_makes_room(app: ServerApplication) -> None:
    """Item 8: idle peers cannot lock everyone out (1,017 did under ulimit -n 1024)."""
    server = await serve_wrapper(app, "127.0.0.1", 0, max_connections=4)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(wrap(32, LLS.to_bytes()))  # the first, and authenticated
        assert (await read_apdu(reader))[0] == 0x61
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        newcomers = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
        for r, _ in idle:  # each newcomer closed the oldest unauthenticated one
            assert await closed(r, 2)
        for r, w in newcomers:
            w.write(wrap(16, PUBLIC.to_bytes()))
            assert (await read_apdu(r))[0] == 0x61
        writer.write(wrap(32, OBJECT_LIST))
        assert (await read_apdu(reader))[0] == 0xC4  # the authenticated one kept its place
    finally:
        server.close()
        await server.wait_closed()


async def test_a_pipelining_peer_does_not_stall_the_others(app: ServerApplication) -> None:
    """Item 9: a pipeline of unanswerable RLRQs is served a turn at a time."""
    server = await serve_wrapper(app, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        flood_r, flood_w = await asyncio.open_connection("127.0.0.1", port)
        other_r, other_w = await asyncio.open_connection("127.0.0.1", port)
        began = time.monotonic()
        flood_w.write(wrap(99, Rlrq().to_bytes()) * 3000 + wrap(16, PUBLIC.to_bytes()))
        await asyncio.sleep(0.05)
        asked = time.monotonic()
        other_w.write(wrap(16, PUBLIC.to_bytes()))
        await read_apdu(other_r, 30)
        waited = time.monotonic() - asked
        await read_apdu(flood_r, 60)  # the flood's last APDU
        flood = time.monotonic() - began
        assert waited < flood / 4, (waited, flood)
    finally:
        server.close()
        await server.wait_closed()


async def test_a_peer_that_does_not_read_is_not_buffered_for(app: ServerApplication) -> None:
    """Item 11: pipelined object-list GETs (5 KB each), never read: the server stops
    reading from that peer instead of buffering answers (246 MB did before). Small
    socket buffers stand for a slow link."""
    sessions: list[WrapperSession] = []

    def session() -> WrapperSession:
        sessions.append(WrapperSession(app, ConnectionLimit()))
        return sessions[-1]

    loop = asyncio.get_running_loop()
    server = await loop.create_server(session, "127.0.0.1", 0)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(server.sockets[0].getsockname())
    try:
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(wrap(32, LLS.to_bytes()))
        assert (await read_apdu(reader))[0] == 0x61
        (s,) = sessions
        assert s.transport is not None
        s.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        writer.write(wrap(32, OBJECT_LIST) * 300)  # 1.5 MB of answers
        deadline = time.monotonic() + 20
        while not s._blocked and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert s._blocked and s._paused, "the output is not drained: reading stops"
        await asyncio.sleep(0.5)
        high = 64 * 1024  # asyncio's write high-water mark
        assert s.transport.get_write_buffer_size() <= high + 6 * 1024
        for _ in range(40):  # and it serves on once the peer reads
            assert (await read_apdu(reader, 30))[0] == 0xC4
        writer.close()
    finally:
        server.close()
        await server.wait_closed()


def hdlc(kind: Kind, info: bytes = b"", client: int = 16) -> bytes:
    control = Control(kind, True, ns=0, nr=0) if kind is Kind.I else Control(kind, True)
    return Frame(mt372_server(), Address.client(client), control, info).encode()


async def read_frames(reader: asyncio.StreamReader, count: int, timeout: float = 5) -> list[Frame]:
    splitter, frames = FrameSplitter(), list[Frame]()
    while len(frames) < count:
        data = await asyncio.wait_for(reader.read(4096), timeout)
        frames += [f for f in splitter.feed(data) if isinstance(f, Frame)]
    return frames


def recv_frames(sock: socket.socket, count: int) -> list[Frame]:
    splitter, frames = FrameSplitter(), list[Frame]()
    while len(frames) < count and (data := sock.recv(65536)):
        frames += [f for f in splitter.feed(data) if isinstance(f, Frame)]
    return frames


def test_a_flooding_hdlc_peer_does_not_starve_a_neighbour(app: ServerApplication) -> None:
    """Items 9 and 11 over HDLC, as on the wrapper: 30,000 polls (RR, each answered)
    in one write are served a frame per turn, so a neighbour's SNRM and AARQ are
    answered long before the flood is (before, each read of up to 256 KiB went first,
    whole). The server runs in its own thread, so that the times are the peers'."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(serve_hdlc(app, "127.0.0.1", 0))
    address = server.sockets[0].getsockname()[:2]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        flood = socket.create_connection(address, timeout=60)
        other = socket.create_connection(address, timeout=30)
        flood.sendall(hdlc(Kind.SNRM))
        assert recv_frames(flood, 1)[0].kind is Kind.UA
        began = time.monotonic()
        flood.sendall(hdlc(Kind.RR) * 30000 + hdlc(Kind.DISC))
        time.sleep(0.05)
        asked = time.monotonic()
        other.sendall(hdlc(Kind.SNRM) + hdlc(Kind.I, LLC_COMMAND + PUBLIC.to_bytes()))
        ua, aare = recv_frames(other, 2)
        waited = time.monotonic() - asked
        assert ua.kind is Kind.UA and aare.kind is Kind.I and aare.information[3] == 0x61
        answers = bytearray()
        while data := flood.recv(1 << 20):  # to the end: the DISC's UA, then hung up
            answers += data
        spent = time.monotonic() - began
        assert FrameSplitter().feed(bytes(answers))[-1].kind is Kind.UA  # type: ignore[union-attr]
        assert waited < spent / 4, (waited, spent)
        flood.close()
        other.close()
    finally:
        server.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.run_until_complete(server.wait_closed())
        loop.close()


async def test_an_hdlc_peer_that_does_not_read_is_not_buffered_for(
    app: ServerApplication,
) -> None:
    """Item 11 over HDLC: 50,000 polls (each answered by an RR), never read: reading
    stops once the output is not drained instead of buffering the answers."""
    sessions: list[HdlcSession] = []

    def session() -> HdlcSession:
        sessions.append(HdlcSession(app, ConnectionLimit()))
        return sessions[-1]

    loop = asyncio.get_running_loop()
    server = await loop.create_server(session, "127.0.0.1", 0)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(server.sockets[0].getsockname())
    try:
        reader, writer = await asyncio.open_connection(sock=sock)
        writer.write(hdlc(Kind.SNRM))
        assert (await read_frames(reader, 1))[0].kind is Kind.UA
        (s,) = sessions
        assert s.transport is not None
        s.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        writer.write(hdlc(Kind.RR) * 50000)  # 450 KB in, as much out
        deadline = time.monotonic() + 20
        while not s._blocked and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert s._blocked and s._paused, "the output is not drained: reading stops"
        await asyncio.sleep(0.5)
        high = 64 * 1024  # asyncio's write high-water mark
        assert s.transport.get_write_buffer_size() <= high + 1024
        assert (await read_frames(reader, 1, 30))[0].kind is Kind.RR  # served once it reads
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
