"""Twin benchmarks (issue 4): how many simulated meter-days per second the MT372
twin computes, and its memory per meter.

* one meter, a year: ``build_mt372(history_days=365)`` simulates a year before it
  answers: 35,040 load-profile periods, rates, demand, 12 billings, DST, events;
* a fleet of 1,000 twins advanced by one day each (lazy twins cost nothing while
  nobody reads them: this is what a head-end's daily read of a fleet costs the
  simulator). Memory per twin is measured with tracemalloc on the fleet.

No peer simulates a meter, so there is no ratio: the figures stand alone.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import os
import subprocess
import sys
import tracemalloc

from bench import Case, suite
from openamr.codec.obis import Obis
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FLEET = 1_000
A_PLUS = Obis.parse("1.0.1.8.0.255")
LP1 = Obis.parse("1.0.99.1.0.255")


def _year() -> ServerApplication:
    return build_mt372("bench-year", time_base=SteppedTime(START), history_days=365)


def _check_year(app: object) -> None:
    assert isinstance(app, ServerApplication)
    lp = app.device.find(LP1)
    assert lp is not None and len(lp.rows) == 19_680  # type: ignore[attr-defined]


@suite("twin", "simulate one meter for a year", unit="meter-days", items=365)
def one_year() -> list[Case]:
    return [Case("openamr", _year, check=_check_year)]


def _fleet() -> tuple[list[ServerApplication], SteppedTime, float]:
    time = SteppedTime(START)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fleet = [build_mt372(f"{i:08d}", time_base=time) for i in range(FLEET)]
    per_meter = (tracemalloc.get_traced_memory()[0] - before) / FLEET
    tracemalloc.stop()
    return fleet, time, per_meter


@suite("twin", f"advance a fleet of {FLEET:,} twins by one day", unit="meter-days", items=FLEET)
def fleet_day() -> list[Case]:
    fleet, time, per_meter = _fleet()

    def advance_all() -> int:
        time.step(86_400)
        for app in fleet:
            app.refresh()
        return len(fleet)

    def check(_: object) -> None:
        energies = [app.device.find(A_PLUS).get(2) for app in fleet]  # type: ignore[union-attr]
        assert all(isinstance(e, int) and e > 0 for e in energies)

    note = f"{per_meter / 1024:.0f} KiB per idle twin (tracemalloc, {FLEET:,} twins)"
    return [Case("openamr", advance_all, check=check, note=note)]


# -- creation --------------------------------------------------------------------------

BUILDS = 200


@suite("twin", f"build {BUILDS} twins (no history)", unit="twins", items=BUILDS)
def creation() -> list[Case]:
    time = SteppedTime(START)

    def build() -> list[ServerApplication]:
        return [build_mt372(f"{i:08d}", time_base=time) for i in range(BUILDS)]

    def check(out: object) -> None:
        assert isinstance(out, list) and len(out) == BUILDS

    return [Case("openamr", build, check=check)]


# -- a session ---------------------------------------------------------------------------

SESSIONS = 40
TWIN = """
import asyncio, datetime as dt
from openamr.aio.dlms_server import serve_wrapper
from openamr.meter.mt372 import build_mt372

async def main() -> None:
    app = build_mt372("12345678", time_base=lambda: dt.datetime.now(dt.UTC), history_days=30)
    server = await serve_wrapper(app, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (/proc/<pid>/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_twin(code: str = TWIN) -> tuple[subprocess.Popen[str], int]:
    """A twin on the real clock in a subprocess, and its port (stopped at exit)."""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    atexit.register(proc.terminate)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.terminate()
        raise RuntimeError(f"the twin did not start: {line!r}")
    return proc, int(line)


async def session(port: int) -> tuple[object, ...]:
    """LLS associate, clock, A+ with scaler, a day of LP1, the event log, release."""
    from openamr.client.meter import connect

    async with connect(f"tcp://127.0.0.1:{port}", 32, "low", password=b"12345678",
                       environ={}) as meter:  # fmt: skip
        now = await meter.clock()
        energy = await meter.register(A_PLUS, class_id=3)  # no object list
        day = await meter.profile(LP1, now - dt.timedelta(days=1), now)
        events = await meter.events()
    return now, energy, day, events


def twin_cpu_per_session(port: int, pid: int, loop: asyncio.AbstractEventLoop) -> float:
    """The twin process's CPU per session (ms), over SESSIONS sessions."""
    before = cpu_seconds(pid)
    for _ in range(SESSIONS):
        loop.run_until_complete(session(port))
    return (cpu_seconds(pid) - before) / SESSIONS * 1e3


@suite("twin", f"{SESSIONS} sessions: associate, clock, A+, a day of LP1, events, release",
       unit="sessions", items=SESSIONS)  # fmt: skip
def sessions() -> list[Case]:
    proc, port = start_twin()
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)
    loop.run_until_complete(session(port))  # warm: the first read compiles and caches
    cpu = min(twin_cpu_per_session(port, proc.pid, loop) for _ in range(3))

    def run() -> int:
        for _ in range(SESSIONS):
            loop.run_until_complete(session(port))
        return SESSIONS

    def check(out: object) -> None:
        _, energy, day, events = loop.run_until_complete(session(port))
        assert len(day.rows) >= 95 and energy.value > 0 and isinstance(events, list)  # type: ignore[attr-defined]

    note = f"the twin's CPU: {cpu:.2f} ms per session (/proc, best of 3 x {SESSIONS})"
    return [Case("openamr", run, check=check, note=note)]
