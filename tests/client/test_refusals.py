"""Refusals and failures name the meter, the step and the reason, and never a key."""

from __future__ import annotations

import asyncio

import pytest

from openamr.client.errors import CredentialsError, MeterError, RefusedError
from openamr.client.meter import connect
from openamr.codec.obis import Obis
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.security.keys import KeySet

from .conftest import CLIENTS, NO_ENV, Twin

WRONG_EK = bytes(range(0x40, 0x50))


async def test_wrong_password(twin: Twin, link: str) -> None:
    with pytest.raises(MeterError) as e:
        async with connect(twin.url(link), 32, "low", password="wrong!!!", environ=NO_ENV):
            pass
    text = str(e.value)
    assert text == (
        f"meter {twin.url(link)}: associate (client 32, low): "
        "association refused: authentication failed"
    )
    assert "wrong!!!" not in text and e.value.step == "associate (client 32, low)"


async def test_wrong_key(twin: Twin, link: str) -> None:
    keys = KeySet(WRONG_EK, DEFAULT_AK)
    with pytest.raises(MeterError, match=r"associate \(client 1, high\): association refused") as e:
        async with connect(twin.url(link), 1, "high", keys=keys, environ=NO_ENV, timeout=3):
            pass
    assert WRONG_EK.hex() not in str(e.value).lower()
    assert DEFAULT_AK.hex() not in str(e.value).lower()


async def test_wrong_authentication_key(twin: Twin, link: str) -> None:
    keys = KeySet(DEFAULT_EK, WRONG_EK)
    with pytest.raises(MeterError, match="associate") as e:
        async with connect(twin.url(link), 1, "high", keys=keys, environ=NO_ENV, timeout=3):
            pass
    assert "refused" in str(e.value) or "failed" in str(e.value)


async def test_high_without_keys_says_where_to_put_them() -> None:
    with pytest.raises(CredentialsError, match="OPENAMR_EK"):
        async with connect("tcp://127.0.0.1:1", 1, "high", environ=NO_ENV):
            pass


async def test_public_write_is_refused(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["public"]) as meter:
        with pytest.raises(RefusedError, match=r": set 1/0\.0\.96\.1\.0\.255/2: refused: ") as e:
            await meter.set("0.0.96.1.0.255", "x", class_id=1)
    assert e.value.step == "set 1/0.0.96.1.0.255/2"


async def test_object_not_in_the_list(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["public"]) as meter:
        with pytest.raises(MeterError, match=r"1\.0\.99\.1\.0\.255: not in this association"):
            await meter.get("1.0.99.1.0.255")


async def test_no_meter_there() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    with pytest.raises(
        MeterError, match=rf"^meter tcp://127.0.0.1:{port}: connect: cannot connect"
    ):
        async with connect(f"tcp://127.0.0.1:{port}", timeout=1, environ=NO_ENV):
            pass


async def test_lost_connection_is_retried(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, retries=1, **CLIENTS["lls"]) as meter:
        await meter.get("0.0.96.1.0.255", class_id=1)
        transport = meter.session.transport
        await transport.close()  # type: ignore[union-attr]  # the line drops
        assert await meter.register("1.0.1.8.0.255")
        assert meter.session.reconnects == 1


async def test_lost_connection_without_retries(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, retries=0, **CLIENTS["lls"]) as meter:
        await meter.session.transport.close()  # type: ignore[union-attr]
        with pytest.raises(MeterError, match=r"get 1/0.0.96.1.0.255/2: ") as e:
            await meter.get("0.0.96.1.0.255", class_id=1)
        assert e.value.meter == f"meter {twin.url(link)}"
        # the next request opens a new association
        assert await meter.get("0.0.96.1.0.255", class_id=1) == "12345678"


async def test_silent_meter_times_out() -> None:
    async def mute(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1 << 16)

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(
            MeterError, match=r"associate \(client 16, none\): no answer within 0.3 s"
        ):
            async with connect(f"tcp://127.0.0.1:{port}", timeout=0.3, environ=NO_ENV):
                pass
    finally:
        server.close()


async def test_cancellation_closes_cleanly(twin: Twin, link: str) -> None:
    """A request cancelled mid-way (a caller's timeout) drops the line, so that no
    late answer is taken for the next request; the next request reconnects."""
    async with connect(twin.url(link), timeout=3, max_pdu_size=256, **CLIENTS["lls"]) as meter:
        blocks: list[int] = []

        def cancel_at_block_two(n: int) -> None:
            blocks.append(n)
            if n == 2:
                task.cancel()

        task = asyncio.ensure_future(meter.profile("1.0.99.1.0.255", progress=cancel_at_block_two))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert blocks == [1, 2] and meter.session.transport is None
        assert await meter.get("0.0.96.1.0.255", class_id=1) == "12345678"
    assert meter.session.transport is None


async def test_errors_inside_the_block_release_and_close(twin: Twin, link: str) -> None:
    connections: list[int] = []
    with pytest.raises(RuntimeError):
        async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
            connections.append(1)
            raise RuntimeError("caller's bug")
    assert meter.session.transport is None and meter.session.association is None


def test_repr_hides_the_keys() -> None:
    from openamr.client.credentials import load_secrets

    secrets = load_secrets(password="12345678", keys=KeySet(DEFAULT_EK, DEFAULT_AK), environ={})
    assert "12345678" not in repr(secrets) and DEFAULT_EK.hex() not in repr(secrets).lower()
    assert Obis.parse("0.0.1.0.0.255")  # keep the import honest
