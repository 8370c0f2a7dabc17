"""The head-end's modem on a fleet's own network (``openamr fleet serve --modem``): a
meter reached only by CSD is read through it, its twin's HDLC stations in process, by
its own Auto answer object; its TCP address stays refused (issue 16)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from openamr.cli.fleet import serve_gsm
from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.fleet.config import Addresses, Network
from openamr.fleet.serve import FleetServer
from tests.addresses import loopback_block
from tests.fleet.conftest import fleet_on, small

SPEED = 10.0


class WallTime:
    """True time, as the fleet's base (the network's calls run on it)."""

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


async def test_a_csd_only_fleet_meter_is_read_through_the_modem() -> None:
    config = small(2, speed=SPEED, network=Network(meters_per_cell=10, csd=1.0, wakeup=0.0),
                   addresses=Addresses(first=loopback_block(), port=4059))  # fmt: skip
    fleet = fleet_on(config, WallTime())  # type: ignore[arg-type]
    assert fleet.meter(0).reach == "csd"
    server = FleetServer(fleet, asyncio.get_running_loop(), idle_s=30.0)
    server.listen()
    server.start()
    pool = await serve_gsm(fleet, config, (("127.0.0.1", 0), None))
    try:
        host, port = pool.servers[0].sockets[0].getsockname()[:2]
        url = f"csd://{host}:{port}/{fleet.meter(0).sim.msisdn}"
        async with connect(url, 16, "none", environ={}, timeout=5.0) as meter:
            value = await meter.get("1.0.1.8.0.255", 2, class_id=3)
        assert isinstance(value, int) and value >= 0
        with pytest.raises(MeterError):
            async with connect(fleet.meter(0).url, 16, "none", environ={}, timeout=2.0) as m:
                await m.get("1.0.1.8.0.255", 2, class_id=3)  # not attached to GPRS
    finally:
        await pool.close()
        server.close()
