"""Crash safety for real: a child process opens the store and, in a loop, hands out
invocation counters and commits batches (energy + its load-profile row + an event
+ the last-alive instant); it is killed with SIGKILL at a random moment, then
restarted on the same file, several times, for several seeds.

After each kill the store must be consistent: every committed batch whole and
none partial (energy, rows, events and alive instant all agree on one batch
number), no batch the child reported committed is missing, counters never go
backwards, and the committed IC ceiling is above every IC ever handed out (the
child logs each IC to a side file *before* it would leave the meter)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openamr.meter.state import OUTGOING_IC, StateStore

SRC = Path(__file__).resolve().parents[2] / "src"
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STAMP = bytes.fromhex("07 ea 01 01 04 00 00 00 00 80 00 00")
LP_CAPACITY, EVENT_CAPACITY = 100, 20

CHILD = """
import datetime as dt, sys
from openamr.meter.state import StateStore
from openamr.meter.state import ReservedCounter

path, log_path, synchronous = sys.argv[1], sys.argv[2], sys.argv[3]
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STAMP = bytes.fromhex("07 ea 01 01 04 00 00 00 00 80 00 00")
log = open(log_path, "a", buffering=1)
store = StateStore.open(path, synchronous=synchronous)
counter = ReservedCounter(store, block=25)
batch = store.get_int("batch", 0)
energy = store.get_int("energy", 0)
log.write("ready\\n")
while True:
    for _ in range(3):
        log.write(f"ic {counter.next()}\\n")  # logged before the IC would leave
    batch += 1
    energy += 7 * batch
    with store.transaction():
        store.put("energy", energy)
        store.put("batch", batch)
        store.append_rows("lp", [(STAMP, batch % 256, batch, energy)], capacity=100)
        if batch % 3 == 0:
            store.append_rows("events", [(STAMP, batch, None)], capacity=20)
        store.mark_alive(T0 + dt.timedelta(seconds=batch))
    log.write(f"committed {batch}\\n")
"""


def energy_at(batch: int) -> int:
    return 7 * batch * (batch + 1) // 2


def run_and_kill(path: Path, log: Path, synchronous: str, delay: float) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    args = [sys.executable, "-c", CHILD, str(path), str(log), synchronous]
    child = subprocess.Popen(args, env=env, stderr=subprocess.PIPE)
    began, size = time.monotonic(), log.stat().st_size if log.exists() else 0
    while not (log.exists() and b"ready" in log.read_bytes()[size:]):
        assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
        assert time.monotonic() - began < 30, "the child never got ready"
        time.sleep(0.005)
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


def check_consistent(store: StateStore, last_reported: int) -> int:
    batch = store.get_int("batch", 0)
    assert last_reported <= batch <= last_reported + 1  # committed ones all there
    assert store.get_int("energy", 0) == energy_at(batch)
    kept = range(max(1, batch - LP_CAPACITY + 1), batch + 1)
    assert store.load_rows("lp") == [(STAMP, b % 256, b, energy_at(b)) for b in kept]
    events = [b for b in range(3, batch + 1, 3)][-EVENT_CAPACITY:]
    assert store.load_rows("events") == [(STAMP, b, None) for b in events]
    assert store.last_alive() == (T0 + dt.timedelta(seconds=batch) if batch else None)
    return batch


def parse(log: Path) -> tuple[list[int], int]:
    ics, committed = [], 0
    for line in log.read_text().splitlines():
        word, _, number = line.partition(" ")
        if word == "ic" and number:
            ics.append(int(number))
        elif word == "committed" and number:
            committed = int(number)
    return ics, committed


@pytest.mark.parametrize(
    ("seed", "synchronous"),
    [(0, "FULL"), (1, "FULL"), (2, "FULL"), (3, "FULL"), (4, "NORMAL"), (5, "NORMAL")],
)
def test_kill_9_at_a_random_moment_loses_nothing_committed(
    tmp_path: Path, seed: int, synchronous: str
) -> None:
    rng = random.Random(seed)
    path, log = tmp_path / "meter.state", tmp_path / "child.log"
    previous = 0
    for _ in range(3):
        run_and_kill(path, log, synchronous, rng.uniform(0.02, 0.35))
        ics, committed = parse(log)
        with StateStore.open(path) as store:
            batch = check_consistent(store, committed)
            assert batch >= previous  # never backwards across lives
            assert ics == sorted(set(ics))  # no IC handed out twice, across lives
            assert not ics or store.get_int(OUTGOING_IC) > ics[-1]
        previous = batch
    assert previous > 0, "the child never committed a batch: the test proved nothing"
    print(f"seed {seed} ({synchronous}): {previous} batches over 3 kills, {len(ics)} ICs")
