"""kill -9 of ``openamr headend collect`` mid-collection: what was stored stays,
nothing is stored twice, and the next run completes the collection."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openamr.aio.serve import Listeners
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import build_mt372
from tests.background import background_loop
from tests.headend.commissioning_files import entry, write_json

KEK = bytes(range(16))
N = 5
OPENAMR = str(Path(sys.executable).parent / "openamr")


def wall() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def urls() -> Iterator[list[str]]:
    with background_loop() as bg:
        ports = [
            bg.serve_twin(build_mt372(f"{20000001 + i}", time_base=wall, history_days=1),
                          Listeners(port=0))
            for i in range(N)
        ]  # fmt: skip
        yield [f"tcp://127.0.0.1:{p}" for p in ports]


def keys(db: Path) -> set[tuple[int, str, int]]:
    with sqlite3.connect(db) as conn:
        return set(conn.execute("SELECT meter_id, channel, ts FROM readings"))


def sessions(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_kill9_mid_collection(urls: list[str], tmp_path: Path) -> None:
    db = tmp_path / "he.db"
    env = {**os.environ, "OPENAMR_KEK": KEK.hex(), "OPENAMR_DB": f"sqlite:///{db}"}
    rows = [entry(KEK, f"{20000001 + i}", u, DEFAULT_EK, DEFAULT_AK) for i, u in enumerate(urls)]
    path = write_json(tmp_path / "fleet.json", KEK, rows)
    subprocess.run([OPENAMR, "headend", "meters", "import", str(path)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    collect = [OPENAMR, "headend", "collect", "--max-sessions", "1", "--json"]
    proc = subprocess.Popen(collect, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while sessions(db) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    done_before = sessions(db)
    assert 2 <= done_before < N, "the kill did not land mid-collection"
    before = keys(db)

    again = subprocess.run(collect, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    after = keys(db)
    assert before <= after  # nothing stored was lost
    with sqlite3.connect(db) as conn:
        per_meter = dict(conn.execute(
            "SELECT meter_id, count(DISTINCT ts) FROM readings "
            "WHERE channel LIKE '1.0.99.1.0.255/%' GROUP BY meter_id"))  # fmt: skip
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT meter_id, channel, ts FROM readings "
            "GROUP BY meter_id, channel, ts HAVING count(*) > 1)").fetchone()[0]  # fmt: skip
    assert duplicates == 0
    assert len(per_meter) == N and min(per_meter.values()) >= 96  # a day of quarter-hours each
