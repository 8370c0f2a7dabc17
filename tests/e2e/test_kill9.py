"""A real kill -9: ``openamr meter serve --state F --speed 600`` in a subprocess, read
by our client while it runs, SIGKILLed at a random moment, restarted on the same
state file and read again. Nothing the clients saw is lost or counted twice: the
energy never decreases, no load profile interval appears twice or changes, each
outage is logged as a power failure (and flagged in the profile), and the server
never reuses an invocation counter (an HLS association after each restart starts
from the counter read from 0.0.43.1.0.255, above every counter used before).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK, DEFAULT_KEK
from openamr.meter.events import EventCode, LpStatus
from openamr.security.keys import KeySet

SPEED = 600
LLS = {"client": 32, "auth": "low", "password": "12345678", "environ": {}}
HLS = {"client": 1, "auth": "high", "keys": KeySet(DEFAULT_EK, DEFAULT_AK, DEFAULT_KEK),
       "environ": {}}  # fmt: skip
LISTENING = re.compile(rb"listening on [\d.]+:(\d+)")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


@dataclass
class Seen:
    """What clients have read so far, across every run."""

    energy: int = 0
    rows: dict[dt.datetime, tuple[object, ...]] = field(default_factory=dict)
    server_ic: int = 0  # the highest invocation counter of any server answer

    def add_rows(self, stamps: list[dt.datetime | None], rows: list[tuple[object, ...]]) -> None:
        for stamp, row in zip(stamps, rows, strict=True):
            assert stamp is not None
            assert self.rows.setdefault(stamp, row) == row, f"interval {stamp} changed"


class Meter:
    """The twin as a child process."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self, *extra: str) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from openamr.cli.main import main; main()",
            "meter", "serve", "--state", str(self.state), "--port", "0",
            "--speed", str(SPEED), *extra,
            stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 20)
        found = LISTENING.search(line)
        assert found is not None, line
        self.url = f"tcp://127.0.0.1:{int(found.group(1))}"

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            await self.kill()


async def read_once(url: str, seen: Seen) -> list[tuple[dt.datetime, int]]:
    """Registers, the load profile and the log-book (LLS), then an HLS association
    that starts from the counter it read; what it read goes into ``seen``."""
    async with connect(url, timeout=5, retries=0, **LLS) as meter:  # type: ignore[arg-type]
        energy = (await meter.register("1.0.1.8.0.255")).raw
        assert isinstance(energy, int) and energy >= seen.energy, "the energy went back"
        seen.energy = energy
        lp = await meter.profile("1.0.99.1.0.255")
        stamps = lp.timestamps()
        assert len(set(stamps)) == len(stamps), "an interval appears twice"
        seen.add_rows(stamps, lp.rows)
        events = [(e.time, e.code) for e in await meter.events()]
    async with connect(url, timeout=5, retries=0, **HLS) as meter:  # type: ignore[arg-type]
        assert meter.server_invocation_counter is not None
        assert meter.server_invocation_counter > seen.server_ic, "an IC would be reused"
        await meter.get("0.0.96.1.0.255", class_id=1)
        incoming = meter.session.association.session.incoming.last  # type: ignore[union-attr]
        assert incoming is not None and incoming >= meter.server_invocation_counter
        seen.server_ic = max(seen.server_ic, incoming)
    return [(t, c) for t, c in events if t is not None]


async def keep_reading(url: str, seen: Seen) -> None:
    """Read until the meter dies under us (the kill lands at any point of a read)."""
    try:
        while True:
            await read_once(url, seen)
    except (TimeoutError, MeterError, OSError):
        return


def outages(events: list[tuple[dt.datetime, int]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """(power failure, power returned) pairs of the log-book."""
    out, failed = [], None
    for at, code in events:
        if code == EventCode.POWER_FAILURE:
            failed = at
        elif code == EventCode.POWER_RETURNED and failed is not None:
            out.append((failed, at))
            failed = None
    return out


def check_outages(seen: Seen, events: list[tuple[dt.datetime, int]], kills: int) -> None:
    found = outages(events)
    assert len(found) == kills, f"{kills} kills but {len(found)} power failures logged"
    for failed, returned in found:
        inside = [s for s in seen.rows if failed <= s < returned]
        assert not inside, f"intervals captured while the supply was off: {inside}"
        after = min((s for s in seen.rows if s >= returned), default=None)
        if after is not None:
            status = seen.rows[after][1]
            assert isinstance(status, int)
            assert status & (LpStatus.POWER_DOWN | LpStatus.POWER_UP) == 0xC0


@pytest.mark.parametrize("seed", [1, 2])
async def test_kill_9_loses_nothing_and_counts_nothing_twice(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    seen, meter = Seen(), Meter(tmp_path / "meter.db")
    await meter.start("--history-days", "1")
    kills = 0
    try:
        await read_once(meter.url, seen)
        for _ in range(2):
            reader = asyncio.create_task(keep_reading(meter.url, seen))
            await asyncio.sleep(rng.uniform(0.2, 2.0))
            await meter.kill()
            kills += 1
            await asyncio.wait_for(reader, 10)
            before = dict(seen.rows)
            await meter.start()
            events = await read_once(meter.url, seen)
            assert all(seen.rows[s] == row for s, row in before.items()), "a row was lost"
            check_outages(seen, events, kills)
        await asyncio.sleep(2)  # the restarted meter goes on capturing
        events = await read_once(meter.url, seen)
        check_outages(seen, events, kills)
        assert max(seen.rows) > max(before)
    finally:
        await meter.stop()
