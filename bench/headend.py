"""Head-end benchmarks (issue 13): readings stored per second, and meters collected
per second from twins in another process.

* store: 100,000 readings (one meter, 100 channels x 1,000 quarter-hours, new rows
  each run) in one ``Store.add_readings`` batch into SQLite in WAL mode
  (``INSERT ... ON CONFLICT DO NOTHING``, executemany), against the same statement
  through the bare ``sqlite3`` module (the bound: no SQLAlchemy, no asyncio).
* collect (issue 13's floor: 10,000 meters in 60 s): ``openamr fleet serve`` of
  ``OPENAMR_BENCH_HEADEND_METERS`` twins (default 10,000; one day of history, no
  faults) in its own process, each at its own loopback address (127.X.y.z:4059, as
  each GPRS meter has its own IP), imported from its commissioning export into
  SQLite; one daily collection of them all (the clock, 12 billing registers, the
  day's 96 quarter-hours of profile by range, the log-book; VEE after each meter) as
  ``openamr headend collect`` does it, in this process: HLS as commissioned (the
  fleet builds each twin on its first connection), LLS (client 32), HLS again and
  HLS without VEE (``--no-vee``: the collection the floor names), each into a fresh
  copy of the inventory, the twins awake from the first run on. Reported: wall
  time, meters/s, CPU per meter of each process, the failed sessions by reason,
  and two smaller runs: one under cProfile (functions, slowed several times over),
  one sampled (:class:`Sampler`: the head-end's CPU in
  ms per meter by step of a session and by area: decode, AES-GCM, client, rows,
  VEE, SQL, event loop).
* alarms: another process pushes 5,000 DATA-NOTIFICATIONs (half of them in
  general-glo-ciphering under the meter's keys, counters rising) from 100 meters over
  8 loopback connections (each meter's on one, in order) to the ``AlarmListener``;
  timed until every one is stored once in SQLite. The sender builds each run's
  frames and connects during the previous run, so the time is the listener's.
"""

from __future__ import annotations

import asyncio
import atexit
import cProfile
import functools
import gc
import io
import os
import pstats
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import Case, suite

ROWS = 100_000


class _Loop:
    """One event loop for every run, as the head-end keeps one."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        atexit.register(self.loop.close)

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)


@suite("headend", "store 100,000 readings into SQLite (WAL)", unit="rows", items=ROWS)
def store_readings() -> list[Case]:
    from openamr.headend.model import MeterRecord, Reading
    from openamr.headend.store import Store

    loop, tmp = _Loop(), Path(tempfile.mkdtemp(prefix="openamr-bench-"))
    store: Store = loop.run(Store.open(f"sqlite:///{tmp / 'bench.db'}"))
    meter_id = loop.run(store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1"), None, 0))
    runs = {"store": 0, "bound": 0}

    def batch(kind: str) -> list[Reading]:
        runs[kind] += 1
        prefix = f"{kind}{runs[kind]}/"
        return [Reading(meter_id, f"{prefix}{c}", 900 * t, float(t), "Wh", 0, 0)
                for c in range(100) for t in range(ROWS // 100)]  # fmt: skip

    def openamr() -> int | None:
        rows = batch("store")  # building the rows is part of the head-end's cost
        return loop.run(store.add_readings(rows))  # type: ignore[no-any-return]

    raw = sqlite3.connect(tmp / "bench.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    sql = ("INSERT INTO readings (meter_id, channel, ts, value, unit, status, quality) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")  # fmt: skip

    def bound() -> int:
        rows = [(r.meter_id, r.channel, r.ts, r.value, r.unit, r.status, r.quality)
                for r in batch("bound")]  # fmt: skip
        raw.execute("BEGIN")
        cursor = raw.executemany(sql, rows)
        raw.execute("COMMIT")
        return cursor.rowcount

    def check(out: object) -> None:
        if out != ROWS:
            raise AssertionError(f"{out} rows stored, not {ROWS}")

    return [
        Case("openamr", openamr, check, note="Store.add_readings: SQLAlchemy Core, aiosqlite"),
        Case("sqlite3 executemany (same statement, no SQLAlchemy)", bound, check, bound=True),
    ]


FLEET = int(os.environ.get("OPENAMR_BENCH_HEADEND_METERS", "10000"))
PROFILED = min(FLEET, 1000)  # meters of the run under cProfile
OPENAMR = [sys.executable, "-m", "openamr.cli.main"]
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a running process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


@dataclass
class Run:
    name: str
    meters: int
    wall: float = 0.0
    headend_cpu: float = 0.0
    loop_cpu: float = 0.0  # of it, the event loop's thread (the rest: the SQLite thread's)
    fleet_cpu: float = 0.0
    ok: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # by reason
    readings: int = 0
    profile: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)


class FleetBed:
    """``openamr fleet serve`` of ``meters`` twins (one day of history, no faults) in
    its own process, each meter at its own loopback address (127.X.y.z:4059, as each
    GPRS meter has its own IP), and its commissioning export imported once into a
    template SQLite inventory that each run copies."""

    def __init__(self, meters: int) -> None:
        from openamr.headend.inventory import import_file
        from openamr.headend.store import Store
        from openamr.headend.vault import Kek

        self.meters = meters
        self.work = Path(tempfile.mkdtemp(prefix="openamr-bench-fleet-"))
        atexit.register(shutil.rmtree, self.work, True)
        key = os.urandom(16)
        self.kek = Kek(key)
        (self.work / "kek").write_text(key.hex())
        first = f"127.{random.randrange(64, 250)}.0.1"  # apart from other fleets on the host
        (self.work / "fleet.toml").write_text(
            f'[fleet]\nmeters = {meters}\nhistory_days = 1\n[addresses]\nfirst = "{first}"\n'
        )
        env = {**os.environ, "OPENAMR_KEK": key.hex()}
        self.fleet = subprocess.Popen(
            [*OPENAMR, "fleet", "serve", "--no-faults", "--config", str(self.work / "fleet.toml"),
             "--state", str(self.work / "fleet.state"), "--control-port", "0",
             "--max-awake", str(min(meters, 10000)), "--idle", "600"],
            stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        atexit.register(self.fleet.kill)
        assert self.fleet.stdout is not None
        for _ in range(2):  # its addresses, then its control endpoint: listening
            if not self.fleet.stdout.readline():
                raise RuntimeError("the fleet did not start")
        export = self.work / "fleet.json"
        subprocess.run([*OPENAMR, "fleet", "export", "--config", str(self.work / "fleet.toml"),
                        "--kek-file", str(self.work / "kek"), "-o", str(export)],
                       check=True, env=env, capture_output=True)  # fmt: skip
        self.template = self.work / "template.db"

        async def load() -> None:
            store = await Store.open(f"sqlite:///{self.template}")
            try:
                await import_file(store, export, self.kek, int(time.time()))
            finally:
                await store.close()

        asyncio.run(load())
        self.runs = 0

    def fresh_db(self, meters: int, lls: bool) -> Path:
        """A copy of the template holding the first ``meters`` only."""
        self.runs += 1
        db = self.work / f"run{self.runs}.db"
        shutil.copy(self.template, db)
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM meters WHERE id NOT IN "
                         "(SELECT id FROM meters ORDER BY serial LIMIT ?)", (meters,))  # fmt: skip
            if lls:  # the fleet's LLS client (docs/mt372.md), its password as imported
                conn.execute("UPDATE meters SET client = 32, auth = 'low'")
        return db

    def collect(
        self, name: str, meters: int, *, lls: bool = False, profile: bool = False,
        phases: bool = False, vee: bool = True,
    ) -> Run:  # fmt: skip
        """One daily collection of the first ``meters`` as ``openamr headend collect``
        does it (its defaults: 64 sessions, 8 per cell, VEE after each; ``vee=False``
        as ``collect --no-vee``), in this process; timed from opening the store to
        closing it."""
        from openamr.headend.collector import CollectPolicy
        from openamr.headend.scheduler import Policy
        from openamr.headend.service import collect_now
        from openamr.headend.store import Store
        from openamr.headend.vee import Rules

        db = self.fresh_db(meters, lls)
        out = Run(name, meters)

        async def once() -> list[Any]:
            store = await Store.open(f"sqlite:///{db}")
            try:
                chosen = await store.meters()
                policy = Policy(max_sessions=64, per_cell=8, on_demand_deadline=120.0,
                                retry_base=10.0)  # fmt: skip
                collect = CollectPolicy(vee=Rules() if vee else None)
                return await collect_now(store, self.kek, chosen, policy=policy,
                                         collect_policy=collect)  # fmt: skip
            finally:
                await store.close()

        gc.collect()
        fleet0, cpu0, loop0 = _proc_cpu(self.fleet.pid), _own_cpu(), time.thread_time()
        start = time.perf_counter()
        sampler = Sampler() if phases else None
        if profile:
            profiler = cProfile.Profile(time.thread_time)  # this thread's CPU
            done = profiler.runcall(asyncio.run, once())
        elif sampler is not None:
            with sampler:
                done = asyncio.run(once())
        else:
            done = asyncio.run(once())
        out.wall = time.perf_counter() - start
        out.headend_cpu, out.fleet_cpu = _own_cpu() - cpu0, _proc_cpu(self.fleet.pid) - fleet0
        out.loop_cpu = time.thread_time() - loop0
        for c in done:
            if c.outcome is not None and c.outcome.ok:
                out.ok += 1
                out.readings += c.outcome.readings
            else:
                reason = c.outcome.reason if c.outcome is not None else "not started"
                reason = re.sub(r"^meter \S+: ", "", reason)[:60]  # by reason, not by meter
                out.failed[reason] = out.failed.get(reason, 0) + 1
        if profile:
            out.profile = _where(profiler)
        if sampler is not None:
            out.phases = sampler.table(out.headend_cpu * 1000 / meters)
        RUNS.append(out)
        print(f"  {name}: {out.ok}/{meters} ok in {out.wall:.1f} s, head-end "
              f"{out.headend_cpu * 1000 / meters:.1f} ms CPU/meter (loop "
              f"{out.loop_cpu * 1000 / meters:.1f}), fleet "
              f"{out.fleet_cpu * 1000 / meters:.1f}", file=sys.stderr, flush=True)  # fmt: skip
        return out


RUNS: list[Run] = []
#: where a profiled function's own time is counted (the first part of its path found)
AREAS = ("sqlalchemy", "aiosqlite", "asyncio", "openamr/client", "openamr/headend", "openamr/")


def _where(profiler: cProfile.Profile) -> list[str]:
    """The own time by area (package), then the top 25 functions."""
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    for (path, _, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        area = next((a for a in AREAS if a in path), "builtins" if path == "~" else "other")
        areas[area] = areas.get(area, 0.0) + row[2]
    total = sum(areas.values())
    lines = [f"{a:>16}: {t:6.2f} s {100 * t / total:3.0f} %"
             for a, t in sorted(areas.items(), key=lambda x: -x[1])]  # fmt: skip
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    return [*lines, *[x for x in text.getvalue().splitlines() if x.strip()][-26:]]


#: The head-end's CPU by area: a sample goes to the first area whose path part its
#: innermost frames' file has (the frame running, then its callers).
SAMPLED_AREAS = (
    ("AES-GCM", ("openamr/security/suite0", "cryptography/")),
    ("decode", ("openamr/codec/", "openamr/apdu/", "openamr/client/values")),
    ("VEE", ("openamr/headend/vee", "openamr/headend/quality")),
    ("rows", ("openamr/headend/",)),  # the collector's rows, the store's calls
    ("SQL", ("sqlalchemy/", "aiosqlite/", "greenlet")),
    ("client", ("openamr/client/", "openamr/association/", "openamr/link/", "openamr/security/")),
    ("loop", ("asyncio/", "selectors", "socket", "threading", "concurrent/", "weakref")),
)
#: ... and by step of a session: the outermost of these frames (file, functions) on
#: its stack; none: the event loop between tasks (and the SQLite threads' CPU,
#: which the process's CPU timer counts while the loop's thread waits in select)
SAMPLED_STEPS = (
    ("state", "openamr/headend/store.py", ("session_state",)),
    ("connect+associate+release", "openamr/client/session.py", ("open", "close")),
    ("first with-list", "openamr/client/meter.py", ("get_many",)),
    ("clock", "openamr/headend/collector.py", ("clock",)),
    ("registers", "openamr/headend/collector.py", ("registers",)),
    ("profile", "openamr/headend/collector.py", ("profile",)),
    ("log-book", "openamr/headend/collector.py", ("logbook",)),
    ("calendar", "openamr/headend/calendars.py", ("read", "encoded")),
    ("store", "openamr/headend/writer.py", ("save", "_drain")),
    ("VEE", "openamr/headend/collector.py", ("_vee",)),
)


class Sampler:
    """The process's CPU, sampled every millisecond of it (``ITIMER_PROF``, SIGPROF in
    the event loop's thread), by step (rows) and area (columns): a table in ms per
    meter. Statistical: a few % either way; the handler costs a few % more CPU."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.total = 0

    def __enter__(self) -> Sampler:
        import signal

        self._previous = signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, 0.001, 0.001)
        return self

    def __exit__(self, *_: object) -> None:
        import signal

        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, self._previous)

    def _sample(self, _signal: int, frame: Any) -> None:
        area, step = "other", "loop"
        while frame is not None:
            code = frame.f_code
            path = code.co_filename
            if area == "other":
                area = next((a for a, parts in SAMPLED_AREAS if any(p in path for p in parts)),
                            "other")  # fmt: skip
            for name, where, functions in SAMPLED_STEPS:
                if code.co_name in functions and path.endswith(where):
                    step = name  # the outermost one found wins
            frame = frame.f_back
        self.counts[step, area] = self.counts.get((step, area), 0) + 1
        self.total += 1

    def table(self, cpu_per_meter: float) -> list[str]:
        areas = [a for a, _ in SAMPLED_AREAS] + ["other"]
        steps = [s for s, _, _ in SAMPLED_STEPS] + ["loop"]
        ms = {k: v * cpu_per_meter / max(self.total, 1) for k, v in self.counts.items()}
        lines = [f"| step | {' | '.join(areas)} | all |",
                 "|---|" + "---:|" * (len(areas) + 1)]  # fmt: skip
        for step in steps:
            row = [ms.get((step, a), 0.0) for a in areas]
            if sum(row):
                lines.append(f"| {step} | " + " | ".join(f"{x:.2f}" for x in row)
                             + f" | {sum(row):.2f} |")  # fmt: skip
        totals = [sum(ms.get((s, a), 0.0) for s in steps) for a in areas]
        shares = [f"{x:.2f} ({100 * x / cpu_per_meter:.0f} %)" for x in totals]
        lines.append(f"| all | {' | '.join(shares)} | {cpu_per_meter:.2f} |")
        return [f"{self.total:,} samples; ms of CPU per meter", "", *lines]


def fleet_report(profiled: bool) -> list[str]:
    runs = [r for r in RUNS if bool(r.profile or r.phases) == profiled]
    lines = [
        "Per meter (CPU ms from getrusage of this process, all threads, and /proc of the fleet's; "
        "the machine is shared, so meters/s is a floor of what it does alone):",
        "",
        "| run | meters | ok | failed | wall s | meters/s | head-end CPU ms | of it, SQLite "
        "thread | fleet CPU ms | together | readings/meter |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        h, f = r.headend_cpu * 1000 / r.meters, r.fleet_cpu * 1000 / r.meters
        store = (r.headend_cpu - r.loop_cpu) * 1000 / r.meters
        lines.append(
            f"| {r.name} | {r.meters:,} | {r.ok:,} | {sum(r.failed.values()):,} | {r.wall:.1f} | "
            f"{r.ok / r.wall:,.0f} | {h:.2f} | {store:.2f} | {f:.2f} | {h + f:.2f} | "
            f"{r.readings / max(r.ok, 1):.0f} |"
        )
    for r in runs:
        for reason, n in r.failed.items():
            lines.append(f"- {r.name}: {n} failed: {reason}")
    for r in runs:
        if r.profile:
            title = f"cProfile of the head-end, {r.name} (own CPU time, the event loop's thread):"
            lines += ["", title, "", "```", *r.profile, "```"]
        if r.phases:
            title = f"The head-end's CPU by step and area, {r.name} (bench.headend.Sampler):"
            lines += ["", title, "", *r.phases]
    return [*lines, ""]


@functools.cache
def _bed() -> FleetBed:
    return FleetBed(FLEET)  # one fleet for both suites


def _check(out: object) -> None:
    assert isinstance(out, Run)
    if out.ok < out.meters:
        raise AssertionError(f"{out.name}: {out.meters - out.ok} of {out.meters} failed: "
                             f"{out.failed}")  # fmt: skip


def _case(name: str, meters: int, **kw: bool) -> Case:
    return Case(name, lambda: _bed().collect(name, meters, **kw), _check, warm_up=False)


@suite("headend", f"daily collection of {FLEET:,} fleet twins (openamr fleet serve, another "
       "process; SQLite)", unit="meters", items=FLEET,
       report=lambda: fleet_report(False))  # fmt: skip
def collect_fleet() -> list[Case]:
    return [_case("openamr (HLS, as commissioned; the fleet builds each twin)", FLEET),
            _case("openamr (LLS, client 32; the twins awake)", FLEET, lls=True),
            _case("openamr (HLS, the twins awake)", FLEET),
            _case("openamr (HLS, the twins awake, --no-vee)", FLEET, vee=False)]  # fmt: skip


@suite("headend", f"where the head-end's time goes: {PROFILED:,} of the fleet's twins under "
       "cProfile", unit="meters", items=PROFILED, report=lambda: fleet_report(True))  # fmt: skip
def collect_fleet_profiled() -> list[Case]:
    return [_case("openamr (HLS) under cProfile", PROFILED, profile=True),
            _case("openamr (HLS), CPU sampled by step and area", PROFILED,
                  phases=True)]  # fmt: skip


ALARMS = 5000
ALARM_METERS = 100
ALARM_SENDER = """
import socket, sys
from openamr.apdu.notification import DataNotification
from openamr.codec import LongUnsigned, OctetString, Structure
from openamr.codec.datetime import CosemDateTime
from openamr.link.wrapper import encode_wrapper
from openamr.security.ciphering import encipher
from openamr.security.control_byte import SecurityControl
import datetime as dt

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
SC = SecurityControl(authentication=True, encryption=True)
N, M, CONNECTIONS, PORT = (int(x) for x in sys.argv[1:5])
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

def frames(run):
    out = []
    for i in range(N):
        m = i % M
        when = CosemDateTime.from_datetime(T0 + dt.timedelta(seconds=run * N + i)).to_bytes()
        body = Structure((OctetString(bytes(6)), OctetString(f"ISK{10000001 + m:0>13}".encode()),
                          OctetString(when), LongUnsigned(0x8010)))
        apdu = DataNotification(body, when).to_bytes()
        if i % 2:  # every other one ciphered under the meter's keys, counters rising
            title = b"ISK" + (10000001 + m).to_bytes(5, "big")
            apdu = encipher(apdu, SC, title, run * N + i, EK, AK, general=True)
        out.append(encode_wrapper(1, 1, apdu))
    return out

run = 0
while True:  # the next run's frames are built while the head-end ingests this one
    run += 1
    batch = frames(run)
    socks = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(CONNECTIONS)]
    print("ready", flush=True)
    if not sys.stdin.readline():
        break
    for c, s in enumerate(socks):  # a meter's pushes in order on one connection
        s.sendall(b"".join(f for i, f in enumerate(batch) if i % M % CONNECTIONS == c))
    for s in socks:
        s.close()
"""


@suite("headend", f"ingest {ALARMS:,} alarm pushes from another process (half ciphered)",
       unit="alarms", items=ALARMS)  # fmt: skip
def ingest_alarms() -> list[Case]:
    import datetime as dt

    from openamr.headend.listener import AlarmListener
    from openamr.headend.model import MeterRecord
    from openamr.headend.store import Store
    from openamr.headend.vault import Kek, MeterSecrets

    loop, tmp = _Loop(), Path(tempfile.mkdtemp(prefix="openamr-bench-"))
    kek = Kek(bytes(16))
    secrets = MeterSecrets(None, bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
                           bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"))  # fmt: skip
    store: Store = loop.run(Store.open(f"sqlite:///{tmp / 'alarms.db'}"))
    for i in range(ALARM_METERS):
        serial = f"{10000001 + i}"
        title = (b"ISK" + (10000001 + i).to_bytes(5, "big")).hex()
        loop.run(store.put_meter(MeterRecord(serial, "tcp://127.0.0.1:1", system_title=title,
                 logical_device_name=f"ISK{serial:0>13}", secrets=secrets), kek, 0))  # fmt: skip
    listener = AlarmListener(store, kek, lambda: dt.datetime.now(dt.UTC))
    _, port = loop.run(listener.start("127.0.0.1", 0))
    atexit.register(lambda: loop.run(listener.close()))  # before the loop closes (LIFO)
    sender = subprocess.Popen(
        [sys.executable, "-c", ALARM_SENDER, str(ALARMS), str(ALARM_METERS), "8", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    atexit.register(sender.terminate)
    stdin, stdout = sender.stdin, sender.stdout
    assert stdin is not None and stdout is not None

    async def until(stored: int) -> None:
        while listener.stats.stored + listener.stats.refused < stored:
            await asyncio.sleep(0.002)
        await listener.drain()

    def run() -> int:
        if stdout.readline().strip() != "ready":  # at once: it got ready during the last run
            raise RuntimeError("the alarm sender stopped")
        start, refused = listener.stats.stored, listener.stats.refused
        stdin.write("go\n")
        stdin.flush()
        loop.run(until(start + refused + ALARMS))
        return listener.stats.stored - start

    def check(out: object) -> None:
        if out != ALARMS or listener.stats.refused:
            raise AssertionError(f"{out} alarms stored, {listener.stats.refused} refused")

    return [Case("openamr", run, check,
                 note="AlarmListener: wrapper, decipher, batch insert once, SQLite")]  # fmt: skip
