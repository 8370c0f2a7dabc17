"""Our client against an independent server: gurux-dlms 1.0.203's GXDLMSServer
(test oracle only) behind a loopback socket speaking the wrapper.

gurux-dlms 1.0.203's Python server does not run as shipped: tests/gurux_shims.py
makes it run and names each bug; its Association LN cannot serve object_list, so the
client's object_list is proven against the twin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from openamr.client.errors import RefusedError
from openamr.client.meter import connect
from openamr.codec.units import Unit

gurux = pytest.importorskip("gurux_dlms")

from gurux_dlms import GXDateTime  # noqa: E402
from gurux_dlms.enums import (  # noqa: E402
    InterfaceType,
)
from gurux_dlms.enums import Unit as GxUnit  # noqa: E402
from gurux_dlms.objects import (  # noqa: E402
    GXDLMSAssociationLogicalName,
    GXDLMSClock,
    GXDLMSData,
    GXDLMSRegister,
)

from tests.gurux_shims import ShimmedServer, serving  # noqa: E402

WHEN = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)


class Server(ShimmedServer):
    """A meter with a serial number, an energy register and a clock; read-only."""

    def __init__(self) -> None:
        super().__init__(InterfaceType.WRAPPER)
        serial = GXDLMSData("0.0.96.1.0.255")
        serial.value = "GURUX-0001"
        energy = GXDLMSRegister("1.0.1.8.0.255")
        energy.value, energy.scaler, energy.unit = 1234567, 0.001, GxUnit.ACTIVE_ENERGY
        clock = GXDLMSClock("0.0.1.0.0.255")
        clock.time = GXDateTime(WHEN)
        association = GXDLMSAssociationLogicalName()
        for obj in (serial, energy, clock, association):
            self.items.append(obj)
            association.objectList.append(obj)
        self.initialize()


@pytest.fixture(scope="module")
def gurux_url() -> Iterator[str]:
    with serving(Server) as port:
        yield f"tcp://127.0.0.1:{port}"


async def test_reads_from_gurux(gurux_url: str) -> None:
    async with connect(gurux_url, timeout=3, environ={}) as meter:
        serial = await meter.get("0.0.96.1.0.255", class_id=1)
        energy = await meter.register("1.0.1.8.0.255", class_id=3)
        clock = await meter.clock()
    assert serial == "GURUX-0001"
    assert energy.value == pytest.approx(1234.567) and energy.unit is Unit.WATT_HOUR
    assert clock == WHEN


async def test_gurux_refuses_a_write(gurux_url: str) -> None:
    async with connect(gurux_url, timeout=3, environ={}) as meter:
        with pytest.raises(RefusedError, match=r"set 1/0\.0\.96\.1\.0\.255/2: refused"):
            await meter.set("0.0.96.1.0.255", "changed", class_id=1)
        assert await meter.get("0.0.96.1.0.255", class_id=1) == "GURUX-0001"
