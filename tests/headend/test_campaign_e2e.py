"""A firmware campaign end to end over real loopback sockets against the twin fleet
(each twin at its own address, HLS with its own keys): the group's meters take
the image through Image transfer and run it; a meter of another group is left
alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from openamr.client.errors import TransportError
from openamr.client.firmware import Progress
from openamr.codec.obis import Obis
from openamr.fleet.config import Addresses
from openamr.fleet.identity import secrets
from openamr.fleet.meters import Fleet
from openamr.headend.campaign import CampaignSpec
from openamr.headend.campaign_service import Campaigns, ClientFirmware
from openamr.headend.collector import Collector
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.service import utc_now
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from tests.addresses import loopback_block
from tests.fleet.conftest import serving, small
from tests.headend.conftest import KEK

FIRMWARE_ID = Obis.parse("1.0.0.2.0.255")


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    addresses = Addresses(first=loopback_block(), port=4059)  # drawn per run
    config = replace(small(3, history_days=0.1), addresses=addresses)
    async with serving(config, idle_s=600) as server:
        yield server.fleet


async def add_fleet(store: Store, fleet: Fleet) -> None:
    for i in range(fleet.config.size):
        m = fleet.meter(i)
        s = secrets(fleet.config, m.serial, 0)
        await store.put_meter(
            MeterRecord(
                m.serial,
                f"tcp://{m.host}:{m.port}",
                1,
                "high",
                cell=m.cell,
                group="north" if i < 2 else "south",
                secrets=MeterSecrets(s.password, s.ek, s.ak, s.kek),
            ),
            KEK,
            0,
        )


async def test_a_campaign_upgrades_the_groups_twins(sqlite_store: Store, fleet: Fleet) -> None:
    store = sqlite_store
    await add_fleet(store, fleet)
    ondemand = OnDemand(store, KEK, utc_now, timeout=5)
    runner = Runner(
        store,
        Collector(store, KEK, utc_now),
        Scheduler(Policy(max_sessions=4, per_cell=2), random.Random(1)),
        [],
        utc_now,
    )
    campaigns = Campaigns(store, utc_now, runner, ClientFirmware(ondemand))
    image = random.Random(3).randbytes(3000)
    now = int(utc_now().timestamp())
    cid = await campaigns.start(CampaignSpec("MT372-9.9", "north", now - 1, now + 600), image)
    await campaigns.tick()
    await asyncio.wait_for(runner.run(), 60)
    await campaigns.tick()
    status = await campaigns.status(cid)
    assert status["counts"]["activated"] == 2, status["targets"]
    assert status["state"] == "done"
    assert all(t["held"] == t["blocks"] > 1 for t in status["targets"])
    for i in range(3):
        identifier = fleet.app(i).device.find(FIRMWARE_ID).value
        assert (bytes(identifier) == b"MT372-9.9") == (i < 2)
    assert (await store.meter(fleet.meter(0).serial)).firmware == "MT372-9.9"
    sessions = await store.count("sessions")
    assert sessions == 0  # campaigns are not collections: no collection session stored
    assert dt.datetime.fromtimestamp(status["updated"], dt.UTC) <= utc_now()


class CutOnce:
    """The client's transfer, its connection cut once after ``after`` blocks (as a
    GPRS link drops): the retry must send only what the twin lacks."""

    def __init__(self, inner: ClientFirmware, after: int) -> None:
        self.inner, self.after = inner, after
        self.first_seen: list[int] = []  # blocks the twin held when each attempt began

    async def upgrade(self, meter: MeterRecord, image: bytes, identifier: bytes,
                      activate: bool, progress: Progress) -> str:  # fmt: skip
        began = False

        def seen(held: int, blocks: int) -> None:
            nonlocal began
            if not began:
                began = True
                self.first_seen.append(held)
            if self.after and held >= self.after:
                self.after = 0
                raise TransportError(f"meter {meter.serial}: connection lost")
            progress(held, blocks)

        return await self.inner.upgrade(meter, image, identifier, activate, seen)


async def test_a_cut_transfer_resumes_where_it_stopped(sqlite_store: Store, fleet: Fleet) -> None:
    store = sqlite_store
    await add_fleet(store, fleet)
    ondemand = OnDemand(store, KEK, utc_now, timeout=5)
    policy = Policy(max_sessions=1, per_cell=1, retry_base=0.05, retry_max=0.1)
    runner = Runner(store, Collector(store, KEK, utc_now), Scheduler(policy, random.Random(1)),
                    [], utc_now)  # fmt: skip
    ops = CutOnce(ClientFirmware(ondemand), after=5)
    campaigns = Campaigns(store, utc_now, runner, ops)
    now = int(utc_now().timestamp())
    spec = CampaignSpec("MT372-9.8", "south", now - 1, now + 600)
    cid = await campaigns.start(spec, random.Random(4).randbytes(4000))
    await campaigns.tick()
    await asyncio.wait_for(runner.run(), 60)
    (target,) = (await campaigns.status(cid))["targets"]
    assert target["state"] == "activated" and target["attempts"] == 2, target
    assert ops.first_seen == [0, 5]  # the second attempt found the 5 blocks in the twin
    assert bytes(fleet.app(2).device.find(FIRMWARE_ID).value) == b"MT372-9.8"
