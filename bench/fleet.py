"""Fleet benchmarks (issue 12, "Proof"): what one fleet process costs and serves.

* memory per meter: a fleet of 1,000 and of 10,000 meters listening, each at its own
  loopback address (RLIMIT_NOFILE raised to the hard limit), none reached yet: the
  resident memory (VmRSS) the listeners and the fleet add, divided by the meters;
  and 1,000 meters each woken with 30 days of history and hibernated into a state
  file on disk, as the issue's floor states it (run once: about a minute);
* sessions per second: ``openamr fleet serve`` (1,000 meters, no faults) in a
  subprocess; our client in this process is the load: each session connects to one
  of 50 meters (woken before the timed runs), associates as the LLS reader with
  that meter's own password, reads the clock and three registers, releases and
  closes, 16 sessions at a time. The note gives the fleet process's CPU time per
  session (its sessions per core-second, the issue's floor being 300);
* advancing the fleet by one day: 100 awake twins each brought one day ahead (the
  fleet's lazy meters pay this when they are next reached); the note scales it to
  10,000 meters.

No peer simulates a fleet: the figures stand alone.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import gc
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from bench import Case, suite
from openamr.fleet.config import Addresses, FleetConfig, quick
from openamr.fleet.faults import FaultRates
from openamr.fleet.hibernation import FleetState
from openamr.fleet.identity import secrets
from openamr.fleet.meters import Fleet
from openamr.fleet.serve import FleetServer
from openamr.meter.clock import MeterClock, SteppedTime

START = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
SESSIONS, WARM, CONCURRENCY = 400, 50, 16
REGISTERS = ("1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.32.7.0.255")
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
    return 0


def _listening(meters: int, first: str) -> tuple[float, int]:
    """Bytes of resident memory per meter of a listening fleet; meters listened."""

    async def run() -> float:
        gc.collect()
        before = _rss()
        config = quick(meters, addresses=Addresses(first=first), faults=FaultRates.none())
        fleet = Fleet(config, MeterClock(SteppedTime(START)), FleetState.memory())
        server = FleetServer(fleet, asyncio.get_running_loop())
        server.listen()
        gc.collect()
        per_meter = (_rss() - before) / meters
        server.close()
        return per_meter

    return asyncio.run(run()), meters


def _memory_case(meters: int, first: str) -> Case:
    per_meter, _ = _listening(meters, first)
    note = f"{per_meter / 1024:.2f} KiB resident per meter ({meters:,} listening, VmRSS)"
    return Case("openamr", lambda: _listening(meters, first)[1], note=note)


@suite("fleet", "a fleet of 1,000 meters listening", unit="meters", items=1_000)
def memory_1000() -> list[Case]:
    return [_memory_case(1_000, "127.7.0.1")]


@suite("fleet", "a fleet of 10,000 meters listening", unit="meters", items=10_000)
def memory_10000() -> list[Case]:
    return [_memory_case(10_000, "127.8.0.1")]


WOKEN, WOKEN_DAYS = 1_000, 30
_woken: list[str] = []


def _woken_and_hibernated() -> int:
    """Issue 12's memory floor as the issue states it: every meter with 30 days of
    history, woken once (built, its history simulated) and hibernated into a state
    file on disk; the resident memory the fleet keeps afterwards, per meter."""
    gc.collect()
    before = _rss()
    work = Path(tempfile.mkdtemp(prefix="openamr-bench-woken-"))
    config = quick(WOKEN, addresses=Addresses(first="127.10.0.1"), faults=FaultRates.none(),
                   history_days=WOKEN_DAYS)  # fmt: skip
    fleet = Fleet(config, MeterClock(SteppedTime(START)), FleetState.open(work / "fleet.db"))
    for index in range(WOKEN):
        fleet.reach(index)
        assert fleet.hibernate(index), index
    gc.collect()
    per_meter = (_rss() - before) / WOKEN
    stored = sum(fleet.state.bytes_of(s) for s in config.serials) / WOKEN
    _woken.append(f"- {per_meter / 1024:.1f} KiB resident per meter after all {WOKEN:,} were "
                  f"woken with {WOKEN_DAYS} days of history and hibernated (VmRSS, the "
                  f"bounded caches included; floor 20 KiB); {stored / 1024:.1f} KiB per "
                  "meter in the state file")  # fmt: skip
    return WOKEN


@suite("fleet", f"wake {WOKEN:,} meters with {WOKEN_DAYS} days of history, hibernate each",
       unit="meters", items=WOKEN, repeat=1, report=lambda: _woken)  # fmt: skip
def woken() -> list[Case]:
    return [Case("openamr", _woken_and_hibernated, warm_up=False)]


# -- sessions ---------------------------------------------------------------------------

FLEET_TOML = """
[fleet]
meters = 1000
history_days = 1
[addresses]
first = "127.9.0.1"
"""


def _config() -> FleetConfig:
    return quick(1000, addresses=Addresses(first="127.9.0.1"))


def _start_fleet() -> tuple[subprocess.Popen[str], str]:
    work = Path(tempfile.mkdtemp(prefix="openamr-bench-fleet-"))
    (work / "fleet.toml").write_text(FLEET_TOML)
    command = [sys.executable, "-m", "openamr.cli.main", "fleet", "serve", "--no-faults",
               "--config", str(work / "fleet.toml"), "--state", str(work / "fleet.state"),
               "--control-port", "0"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    atexit.register(process.kill)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(2)]
    found = re.search(r"(http://127\.0\.0\.1:\d+/)", lines[1])
    assert found is not None, lines
    return process, found[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


async def _session(url: str, password: bytes) -> int:
    from openamr.client.meter import connect

    async with connect(url, 32, "low", password=password, environ={}, retries=0) as m:
        await m.clock()
        for name in REGISTERS:
            await m.register(name, class_id=3)
    return 1


async def _load(targets: list[tuple[str, bytes]], sessions: int) -> int:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> int:
        async with gate:
            url, password = targets[i % len(targets)]
            return await _session(url, password)

    return sum(await asyncio.gather(*(one(i) for i in range(sessions))))


@suite("fleet", "sessions served by one fleet process (LLS, clock + 3 registers)",
       unit="sessions", items=SESSIONS)  # fmt: skip
def sessions() -> list[Case]:
    process, control = _start_fleet()
    config = _config()
    targets = []
    for index in range(0, config.size, config.size // WARM):
        serial = config.serials[index]
        LOCAL.open(control + f"meters/{serial}", timeout=60).read()  # wake it
        url = f"tcp://{config.addresses.of(index)[0]}:4059"
        targets.append((url, secrets(config, serial).password))
    cpu: list[float] = []

    def run() -> int:
        before = _cpu_seconds(process.pid)
        done = asyncio.run(_load(targets, SESSIONS))
        cpu.append(_cpu_seconds(process.pid) - before)
        return done

    run()
    per_core = SESSIONS / max(min(cpu), 0.01)
    note = (f"the fleet process: {per_core:,.0f} sessions per CPU-second "
            f"({len(targets)} meters, {CONCURRENCY} at a time; floor 300)")  # fmt: skip
    return [Case("openamr", run, note=note)]


# -- advancing ----------------------------------------------------------------------------

SAMPLE = 100


@suite("fleet", f"advance {SAMPLE} awake meters by one day (x100: a fleet of 10,000)",
       unit="meter-days", items=SAMPLE)  # fmt: skip
def advance_day() -> list[Case]:
    base = SteppedTime(START)
    config = quick(SAMPLE, faults=FaultRates.none(), history_days=0)
    fleet = Fleet(config, MeterClock(base), FleetState.memory())
    for index in range(SAMPLE):
        fleet.app(index)

    def advance() -> int:
        base.step(86_400)
        for index in range(SAMPLE):
            fleet.app(index)
        return SAMPLE

    return [Case("openamr", advance, note="x 100 for 10,000 meters")]
