"""The fleet's commissioning export carries each meter's master key (``mk``, wrapped
under the KEK, docs/commissioning.md): imported into the head-end, it lets the
head-end rotate a fleet meter's keys (global_key_transfer, Blue Book 4.4.7) over
real sockets against the running fleet, and collect again with the new keys."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openamr.client.meter import connect
from openamr.errors import DlmsError
from openamr.fleet.commissioning import to_csv, to_json
from openamr.fleet.config import Addresses
from openamr.fleet.identity import secrets
from openamr.fleet.meters import Fleet
from openamr.headend.collector import Collector
from openamr.headend.inventory import import_file
from openamr.headend.keys import KeyRotation
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.service import utc_now
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from openamr.security.keys import KeySet
from tests.addresses import loopback_block
from tests.fleet.conftest import serving, small

KEK_BYTES = bytes(range(40, 72))
KEK = Kek(KEK_BYTES)
NEW_EK, NEW_AK = bytes.fromhex("c3" * 16), bytes.fromhex("d4" * 16)


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    config = small(2, history_days=0.1, addresses=Addresses(first=loopback_block()))
    async with serving(config, idle_s=600) as server:
        yield server.fleet


async def _opens(url: str, ek: bytes, ak: bytes) -> bool:
    try:
        async with connect(url, 1, "high", keys=KeySet(ek, ak), environ={}, timeout=3,
                           retries=0, invocation_counter=10_000) as meter:  # fmt: skip
            await meter.clock()
    except DlmsError:
        return False
    return True


@pytest.mark.parametrize("encoding", ["csv", "json"])
async def test_export_import_rotate_collect(
    sqlite_store: Store, fleet: Fleet, tmp_path: Path, encoding: str
) -> None:
    store, config = sqlite_store, fleet.config
    text = (to_csv if encoding == "csv" else to_json)(config, KEK_BYTES)
    assert secrets(config, fleet.meter(0).serial).kek.hex() not in text  # wrapped
    path = tmp_path / f"fleet.{encoding}"
    path.write_text(text)
    assert (await import_file(store, path, KEK, now=0)).added == 2
    meters = [await store.meter(fleet.meter(i).serial) for i in range(2)]
    for m in meters:
        assert m is not None and m.id is not None
        held = secrets(config, m.serial, 0)
        assert (await store.secrets_of(m.id, KEK)).mk == held.kek

    target, other = meters
    assert target is not None and target.id is not None and other is not None
    runner = Runner(store, Collector(store, KEK, utc_now),
                    Scheduler(Policy(max_sessions=2, per_cell=2), random.Random(1)),
                    [m for m in meters if m is not None], utc_now)  # fmt: skip
    ondemand = OnDemand(store, KEK, utc_now, runner=runner, timeout=5)
    rotation = KeyRotation(store, KEK, ondemand, utc_now, lambda: (NEW_EK, NEW_AK))
    cid = await rotation.submit(target)
    await asyncio.wait_for(runner.run(), 60)
    history = await store.command_history(cid)
    assert [s for _, s, _ in history] == ["queued", "sent", "confirmed"], history
    now_held = await store.secrets_of(target.id, KEK)
    assert (now_held.ek, now_held.ak) == (NEW_EK, NEW_AK)

    collector = Collector(store, KEK, lambda: dt.datetime.now(dt.UTC))
    for m in (target, other):  # the rotated meter with its new keys, the other unchanged
        outcome = await collector.collect(m)
        assert outcome.ok and outcome.readings > 0, (m.serial, outcome.reason)
    old = secrets(config, target.serial, 0)  # the twin itself: new keys only
    assert await _opens(target.url, NEW_EK, NEW_AK)
    assert not await _opens(target.url, old.ek, old.ak)
