"""Many meters behind one listener (issue 12, "Many meters behind one listener"):
HDLC buses of up to 32 meters, a meter by its physical address, and one wrapper
gateway, a meter by its destination wPort; each meter with its own serial and
password, woken only when addressed, held awake while its connection lasts."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from openamr.client.meter import connect
from openamr.errors import DlmsError
from openamr.fleet.config import Addresses, ConfigError, FleetConfig, check, parse
from openamr.fleet.identity import secrets
from openamr.fleet.serve import FleetServer
from openamr.link.hdlc.address import Address
from openamr.link.hdlc.frame import Control, Frame, Kind
from openamr.link.hdlc.multidrop import MultiDrop
from openamr.link.hdlc.secondary import SecondaryStation
from tests.addresses import loopback_block
from tests.fleet.conftest import serving, small

# drawn per run (tests/addresses.py): suites running at once do not collide
BUS_FIRST, GATEWAY_HOST, AWAKE_FIRST = loopback_block(), loopback_block(), loopback_block()
BUS_HOST = BUS_FIRST.rsplit(".", 1)[0]


async def _serial(server: FleetServer, index: int, password_of: int | None = None) -> str:
    meter = server.fleet.meter(index)
    owner = server.fleet.meter(index if password_of is None else password_of)
    password = secrets(server.fleet.config, owner.serial).password
    async with connect(meter.url, 32, "low", password=password, timeout=1.0, retries=0,
                       environ={}) as m:  # fmt: skip
        value = await m.get("0.0.96.1.0.255")
        assert isinstance(value, str)
        return value


def _bus(meters: int, size: int = 32) -> FleetConfig:
    return small(meters, addresses=Addresses(first=BUS_FIRST, bus=size))


async def test_meters_on_a_bus_answer_each_at_its_own_physical_address() -> None:
    async with serving(_bus(40)) as server:
        fleet = server.fleet
        assert len(server.sockets) == 2  # 32 meters on the first bus, 8 on the second
        assert fleet.meter(5).url == f"hdlc+tcp://{BUS_HOST}.1:4059?physical=21"
        assert fleet.meter(33).url == f"hdlc+tcp://{BUS_HOST}.2:4059?physical=17"
        for index in (0, 5, 31, 33):
            assert await _serial(server, index) == fleet.meter(index).serial
        assert fleet.condition(6) == "unbuilt"  # never addressed, never built
        # the meter's IEC HDLC setup object says where it is on the bus
        meter = fleet.meter(5)
        password = secrets(fleet.config, meter.serial).password
        async with connect(meter.url, 32, "low", password=password, timeout=1.0,
                           environ={}) as m:  # fmt: skip
            assert await m.get("0.0.22.0.0.255", attribute=9) == 21


async def test_a_bus_address_without_a_meter_is_not_answered() -> None:
    async with serving(_bus(8)) as server:
        stranger = replace(server.fleet.meter(0), url=f"hdlc+tcp://{BUS_FIRST}:4059?physical=40")
        with pytest.raises(DlmsError):
            async with connect(stranger.url, 32, "low", password=b"x", timeout=0.5, retries=0,
                               environ={}):  # fmt: skip
                pass
        assert server.fleet.awake == {}


async def test_a_bus_meter_refuses_its_neighbours_password() -> None:
    async with serving(_bus(4)) as server:
        with pytest.raises(DlmsError):
            await _serial(server, 1, password_of=2)
        assert await _serial(server, 2) == server.fleet.meter(2).serial


async def test_the_gateway_reaches_each_meter_by_its_wport() -> None:
    config = small(6, addresses=Addresses(first=GATEWAY_HOST, gateway=True))
    async with serving(config) as server:
        fleet = server.fleet
        assert len(server.sockets) == 1
        assert fleet.meter(3).url == f"tcp://{GATEWAY_HOST}:4059?server=19"
        for index in (0, 3, 5):
            assert await _serial(server, index) == fleet.meter(index).serial
        with pytest.raises(DlmsError):
            await _serial(server, 4, password_of=5)
        beyond = replace(fleet.meter(5), url=f"tcp://{GATEWAY_HOST}:4059?server=22")
        with pytest.raises(DlmsError):
            async with connect(beyond.url, 16, "none", timeout=0.5, retries=0, environ={}):
                pass


async def test_a_meter_is_held_awake_while_its_connection_lasts() -> None:
    config = small(2, addresses=Addresses(first=AWAKE_FIRST))
    async with serving(config, idle_s=0.0) as server:
        fleet, meter = server.fleet, server.fleet.meter(1)
        password = secrets(fleet.config, meter.serial).password
        async with connect(meter.url, 32, "low", password=password, timeout=1.0,
                           environ={}) as m:  # fmt: skip
            twin = fleet.awake[1].meter
            assert fleet.hibernate_idle(server.loop.time() + 3600, idle_s=0.0) == 0
            assert await m.get("0.0.96.1.0.255") == meter.serial
            assert fleet.awake[1].meter is twin  # the same twin served the whole session
        for _ in range(50):  # the server sees the connection end
            if fleet.awake[1].pinned == 0:
                break
            await asyncio.sleep(0.02)
        assert fleet.hibernate_idle(server.loop.time() + 3600, idle_s=0.0) == 1


def test_layouts_are_checked() -> None:
    with pytest.raises(ConfigError, match="bus"):
        check(small(2, addresses=Addresses(bus=33)))
    with pytest.raises(ConfigError, match="not both"):
        check(small(2, addresses=Addresses(bus=8, gateway=True)))
    with pytest.raises(ConfigError, match="port_range"):  # 65 meters on buses of 32: 3 ports
        check(small(65, addresses=Addresses(bus=32, port_range=(5000, 5001))))
    check(small(64, addresses=Addresses(bus=32, port_range=(5000, 5001))))
    config = parse("[fleet]\nmeters = 3\n[addresses]\ngateway = true\nfirst_wport = 100\n")
    assert config.addresses.wport(2) == 102


def _frame_to(physical: int) -> bytes:
    return Frame(Address.server(1, physical), Address.client(16), Control(Kind.SNRM, pf=True),
                 b"").encode()  # fmt: skip


def test_a_frame_costs_one_station_however_many_share_the_line() -> None:
    """IEC 62056-46 multi-drop: the frame goes to the station it names, found by
    address; the others are not asked (the cost does not grow with the line)."""
    stations = [SecondaryStation(Address.server(1, p)) for p in range(16, 126)]
    asked: list[int] = []
    for station in stations:
        original = station.receive_frame

        def counting(frame, now, _s=station, _f=original):  # type: ignore[no-untyped-def]
            asked.append(_s.address.lower or 0)
            return _f(frame, now)

        station.receive_frame = counting  # type: ignore[method-assign]
    line = MultiDrop(stations)
    events = line.receive_data(_frame_to(100), 0.0)
    assert asked == [100] and events and events[0][0] is stations[100 - 16]
    assert line.data_to_send()  # the UA of station 100
    made: list[int] = []

    def factory(address: Address) -> SecondaryStation | None:
        made.append(address.lower or 0)
        return SecondaryStation(address) if address.lower == 7 else None

    lazy = MultiDrop([], factory=factory)
    lazy.receive_data(_frame_to(7) + _frame_to(8) + _frame_to(7) + _frame_to(8), 0.0)
    assert made == [7, 8]  # made (or found absent) once per address
    assert [s.address.lower for s in lazy.stations] == [7]


async def test_gurux_reads_meters_of_a_bus_by_their_physical_address() -> None:
    """An independent client (gurux-dlms, test oracle) addresses two meters of one
    bus through the same terminal-server port, each with its own password."""
    from gurux_dlms import GXDLMSClient
    from gurux_dlms.enums import Authentication, InterfaceType
    from gurux_dlms.objects import GXDLMSData

    from tests.e2e.gurux_helpers import connect as gurux_connect

    async with serving(_bus(10)) as server:
        fleet = server.fleet

        def read(index: int) -> object:
            meter = fleet.meter(index)
            password = secrets(fleet.config, meter.serial).password.decode()
            address = GXDLMSClient.getServerAddress(1, meter.physical)
            client = GXDLMSClient(True, 32, address, Authentication.LOW, password,
                                  InterfaceType.HDLC)  # fmt: skip
            with gurux_connect(meter.host, meter.port, client) as g:
                return g.read(GXDLMSData("0.0.96.1.0.255"), 2)

        for index in (2, 9):
            assert await asyncio.to_thread(read, index) == fleet.meter(index).serial
