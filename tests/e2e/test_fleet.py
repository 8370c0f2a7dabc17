"""A running fleet of 1,000 twins, each at its own loopback address (issue 12,
"Proof"): dlms-cosem, gurux-dlms (test oracles) and our client read random meters
with each meter's own serial, password and keys; a meter refuses another's keys
and answers only at its own address."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from dlms_cosem import cosem, enumerations
from dlms_cosem.client import DlmsClient
from dlms_cosem.exceptions import DlmsClientException
from dlms_cosem.io import BlockingTcpIO, TcpTransport
from dlms_cosem.security import (
    HighLevelSecurityGmacAuthentication,
    LowLevelSecurityAuthentication,
)
from gurux_dlms import GXDLMSClient, GXDLMSException
from gurux_dlms.enums import Authentication, InterfaceType, Security
from gurux_dlms.objects import GXDLMSData, GXDLMSRegister
from gurux_dlms.secure import GXDLMSSecureClient

from openamr.client.meter import connect
from openamr.codec import VisibleString, decode
from openamr.errors import DlmsError
from openamr.fleet.config import Addresses
from openamr.fleet.hibernation import FleetState
from openamr.fleet.identity import MeterIdentity, Secrets, secrets
from openamr.fleet.meters import Fleet
from openamr.fleet.serve import FleetServer
from openamr.security.keys import KeySet
from tests.addresses import loopback_block
from tests.background import background_loop
from tests.fleet.conftest import fleet_on, small

from .gurux_helpers import CLIENT_TITLE
from .gurux_helpers import connect as gurux_connect

I = enumerations.CosemInterface  # noqa: E741
METERS = 1_000
CLIENT_ST = bytes.fromhex("4D4D4D0000000001")


@dataclass
class Running:
    fleet: Fleet
    server: FleetServer


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    from openamr.meter.clock import SteppedTime
    from tests.fleet.conftest import START

    first = loopback_block()  # a loopback /16 of its own, drawn per run
    config = small(METERS, history_days=0.5, addresses=Addresses(first=first))
    fleet = fleet_on(config, SteppedTime(START), FleetState.memory())
    with background_loop() as bg:

        async def start() -> FleetServer:
            server = FleetServer(fleet, asyncio.get_running_loop())
            server.listen()
            return server

        server = bg.run(start, timeout=60)
        try:
            yield Running(fleet, server)
        finally:
            bg.loop.call_soon_threadsafe(server.close)


def _pick(count: int, salt: int) -> list[int]:
    return random.Random(salt).sample(range(METERS), count)


def _keys(running: Running, meter: MeterIdentity) -> Secrets:
    return secrets(running.fleet.config, meter.serial, 0)


def _dlms_cosem(meter: MeterIdentity, client: int, **kwargs: object) -> DlmsClient:
    io = BlockingTcpIO(host=meter.host, port=meter.port, timeout=5)
    link = TcpTransport(client_logical_address=client, server_logical_address=1, io=io)
    return DlmsClient(transport=link, **kwargs)  # type: ignore[arg-type]


def _attr(interface: enumerations.CosemInterface, obis: str) -> cosem.CosemAttribute:
    return cosem.CosemAttribute(interface, cosem.Obis.from_string(obis), 2)


@pytest.mark.parametrize("index", _pick(3, 1))
def test_dlms_cosem_reads_a_meter_with_its_own_password(running: Running, index: int) -> None:
    meter = running.fleet.meter(index)
    auth = LowLevelSecurityAuthentication(secret=_keys(running, meter).password)
    with _dlms_cosem(meter, 32, authentication=auth).session() as c:
        serial = decode(c.get(_attr(I.DATA, "0.0.96.1.0.255")))
        energy = decode(c.get(_attr(I.REGISTER, "1.0.1.8.0.255")))
    assert serial == VisibleString(meter.serial)
    assert isinstance(energy, int) and energy > 0


@pytest.mark.parametrize("index", _pick(2, 2))
def test_dlms_cosem_reads_a_meter_with_its_own_hls_keys(running: Running, index: int) -> None:
    meter = running.fleet.meter(index)
    k = _keys(running, meter)
    auth = HighLevelSecurityGmacAuthentication(challenge_length=32)
    c = _dlms_cosem(meter, 1, authentication=auth, encryption_key=k.ek,
                    authentication_key=k.ak, client_system_title=CLIENT_ST)  # fmt: skip
    with c.session() as s:
        name = decode(s.get(_attr(I.DATA, "0.0.42.0.0.255")))
    assert name == meter.logical_device_name.encode()


def test_dlms_cosem_with_another_meters_password_is_refused(running: Running) -> None:
    a, b = (running.fleet.meter(i) for i in _pick(2, 3))
    auth = LowLevelSecurityAuthentication(secret=_keys(running, a).password)
    client = _dlms_cosem(b, 32, authentication=auth)
    with pytest.raises(DlmsClientException, match="AUTHENTICATION_FAILED"), client.session() as c:
        c.get(_attr(I.DATA, "0.0.96.1.0.255"))


def _gurux(meter: MeterIdentity, k: Secrets, hls: bool) -> object:
    if hls:
        client = GXDLMSSecureClient(
            True, 1, 1, Authentication.HIGH_GMAC, None, InterfaceType.WRAPPER
        )
        client.ciphering.security = Security.AUTHENTICATION_ENCRYPTION
        client.ciphering.systemTitle = CLIENT_TITLE
        client.ciphering.blockCipherKey = k.ek
        client.ciphering.authenticationKey = k.ak
        return client
    return GXDLMSClient(True, 32, 1, Authentication.LOW, k.password.decode(),
                        InterfaceType.WRAPPER)  # fmt: skip


@pytest.mark.parametrize(("index", "hls"), [(i, h) for i in _pick(2, 4) for h in (False, True)])
def test_gurux_reads_a_meter_with_its_own_secrets(running: Running, index: int, hls: bool) -> None:
    meter = running.fleet.meter(index)
    with gurux_connect(meter.host, meter.port, _gurux(meter, _keys(running, meter), hls)) as g:
        serial = g.read(GXDLMSData("0.0.96.1.0.255"), 2)
        energy = g.read(GXDLMSRegister("1.0.1.8.0.255"), 2)
    assert serial == meter.serial
    assert isinstance(energy, int) and energy > 0


def test_gurux_with_another_meters_keys_is_refused(running: Running) -> None:
    a, b = (running.fleet.meter(i) for i in _pick(2, 5))
    client = _gurux(b, _keys(running, a), True)
    with pytest.raises(GXDLMSException), gurux_connect(b.host, b.port, client) as g:
        g.read(GXDLMSData("0.0.96.1.0.255"), 2)


async def _our_read(meter: MeterIdentity, k: Secrets) -> str:
    keys = KeySet(k.ek, k.ak)
    async with connect(meter.url, 1, "high", keys=keys, system_title=CLIENT_ST, timeout=5,
                       retries=0, environ={}) as m:  # fmt: skip
        value = await m.get("0.0.96.1.0.255")
    assert isinstance(value, str)
    return value


def test_our_client_reads_with_hls_and_another_meters_keys_fail(running: Running) -> None:
    a, b = (running.fleet.meter(i) for i in _pick(2, 6))
    assert asyncio.run(_our_read(a, _keys(running, a))) == a.serial
    with pytest.raises(DlmsError):
        asyncio.run(_our_read(b, _keys(running, a)))


def test_a_meter_answers_only_at_its_own_address(running: Running) -> None:
    for index in _pick(3, 7):
        meter = running.fleet.meter(index)
        auth = LowLevelSecurityAuthentication(secret=_keys(running, meter).password)
        with _dlms_cosem(meter, 32, authentication=auth).session() as c:
            assert decode(c.get(_attr(I.DATA, "0.0.96.1.0.255"))) == VisibleString(meter.serial)
    beyond = running.fleet.meter(METERS - 1)
    host = beyond.host.rsplit(".", 1)[0] + "." + str(int(beyond.host.rsplit(".", 1)[1]) + 1)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, beyond.port), timeout=2).close()
