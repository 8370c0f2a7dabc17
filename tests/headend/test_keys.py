"""Key rotation against a twin over real sockets (global_key_transfer, keys wrapped
under the meter's master key): the vault's keys change only once a fresh
association with the new ones succeeded; a wrong master key leaves the old keys
in use and nothing pending. The counter-end alarm, stored once."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import AsyncIterator

import pytest

from openamr.client.meter import connect
from openamr.errors import DlmsError
from openamr.headend import schema
from openamr.headend.collector import Collector
from openamr.headend.counters import COUNTER_ALARM
from openamr.headend.keys import KeyRotation
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.runner import Runner
from openamr.headend.scheduler import Policy, Scheduler
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_KEK
from openamr.meter.mt372 import EPOCH
from openamr.security.keys import KeySet
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.conftest import KEK


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=1)
    yield t
    await stop_twin(t)


NEW_EK, NEW_AK = bytes.fromhex("a0" * 16), bytes.fromhex("b1" * 16)


def now() -> dt.datetime:
    return EPOCH


async def _setup(
    store: Store, twin: Twin, mk: bytes | None
) -> tuple[MeterRecord, Runner, KeyRotation]:
    await store.put_meter(
        MeterRecord(
            "12345678",
            twin.url("wrapper"),
            cell=1,
            secrets=MeterSecrets(None, DEFAULT_EK, DEFAULT_AK, mk),
        ),
        KEK,
        0,
    )
    meter = await store.meter("12345678")
    runner = Runner(
        store, Collector(store, KEK, now), Scheduler(Policy(), random.Random()), [meter], now
    )
    ondemand = OnDemand(store, KEK, now, runner=runner, timeout=5)
    return meter, runner, KeyRotation(store, KEK, ondemand, now, lambda: (NEW_EK, NEW_AK))


async def _opens(url: str, ek: bytes, ak: bytes) -> bool:
    try:
        async with connect(
            url,
            1,
            "high",
            keys=KeySet(ek, ak),
            environ={},
            timeout=3,
            retries=0,
            invocation_counter=10_000,
        ) as meter:
            await meter.clock()
    except DlmsError:
        return False
    return True


async def test_rotation_confirmed_by_a_fresh_association(sqlite_store: Store, twin: Twin) -> None:
    store = sqlite_store
    meter, runner, rotation = await _setup(store, twin, DEFAULT_KEK)
    assert meter.id is not None
    cid = await rotation.submit(meter)
    await runner.run()
    history = await store.command_history(cid)
    assert [s for _, s, _ in history] == ["queued", "sent", "confirmed"], history
    assert "global_key_transfer" in history[1][2]
    secrets = await store.secrets_of(meter.id, KEK)
    assert (secrets.ek, secrets.ak, secrets.mk) == (NEW_EK, NEW_AK, DEFAULT_KEK)
    assert await store.count("pending_keys") == 0
    # the head-end's next collection uses the new keys
    outcome = await Collector(store, KEK, now).collect(meter)
    assert outcome.ok, outcome.reason
    url = twin.url("wrapper")
    assert await _opens(url, NEW_EK, NEW_AK)
    assert not await _opens(url, DEFAULT_EK, DEFAULT_AK)
    result = await rotation.ondemand.result(cid)
    assert result["confirmed"] is True
    assert NEW_EK.hex() not in str(history) + str(result)


async def test_a_wrong_master_key_leaves_the_old_keys(sqlite_store: Store, twin: Twin) -> None:
    store = sqlite_store
    meter, runner, rotation = await _setup(store, twin, bytes(16))
    assert meter.id is not None
    cid = await rotation.submit(meter)
    await runner.run()
    history = await store.command_history(cid)
    assert history[-1][1] == "failed" and "keeps its old keys" in history[-1][2], history
    secrets = await store.secrets_of(meter.id, KEK)
    assert (secrets.ek, secrets.ak) == (DEFAULT_EK, DEFAULT_AK)
    assert await store.count("pending_keys") == 0
    assert await _opens(twin.url("wrapper"), DEFAULT_EK, DEFAULT_AK)


async def test_no_master_key_is_a_clear_failure(sqlite_store: Store, twin: Twin) -> None:
    meter, runner, rotation = await _setup(sqlite_store, twin, None)
    cid = await rotation.submit(meter)
    await runner.run()
    (*_, (_, state, note)) = await sqlite_store.command_history(cid)
    assert state == "failed" and "no master key (mk)" in note and "import it" in note


@pytest.mark.parametrize("threshold", [1, 0xF0000000])
async def test_the_counter_end_alarm_is_stored_once(
    sqlite_store: Store, twin: Twin, threshold: int
) -> None:
    store = sqlite_store
    meter, runner, _ = await _setup(store, twin, None)
    ondemand = OnDemand(store, KEK, now, runner=runner, timeout=5, counter_alert=threshold)
    for _ in range(2):
        await ondemand.submit(meter, "ping", {})
        await runner.run()
    async with store.engine.connect() as conn:
        rows = (await conn.execute(schema.alarms.select())).all()
    if threshold == 1:  # both counters past it, each alarmed once
        assert sorted(r.code for r in rows) == sorted(
            [COUNTER_ALARM["client"], COUNTER_ALARM["server"]]
        )
        assert all(r.sender == "12345678" and "near end" in r.name for r in rows)
    else:
        assert rows == []


async def test_the_master_key_is_write_only(sqlite_store: Store) -> None:
    import httpx

    from openamr.headend.api import create_app

    app = create_app(sqlite_store, KEK, OnDemand(sqlite_store, KEK, now), now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        body = {"serial": "5", "url": "tcp://127.0.0.1:1", "ek": DEFAULT_EK.hex(),
                "ak": DEFAULT_AK.hex(), "mk": DEFAULT_KEK.hex()}  # fmt: skip
        r = await client.post("/meters", json=body)
        assert r.status_code == 201 and "mk" not in r.json()
        assert DEFAULT_KEK.hex() not in (await client.get("/meters/5")).text
    meter = await sqlite_store.meter("5")
    assert meter.id is not None
    assert (await sqlite_store.secrets_of(meter.id, KEK)).mk == DEFAULT_KEK


async def test_a_collection_alerts_once_and_again_after_the_alarm_is_closed(
    sqlite_store: Store, twin: Twin
) -> None:
    from sqlalchemy import update

    from openamr.headend.collector import CollectPolicy
    from openamr.headend.counters import counter_alerts

    store = sqlite_store
    meter, _, _ = await _setup(store, twin, None)
    outcome = await Collector(store, KEK, now, CollectPolicy(counter_alert=1)).collect(meter)
    assert outcome.ok, outcome.reason
    codes = [r.code for r in await store._rows(schema.alarms.select())]
    assert sorted(codes) == sorted(COUNTER_ALARM[k] for k in ("client", "server"))
    # the rule on its own: below the threshold nothing, an open alarm is not repeated,
    # a closed one is raised again
    assert await counter_alerts(store, meter.serial, meter.id, {"client": 0xEFFFFFFF}, 10) == []
    assert await counter_alerts(store, meter.serial, meter.id, {"client": 0xF0000000}, 20) == []
    async with store.engine.begin() as conn:
        await conn.execute(update(schema.alarms).values(state="closed"))
    assert await counter_alerts(
        store, meter.serial, meter.id, {"client": 0xF0000001, "server": 5}, 30
    ) == ["client"]
