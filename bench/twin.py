"""Twin benchmarks (issues 4 and 9): how many simulated meter-days per second the
MT372 twin computes, what a twin costs to build and to ask, and its memory.

* one meter, a year: ``build_mt372(history_days=365)`` simulates a year before it
  answers: 35,040 load-profile periods, rates, demand, 12 billings, DST, events
  (floor: >= 1,000 meter-days/s, a year at start-up <= 1 s);
* a fleet of 1,000 twins advanced by one day each (lazy twins cost nothing while
  nobody reads them: this is what a head-end's daily read of a fleet costs the
  simulator; floor <= 1 s). Memory per twin is measured with tracemalloc;
* building twins without history (floor <= 2 ms a twin);
* a session against a twin on the real clock in a subprocess: LLS associate, clock,
  A+ with its scaler, a day of LP1, the event log, release; the twin process's own
  CPU per session comes from /proc (floor <= 3 ms).

No peer simulates a meter. The notes give the same task done by the code of
commit ee8800e (before issue 9), in a subprocess of the same run, when git can
export that commit (``git archive``); the fleet's before figure is measured on
100 twins and scaled to 1,000.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

from bench import Case, suite
from openamr.codec.obis import Obis
from openamr.meter.application import ServerApplication
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
FLEET = 1_000
A_PLUS = Obis.parse("1.0.1.8.0.255")
LP1 = Obis.parse("1.0.99.1.0.255")
BEFORE = "ee8800e"
ROOT = Path(__file__).resolve().parent.parent

# -- the code before issue 9 ------------------------------------------------------------


@functools.cache
def before_src() -> str | None:
    """``src`` of commit BEFORE, exported into a temporary directory (None: no git)."""
    target = tempfile.mkdtemp(prefix="openamr-before-")
    atexit.register(shutil.rmtree, target, True)
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "src"],
                                 capture_output=True, check=True, timeout=60).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", target], input=archive, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.join(target, "src")


PRELUDE = """
import datetime as dt, time
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
"""
BEFORE_TASKS = {
    "year": """
t = time.perf_counter()
build_mt372("bench-year", time_base=SteppedTime(START), history_days=365)
print(time.perf_counter() - t)
""",
    "fleet": """
clock = SteppedTime(START)
fleet = [build_mt372(f"{i:08d}", time_base=clock) for i in range(100)]
clock.step(86_400)
t = time.perf_counter()
for app in fleet:
    app.refresh()
print((time.perf_counter() - t) * 10)
""",
    "build": """
clock = SteppedTime(START)
build_mt372("warm", time_base=clock)
t = time.perf_counter()
fleet = [build_mt372(f"{i:08d}", time_base=clock) for i in range(200)]
print(time.perf_counter() - t)
""",
}


def before(task: str) -> str:
    """The task's seconds by the code before issue 9, as a note ("" if unknown)."""
    src = before_src()
    if src is None:
        return ""
    env = {**os.environ, "PYTHONPATH": src}
    code = PRELUDE + BEFORE_TASKS[task]
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, timeout=300).stdout  # fmt: skip
        return f"before ({BEFORE}): {float(out) * 1e3:,.0f} ms"
    except (OSError, subprocess.SubprocessError, ValueError):
        return ""


def _notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def _year() -> ServerApplication:
    return build_mt372("bench-year", time_base=SteppedTime(START), history_days=365).app


def _check_year(app: object) -> None:
    assert isinstance(app, ServerApplication)
    lp = app.device.find(LP1)
    assert lp is not None and len(lp.rows) == 19_680  # type: ignore[attr-defined]


@suite("twin", "simulate one meter for a year", unit="meter-days", items=365)
def one_year() -> list[Case]:
    note = _notes("floor: 1,000 meter-days/s, a year <= 1 s", before("year"))
    return [Case("openamr", _year, check=_check_year, note=note)]


def _fleet() -> tuple[list[ServerApplication], SteppedTime, float]:
    time = SteppedTime(START)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    fleet = [build_mt372(f"{i:08d}", time_base=time).app for i in range(FLEET)]
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

    memory = f"{per_meter / 1024:.0f} KiB per idle twin (tracemalloc, {FLEET:,} twins)"
    note = _notes(memory, "floor: <= 1 s", before("fleet"))
    return [Case("openamr", advance_all, check=check, note=note)]


# -- creation --------------------------------------------------------------------------

BUILDS = 200


@suite("twin", f"build {BUILDS} twins (no history)", unit="twins", items=BUILDS)
def creation() -> list[Case]:
    time = SteppedTime(START)

    def build() -> list[ServerApplication]:
        return [build_mt372(f"{i:08d}", time_base=time).app for i in range(BUILDS)]

    def check(out: object) -> None:
        assert isinstance(out, list) and len(out) == BUILDS

    note = _notes("floor: <= 2 ms a twin", before("build"))
    return [Case("openamr", build, check=check, note=note)]


# -- a session ---------------------------------------------------------------------------

SESSIONS = 40
TWIN = """
import asyncio, datetime as dt
from openamr.aio.serve import Listeners, serve_twin
from openamr.meter.mt372 import build_mt372

async def main() -> None:
    meter = build_mt372("12345678", time_base=lambda: dt.datetime.now(dt.UTC), history_days=30)
    served = await serve_twin(meter, Listeners(port=0))
    print(served.dlms_address[1], flush=True)
    await served.serve_forever()

asyncio.run(main())
"""
#: The same twin with the API of commit BEFORE (build_mt372 returned the application,
#: served by aio.dlms_server.serve_wrapper; there was no serve_twin yet).
TWIN_BEFORE = """
import asyncio, datetime as dt
from openamr.aio.dlms_server import serve_wrapper
from openamr.meter.mt372 import build_mt372

async def main() -> None:
    app = build_mt372("12345678", time_base=lambda: dt.datetime.now(dt.UTC), history_days=30)
    server = await serve_wrapper(app, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (/proc/<pid>/stat, clock ticks)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_twin(src: str | None = None) -> tuple[subprocess.Popen[str], int]:
    """A twin on the real clock in a subprocess (of the code in ``src``, default the
    installed one), and its port; it is stopped at exit."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    script = TWIN if src is None else TWIN_BEFORE
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env=env)  # fmt: skip
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
    loop = asyncio.new_event_loop()
    atexit.register(loop.close)

    def twin_cpu(src: str | None) -> float:
        proc, port = start_twin(src)
        loop.run_until_complete(session(port))  # warm: the first read compiles and caches
        cpu = min(twin_cpu_per_session(port, proc.pid, loop) for _ in range(3))
        if src is not None:
            proc.terminate()
            proc.wait()
        return cpu

    src = before_src()
    was = f"before ({BEFORE}): {twin_cpu(src):.2f} ms" if src is not None else ""
    proc, port = start_twin()
    cpu = min(twin_cpu_per_session(port, proc.pid, loop) for _ in range(3))

    def run() -> int:
        for _ in range(SESSIONS):
            loop.run_until_complete(session(port))
        return SESSIONS

    def check(out: object) -> None:
        _, energy, day, events = loop.run_until_complete(session(port))
        assert len(day.rows) >= 95 and isinstance(events, list)  # type: ignore[attr-defined]
        assert energy.value > 0  # type: ignore[attr-defined]

    now = f"the twin's CPU: {cpu:.2f} ms per session (/proc, best of 3 x {SESSIONS})"
    note = _notes(now, "floor: <= 3 ms", was)
    return [Case("openamr", run, check=check, note=note)]
