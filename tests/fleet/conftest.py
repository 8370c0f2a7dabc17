"""Small fleets on a stepped clock for the fleet's tests."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.fleet.config import FleetConfig, quick
from openamr.fleet.faults import FaultRates
from openamr.fleet.hibernation import FleetState
from openamr.fleet.meters import Fleet, fleet_clock
from openamr.fleet.serve import FleetServer
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime

START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def small(meters: int = 4, **overrides: Any) -> FleetConfig:
    overrides.setdefault("history_days", 1.0)
    overrides.setdefault("faults", FaultRates.none())
    return quick(meters, start=START, **overrides)


def fleet_on(
    config: FleetConfig, base: SteppedTime, state: FleetState | None = None, **kw: Any
) -> Fleet:
    state = state or FleetState.memory()
    return Fleet(config, fleet_clock(config, state, base), state, **kw)


def readings(app: ServerApplication) -> dict[str, object]:
    """What a head-end reads: every register-like value and every profile's rows."""
    out: dict[str, object] = {}
    for obj in app.device:
        name = str(obj.logical_name)
        if isinstance(obj, ProfileGeneric):
            out[name] = list(obj.rows)
        elif obj.CLASS_ID in (1, 3, 4, 8) and obj.logical_name != Obis.parse("0.0.43.1.0.255"):
            out[name] = obj.get(2)
    return out


@asynccontextmanager
async def serving(config: FleetConfig, idle_s: float = 60.0) -> AsyncIterator[FleetServer]:
    """The fleet on its addresses in this event loop, on a stepped clock from START."""
    fleet = fleet_on(config, SteppedTime(START))
    server = FleetServer(fleet, asyncio.get_running_loop(), idle_s=idle_s)
    server.listen()
    try:
        yield server
    finally:
        server.close()
