"""Firmware campaigns on a stepped clock with an in-memory fleet: meters that hold
blocks as an Image transfer object does (resuming after a cut), one that refuses
to verify, one that never answers; the window, the activation time, the
per-state counts, and a head-end restarted mid-campaign (state from the DB)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from openamr.client.errors import MeterError, TransportError
from openamr.client.firmware import Progress
from openamr.headend.campaign import CampaignError, CampaignSpec
from openamr.headend.campaign_service import Campaigns
from openamr.headend.collector import Collector
from openamr.headend.model import MeterRecord
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.store import Store

T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
BLOCK = 64
IMAGE = bytes(random.Random(7).randbytes(64 * 20 + 17))  # 21 blocks


@dataclass
class FakeMeter:
    """What a meter's Image transfer keeps between sessions (Blue Book 4.4.6)."""

    firmware: bytes = b"MT372-1.0"
    identifier: bytes = b""
    held: set[int] = field(default_factory=set)
    cut_after: int | None = None  # the connection drops after this many blocks, once
    bad_verify: bool = False
    dead: bool = False
    sessions: int = 0
    sent: int = 0


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += dt.timedelta(seconds=seconds)


class FakeOps:
    def __init__(self, fleet: dict[str, FakeMeter]) -> None:
        self.fleet = fleet

    async def upgrade(
        self,
        meter: MeterRecord,
        image: bytes,
        identifier: bytes,
        activate: bool,
        progress: Progress,
    ) -> str:
        m = self.fleet[meter.serial]
        m.sessions += 1
        if m.dead:
            raise TransportError(f"meter {meter.serial}: cannot connect: timed out")
        if m.identifier != identifier:
            m.identifier, m.held = identifier, set()
        blocks = -(-len(image) // BLOCK)
        progress(len(m.held), blocks)
        for n in range(blocks):
            if n in m.held:
                continue
            if m.cut_after is not None and m.sent >= m.cut_after:
                m.cut_after = None
                raise TransportError(f"meter {meter.serial}: connection lost")
            m.held.add(n)
            m.sent += 1
            progress(len(m.held), blocks)
        if m.bad_verify:
            raise MeterError(meter.serial, "firmware upgrade: verify", "verification failed")
        if not activate:
            return "verification_successful"
        m.firmware = identifier
        return "activation_successful"


async def _fleet(store: Store) -> dict[str, FakeMeter]:
    fleet = {f"{i:08d}": FakeMeter() for i in range(1, 7)}
    for serial in fleet:
        await store.put_meter(
            MeterRecord(
                serial, "tcp://127.0.0.1:1", auth="none", cell=int(serial) % 2, group="north"
            ),
            None,
            0,
        )
    await store.put_meter(
        MeterRecord("99", "tcp://127.0.0.1:1", auth="none", group="south"), None, 0
    )
    fleet["00000002"].cut_after = 5
    fleet["00000003"].bad_verify = True
    fleet["00000004"].dead = True
    return fleet


def _headend(
    store: Store, clock: Clock, fleet: dict[str, FakeMeter], per_cell: int = 1
) -> tuple[Runner, Campaigns]:
    policy = Policy(max_sessions=2, per_cell=per_cell, retry_base=60, retry_max=600)
    runner = Runner(
        store, Collector(store, None, clock), Scheduler(policy, random.Random(1)), [], clock
    )
    return runner, Campaigns(store, clock, runner, FakeOps(fleet))


async def _drive(
    runner: Runner, campaigns: Campaigns, clock: Clock, seconds: float, step: float = 120
) -> int:
    """Run the head-end on the stepped clock; the most sessions at once seen."""
    most = 0
    end = clock.t + dt.timedelta(seconds=seconds)
    while clock.t < end:
        await campaigns.tick()
        jobs = runner.scheduler.take(clock.t.timestamp())
        most = max(most, len(jobs))
        for job in jobs:
            runner.report(job, await runner.dispatch(job))
        await runner.flush()
        clock.advance(step)
    return most


def _spec(**kw: Any) -> CampaignSpec:
    start = int(T0.timestamp()) + 3600
    values: dict[str, Any] = {
        "identifier": "MT372-2.0",
        "group": "north",
        "window_start": start,
        "window_end": start + 7200,
    } | kw
    return CampaignSpec(**values)


async def test_a_campaign_in_its_window_with_activation_at_once(sqlite_store: Store) -> None:
    store, clock = sqlite_store, Clock()
    fleet = await _fleet(store)
    runner, campaigns = _headend(store, clock, fleet)
    cid = await campaigns.start(_spec(), IMAGE)
    await _drive(runner, campaigns, clock, 3000)  # before the window: nothing happens
    status = await campaigns.status(cid)
    assert status["state"] == "scheduled" and status["counts"]["pending"] == 6
    assert all(m.sessions == 0 for m in fleet.values())
    most = await _drive(runner, campaigns, clock, 9000)
    assert most <= 2  # the global limit; one per cell
    status = await campaigns.status(cid)
    assert status["counts"] == {
        "pending": 0,
        "transferring": 0,
        "verified": 0,
        "activated": 4,
        "failed": 2,
    }
    assert status["state"] == "done" and status["meters"] == 6  # not the south meter
    by = {t["serial"]: t for t in status["targets"]}
    # the cut transfer resumed: 21 blocks sent in all, the meter took the image
    assert fleet["00000002"].sent == 21 and fleet["00000002"].sessions == 2
    assert by["00000002"]["state"] == "activated" and by["00000002"]["attempts"] == 2
    assert fleet["00000002"].firmware == b"MT372-2.0"
    # the refused verify is permanent: one session, a known state, old firmware
    assert fleet["00000003"].sessions == 1 and fleet["00000003"].firmware == b"MT372-1.0"
    assert by["00000003"]["state"] == "failed"
    assert "verification failed" in by["00000003"]["reason"]
    assert "21 of 21 blocks in the meter" in by["00000003"]["reason"]
    assert "runs the firmware it had" in by["00000003"]["reason"]
    # the dead meter was retried with backoff until the window closed
    assert 5 <= fleet["00000004"].sessions <= 20  # 60 s doubling to 600 s, jittered, in 2 h
    assert by["00000004"]["state"] == "failed" and "window ended" in by["00000004"]["reason"]
    assert "cannot connect" in by["00000004"]["reason"]
    assert (await store.meter("00000001")).firmware == "MT372-2.0"
    assert (await store.meter("00000004")).firmware == ""


async def test_activation_at_a_time_survives_a_restart(sqlite_store: Store) -> None:
    store, clock = sqlite_store, Clock()
    fleet = await _fleet(store)
    fleet["00000004"].dead = False
    activate_at = int(T0.timestamp()) + 6 * 3600
    runner, campaigns = _headend(store, clock, fleet, per_cell=2)
    cid = await campaigns.start(_spec(activate_at=activate_at), IMAGE)
    await _drive(runner, campaigns, clock, 3600 + 120)
    mid = (await campaigns.status(cid))["counts"]
    assert mid["verified"] >= 1 and mid["activated"] == 0
    # the head-end stops; a new one (nothing in memory) reads the campaign back
    runner, campaigns = _headend(store, clock, fleet, per_cell=2)
    await _drive(runner, campaigns, clock, 3 * 3600)
    status = await campaigns.status(cid)
    assert status["counts"]["verified"] == 5 and status["counts"]["failed"] == 1
    assert all(m.firmware == b"MT372-1.0" for m in fleet.values())  # not before its time
    assert fleet["00000002"].sent == 21  # resumed across the restart, nothing sent twice
    await _drive(runner, campaigns, clock, 2 * 3600 + 600)
    status = await campaigns.status(cid)
    assert status["counts"] == {
        "pending": 0,
        "transferring": 0,
        "verified": 0,
        "activated": 5,
        "failed": 1,
    }
    assert {s for s, m in fleet.items() if m.firmware == b"MT372-2.0"} == {
        "00000001",
        "00000002",
        "00000004",
        "00000005",
        "00000006",
    }
    listed = await campaigns.list()
    assert [c["id"] for c in listed] == [cid] and listed[0]["state"] == "done"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"window_end": 0}, "window"),
        ({"identifier": ""}, "identifier"),
        ({"activate_at": 5}, "activate_at"),
    ],
)
def test_a_bad_campaign_is_refused(kw: dict[str, Any], message: str) -> None:
    with pytest.raises(CampaignError, match=message):
        _spec(**kw)


async def test_an_empty_group_is_refused(sqlite_store: Store) -> None:
    campaigns = Campaigns(sqlite_store, Clock())
    with pytest.raises(CampaignError, match="no active meter"):
        await campaigns.start(_spec(group="nowhere"), IMAGE)
