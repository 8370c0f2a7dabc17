"""The API's bearer tokens and its Prometheus metrics over real sockets: the
head-end (``serve_all``) collects a twin and a dead meter, then /metrics is
scraped and parsed with prometheus_client's own parser; without a token the API
answers 401 with what to do; a non-loopback API without tokens does not start.
Last, ``openamr headend serve --config`` in its own process, with a token."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from openamr.headend.config import ConfigError, token_hash
from openamr.headend.model import MeterRecord
from openamr.headend.scheduler import Policy
from openamr.headend.server import Endpoints, Running, serve_all
from openamr.headend.service import collect_now
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.conftest import KEK
from tests.headend.test_cli import BIN

TOKEN = "a-token-for-the-test-0123456789"


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=1)
    yield t
    await stop_twin(t)


def scrape(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


async def test_metrics_with_a_token_over_sockets(sqlite_store: Store, twin: Twin) -> None:
    store = sqlite_store
    secrets = MeterSecrets(None, DEFAULT_EK, DEFAULT_AK)
    await store.put_meter(MeterRecord("1", twin.url("wrapper"), cell=5, secrets=secrets), KEK, 0)
    await store.put_meter(MeterRecord("2", "tcp://127.0.0.1:1", cell=6, secrets=secrets), KEK, 0)
    began = time.monotonic()

    def now() -> dt.datetime:
        return EPOCH + dt.timedelta(seconds=time.monotonic() - began)

    policy = Policy(retry_base=0.1, on_demand_deadline=0.3)
    await collect_now(store, KEK, await store.meters(), policy=policy, now=now)
    ready: asyncio.Queue[Running] = asyncio.Queue()
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_all(
        store, KEK, Policy(), None, stop, Endpoints("127.0.0.1", 0, "127.0.0.1", 0), now=now,
        started=ready.put_nowait, tokens=frozenset({token_hash(TOKEN)}),
    ))  # fmt: skip
    try:
        running = await asyncio.wait_for(ready.get(), 10)
        base = f"http://127.0.0.1:{running.api_port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            r = await client.get("/metrics")
            assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
            assert "Authorization: Bearer TOKEN" in r.json()["hint"]
            r = await client.get("/meters", headers={"Authorization": "Bearer nope"})
            assert r.status_code == 401 and "not one of this head-end's" in r.json()["error"]
            auth = {"Authorization": f"Bearer {TOKEN}"}
            assert (await client.get("/meters", headers=auth)).status_code == 200
            r = await client.get("/metrics", headers=auth)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
            m = scrape(r.text)
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
    sessions = {(x["outcome"], x["reason"]): v for x, v in m["openamr_sessions_total"]}
    assert sessions[("ok", "none")] == 1
    assert sessions[("failed", "connect")] >= 2  # the dead meter, retried
    ((_, stored),) = m["openamr_readings_stored_total"]
    assert stored == len(await store.readings())
    ((_, rate),) = m["openamr_reads_per_second"]
    assert rate == pytest.approx(stored / 60)  # all stored in the last minute
    assert {x["state"]: v for x, v in m["openamr_meters"]} == {"active": 2}
    ((labels, ratio),) = m["openamr_completeness_ratio"]
    assert labels == {"day": "2025-12-31"} and 0.45 < ratio <= 0.5  # one of two meters
    assert ("openamr_alarms_total", m["openamr_alarms_total"]) == (
        "openamr_alarms_total",
        [({}, 0.0)],
    )
    assert m["openamr_alarms_per_second"] == [({}, 0.0)]
    assert {x["result"] for x, _ in m["openamr_pushes_total"]} == {"stored", "duplicate", "refused"}
    assert m["openamr_sessions_running"] == [({}, 0.0)]
    # serve planned today's collection (its window opens at 01:00): one job per cell waits
    assert {x["cell"]: v for x, v in m["openamr_queue_depth"]} == {"5": 1.0, "6": 1.0}


async def test_queue_depth_per_cell(sqlite_store: Store) -> None:
    from openamr.headend.metrics import render

    store = sqlite_store
    import random

    from openamr.headend.collector import Collector
    from openamr.headend.runner import Runner
    from openamr.headend.scheduler import Scheduler

    for serial, cell in (("1", 5), ("2", 5), ("3", None)):
        await store.put_meter(
            MeterRecord(serial, "tcp://127.0.0.1:1", auth="none", cell=cell), None, 0
        )
    meters = await store.meters()
    runner = Runner(
        store,
        Collector(store, None, lambda: EPOCH),
        Scheduler(Policy(), random.Random()),
        meters,
        lambda: EPOCH,
    )
    runner.scheduler.plan_day([(m.serial, m.cell) for m in meters], EPOCH.date())
    m = scrape((await render(store, int(EPOCH.timestamp()), runner)).decode())
    assert {x["cell"]: v for x, v in m["openamr_queue_depth"]} == {"5": 2.0, "none": 1.0}


async def test_a_public_api_without_tokens_does_not_start(sqlite_store: Store) -> None:
    with pytest.raises(ConfigError, match="needs bearer tokens"):
        await serve_all(
            sqlite_store,
            KEK,
            Policy(),
            None,
            asyncio.Event(),
            Endpoints("127.0.0.1", None, "0.0.0.0", 0),
        )


def test_serve_with_a_config_file_in_its_own_process(tmp_path: Path) -> None:
    config = tmp_path / "headend.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "c.db"}"\n[listener]\nlisten = "off"\n'
        f'[api]\nlisten = "127.0.0.1:0"\ntokens = ["{token_hash(TOKEN)}"]\n'
        "[limits]\nper_cell = 3\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAMR_DB", "OPENAMR_KEK")}
    proc = subprocess.Popen(
        [str(BIN / "openamr"), "headend", "serve", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stderr is not None
    try:
        lines = [proc.stderr.readline() for _ in range(2)]
        found = [re.search(r"API on (http://127\.0\.0\.1:\d+)/docs \(bearer", x) for x in lines]
        api: Any = next((f for f in found if f), None)
        assert api is not None, lines
        assert f"database sqlite:///{tmp_path / 'c.db'}" in lines[0]
        with httpx.Client(base_url=api.group(1), timeout=10) as client:
            assert client.get("/meters").status_code == 401
            r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 200 and "openamr_meters" in r.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err
    assert (tmp_path / "c.db").exists()
