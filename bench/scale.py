"""Scale-out benchmark (issue 15): one fleet of MT372 twins (``openamr fleet serve``, a
separate process) collected once (its day: the clock, 12 billing registers, one day
of 15-minute profile, the log-book; HLS) by

* the in-process head-end on SQLite (``openamr headend collect``, one process), and
* 1, 2 and 4 ``openamr headend worker`` processes taking the jobs from NATS JetStream
  (a private nats-server, its CPU ours alone) and storing into PostgreSQL (the
  machine's, a fresh schema per run; readings partitioned by month, COPY ingest),

in one run. The jobs are the night's plan (one scheduled job per meter, the window
opening at the start). The fleet keeps every twin awake (up to 10,000, about 300 KiB
each): the first run pays for building them, later runs find them built, which the
fleet's column shows (the meter side, not the head-end's). A run's time is from the
start of its collecting processes to the last job done. Every run counts its
sessions (meters collected, sessions that failed); a run that did not collect every
meter is marked invalid, its figures not to be used. CPU is per *collected* meter
(what failed sessions cost included), from the processes' own accounting: ``wait4``
rusage of the collectors, ``/proc/PID/stat`` of the fleet, of nats-server, and of the
PostgreSQL backends serving the workers (found by their client ports in
``pg_stat_activity``, sampled each second until the workers exit). Meters per second
on a 2-core machine shared with other work say little (the load average is shown
with each run); CPU per meter depends on it much less and is what docs/SCALE.md scales from.

Environment: ``OPENAMR_BENCH_SCALE_METERS`` the fleet's size (default 10,000),
``OPENAMR_BENCH_SCALE_RUNS`` the runs in order (default ``sqlite,1,2,4``: the
in-process head-end, then 1, 2 and 4 workers),
``OPENAMR_BENCH_SCALE_SESSIONS`` sessions at once per collecting process (default 64).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import Case, suite

METERS = int(os.environ.get("OPENAMR_BENCH_SCALE_METERS", "10000"))
#: the runs in order: ``sqlite`` the in-process head-end, a number that many workers
RUNS = tuple(os.environ.get("OPENAMR_BENCH_SCALE_RUNS", "sqlite,1,2,4").split(","))
SESSIONS = int(os.environ.get("OPENAMR_BENCH_SCALE_SESSIONS", "64"))
PG = os.environ.get("OPENAMR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
OPENAMR = [sys.executable, "-m", "openamr.cli.main"]
#: as many sessions per cell as the fleet puts meters in one: the cell limit is never
#: the bottleneck here (the fleet's cells admit 32 at once)
PER_CELL = PER_CELL_METERS = 8
#: generous for a loaded machine: slowness is not turned into failures
TIMEOUT, ACK_WAIT, DEADLINE = 120.0, 300.0, 86400.0
TICK = os.sysconf("SC_CLK_TCK")
STATS = re.compile(r"(\d+) done, (\d+) failed, (\d+) retried, (\d+) set aside, (\d+) busy")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _pg_ports(pid: int) -> set[int]:
    """Local ports of ``pid``'s TCP connections to port 5432 (its PostgreSQL pool)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        lines = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return set()
    ports = set()
    for line in lines:
        f = line.split()
        if f[9] in inodes and f[2].endswith(":1538"):  # 5432
            ports.add(int(f[1].split(":")[1], 16))
    return ports


@dataclass
class Figures:
    meters: int
    wall: float = 0.0
    collectors_cpu: float = 0.0
    fleet_cpu: float = 0.0
    nats_cpu: float = 0.0
    postgres_cpu: float = 0.0
    processes: int = 1
    collected: int = 0
    sessions: int = 0  # all sessions, failed ones included
    busy: int = 0  # jobs sent back unrun (cell full, meter leased elsewhere)
    bytes_per_session: float = 0.0
    session_s: float = 0.0  # a collected meter's session, wall seconds
    rows_per_meter: float = 0.0
    bytes_per_reading: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average at start and end
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.collected == self.meters

    @property
    def failed(self) -> int:
        return self.sessions - self.collected


class Bed:
    """The fleet, its commissioning file, a KEK and a private nats-server."""

    def __init__(self, meters: int) -> None:
        self.meters = meters
        self.work = Path(tempfile.mkdtemp(prefix="openamr-bench-scale-"))
        atexit.register(shutil.rmtree, self.work, True)
        self.kek = os.urandom(16).hex()
        (self.work / "kek").write_text(self.kek)
        (self.work / "fleet.toml").write_text(
            f"[fleet]\nmeters = {meters}\nhistory_days = 1\n[network]\n"
            f'meters_per_cell = {PER_CELL_METERS}\n[addresses]\nfirst = "127.40.0.1"\n'
        )
        self.env = {**os.environ, "OPENAMR_KEK": self.kek}
        self.fleet = subprocess.Popen(
            [*OPENAMR, "fleet", "serve", "--no-faults", "--config", str(self.work / "fleet.toml"),
             "--state", str(self.work / "fleet.state"), "--control-port", "0",
             "--max-awake", str(min(meters, 10000)), "--idle", "600"],
            stdout=subprocess.PIPE, text=True, env=self.env,
        )  # fmt: skip
        atexit.register(self.fleet.kill)
        assert self.fleet.stdout is not None
        for _ in range(2):
            if not self.fleet.stdout.readline():
                raise RuntimeError("the fleet did not start")
        subprocess.run([*OPENAMR, "fleet", "export", "--config", str(self.work / "fleet.toml"),
                        "--kek-file", str(self.work / "kek"), "-o", str(self.work / "fleet.json")],
                       check=True, env=self.env, capture_output=True)  # fmt: skip
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.nats_port = int(s.getsockname()[1])
        self.nats = subprocess.Popen(
            [binary, "-a", "127.0.0.1", "-p", str(self.nats_port), "-js", "-sd",
             str(self.work / "js")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        atexit.register(self.nats.kill)
        time.sleep(0.5)

    def import_into(self, db: str) -> None:
        subprocess.run([*OPENAMR, "headend", "--db", db, "meters", "import",
                        str(self.work / "fleet.json")], check=True, env=self.env,
                       capture_output=True)  # fmt: skip

    def startup_cpu(self) -> float:
        """CPU seconds of a worker that starts, finds no job for 0.5 s and exits:
        what each collecting process costs before its first meter."""
        proc = subprocess.Popen([*OPENAMR, "headend", "--db", f"sqlite:///{self.work / 'idle.db'}",
                                 "worker", "--queue", f"nats://127.0.0.1:{self.nats_port}?name="
                                 f"idle{uuid.uuid4().hex[:6]}", "--until-idle", "0.5"],
                                env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        return _wait(proc)

    def cpu(self) -> tuple[float, float]:
        return _proc_cpu(self.fleet.pid), _proc_cpu(self.nats.pid)


def _exited(proc: subprocess.Popen[Any]) -> float | None:
    """The CPU seconds of a child that exited (reaped), None while it runs."""
    pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
    if pid == 0:
        return None
    proc.returncode = os.waitstatus_to_exitcode(status)
    return float(usage.ru_utime + usage.ru_stime)


def _wait(proc: subprocess.Popen[Any]) -> float:
    """Wait for a child; its CPU seconds (user + system) from wait4."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return float(usage.ru_utime + usage.ru_stime)


SESSIONS_SQL = ("SELECT count(*), count(DISTINCT meter_id) FILTER (WHERE outcome = 'ok'), "
                "avg(bytes_sent + bytes_received) FILTER (WHERE outcome = 'ok'), "
                "avg(ended - started) FILTER (WHERE outcome = 'ok') FROM sessions")  # fmt: skip


def _load() -> float:
    return os.getloadavg()[0]


def run_sqlite(bed: Bed) -> Figures:
    import sqlite3

    db = bed.work / f"sqlite-{uuid.uuid4().hex[:6]}.db"
    bed.import_into(f"sqlite:///{db}")
    f = Figures(bed.meters)
    load, before = _load(), bed.cpu()
    start = time.perf_counter()
    proc = subprocess.Popen([*OPENAMR, "headend", "--db", f"sqlite:///{db}", "collect",
                             "--max-sessions", str(SESSIONS), "--per-cell", str(PER_CELL),
                             "--timeout", str(TIMEOUT), "--deadline", str(DEADLINE),
                             "--retry-after", "2", "--no-vee", "--json"], env=bed.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    f.collectors_cpu = _wait(proc)
    f.wall = time.perf_counter() - start
    after = bed.cpu()
    f.fleet_cpu, f.load = after[0] - before[0], (load, _load())
    with sqlite3.connect(db) as conn:
        # SQLite has no FILTER on count(DISTINCT): the same figures, two queries
        ok = "CASE WHEN outcome = 'ok' THEN"
        f.sessions, per_session, f.session_s = conn.execute(
            f"SELECT count(*), avg({ok} bytes_sent + bytes_received END), "
            f"avg({ok} ended - started END) FROM sessions"
        ).fetchone()
        f.collected = conn.execute("SELECT count(DISTINCT meter_id) FROM sessions "
                                   "WHERE outcome = 'ok'").fetchone()[0]  # fmt: skip
        rows = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    f.bytes_per_session, f.session_s = float(per_session or 0), float(f.session_s or 0)
    size = db.stat().st_size + (db.with_suffix(".db-wal").stat().st_size
                                if db.with_suffix(".db-wal").exists() else 0)  # fmt: skip
    f.rows_per_meter, f.bytes_per_reading = rows / max(f.collected, 1), size / max(rows, 1)
    return f


async def _publish(db: str, queue_url: str) -> None:
    from openamr.headend.queue.jetstream import JetStreamQueue
    from openamr.headend.scheduler import Policy, Scheduler
    from openamr.headend.service import utc_now
    from openamr.headend.store import Store
    from openamr.headend.worker import Dispatcher

    store = await Store.open(db)
    queue = await JetStreamQueue.open(queue_url)
    try:
        # the night's plan, its window opening now: every meter's scheduled job due
        now = utc_now()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        opens = max(0.0, (now - midnight).total_seconds() - 1)
        policy = Policy(window_start=opens, window_length=DEADLINE, spread=0)
        dispatcher = Dispatcher(store, queue, Scheduler(policy, random.Random()), utc_now)
        await dispatcher.plan()
        await dispatcher.publish_due()
    finally:
        await queue.close()
        await store.close()


async def _connect(schema: str) -> Any:
    import asyncpg

    conn = await asyncpg.connect(PG)
    await conn.execute(f'SET search_path TO "{schema}"')
    return conn


async def _run_workers(bed: Bed, n: int, db: str, schema: str, queue_url: str) -> Figures:
    import asyncpg

    conn = await _connect(schema)
    f = Figures(bed.meters, processes=n)
    load, before = _load(), bed.cpu()
    start = time.perf_counter()
    logs = [bed.work / f"{schema}-{i}.log" for i in range(n)]
    procs = [subprocess.Popen([*OPENAMR, "headend", "--db", db, "worker", "--queue", queue_url,
                               "--max-sessions", str(SESSIONS), "--per-cell", str(PER_CELL),
                               "--timeout", str(TIMEOUT), "--ack-wait", str(ACK_WAIT),
                               "--retry-after", "2", "--until-idle", "5"], env=bed.env,
                              stdout=subprocess.DEVNULL, stderr=log.open("w"))
             for log in logs]  # fmt: skip
    cpu: dict[int, float] = {}
    backends: dict[int, float] = {}  # PostgreSQL backend pid: its CPU when last seen
    done_at = None
    started_pg = await conn.fetchval("SELECT pg_postmaster_start_time()")
    try:
        while len(cpu) < n:
            try:  # PostgreSQL is shared: someone may restart it; the workers ride it out
                conn = conn if not conn.is_closed() else await _connect(schema)
                ports = set().union(*(_pg_ports(p.pid) for p in procs if p.pid not in cpu))
                rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE client_port = "
                                        "ANY($1::int[])", list(ports))  # fmt: skip
                for r in rows:
                    backends[r["pid"]] = max(backends.get(r["pid"], 0.0), _proc_cpu(r["pid"]))
                if done_at is None:
                    ended = await conn.fetchval("SELECT count(*) FROM jobs WHERE state IN "
                                                "('done', 'failed')")  # fmt: skip
                    if ended >= bed.meters:
                        done_at = time.perf_counter()
                        end_cpu, end_load = bed.cpu(), _load()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
            for pid in backends:
                backends[pid] = max(backends[pid], _proc_cpu(pid))
            for p in procs:
                if p.pid not in cpu and (used := _exited(p)) is not None:
                    cpu[p.pid] = used
            await asyncio.sleep(1.0)
    finally:
        for p in procs:
            if p.pid not in cpu:
                p.send_signal(signal.SIGINT)
                cpu[p.pid] = _wait(p)
    for _ in range(60):
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn = conn if not conn.is_closed() else await _connect(schema)
            break
        await asyncio.sleep(1.0)
    if await conn.fetchval("SELECT pg_postmaster_start_time()") != started_pg:
        f.notes.append("PostgreSQL restarted during the run (by other work): its CPU is partial")
    if done_at is None:
        done_at, end_cpu, end_load = time.perf_counter(), bed.cpu(), _load()
    f.wall, f.load = done_at - start, (load, end_load)
    f.collectors_cpu, f.postgres_cpu = sum(cpu.values()), sum(backends.values())
    f.fleet_cpu, f.nats_cpu = end_cpu[0] - before[0], end_cpu[1] - before[1]
    for log in logs:
        for m in STATS.finditer(log.read_text(errors="replace")):
            f.busy += int(m.group(5))
    total, f.collected, per_session, session_s = await conn.fetchrow(SESSIONS_SQL)
    f.sessions, f.bytes_per_session = int(total), float(per_session or 0)
    f.session_s = float(session_s or 0)
    rows, size = await conn.fetchrow(
        "SELECT count(*), pg_total_relation_size('readings') + coalesce((SELECT "
        "sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = "
        "'readings'::regclass), 0) FROM readings"
    )
    f.rows_per_meter = rows / max(f.collected, 1)
    f.bytes_per_reading = float(size) / max(rows, 1)
    await conn.close()
    return f


def run_workers(bed: Bed, n: int) -> Figures:
    import asyncpg

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    db = f"{PG}?schema={schema}"
    queue_url = f"nats://127.0.0.1:{bed.nats_port}?name=bench{uuid.uuid4().hex[:8]}"
    try:
        for attempt in range(5):  # the shared PostgreSQL is restarted by others' tests
            try:
                bed.import_into(db)
                asyncio.run(_publish(db, queue_url))
                break
            except (subprocess.CalledProcessError, OSError, asyncpg.PostgresError,
                    asyncpg.InterfaceError) as e:  # fmt: skip
                print(f"  setting up {n} workers failed ({e}); again", file=sys.stderr)
                asyncio.run(_drop(schema))
                time.sleep(3.0)
                if attempt == 4:
                    raise
        return asyncio.run(_run_workers(bed, n, db, schema, queue_url))
    finally:
        asyncio.run(_drop(schema))


async def _drop(schema: str) -> None:
    import asyncpg

    for _ in range(30):  # PostgreSQL may be restarting (shared)
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn = await asyncpg.connect(PG)
            try:
                await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                return
            finally:
                await conn.close()
        await asyncio.sleep(2.0)


FIGURES: dict[str, Figures] = {}
STARTUP: list[float] = []


def report() -> list[str]:
    startup = min(STARTUP) if STARTUP else 0.0
    lines = [
        f"{METERS:,} meters collected once, {SESSIONS} sessions at once per collecting process,"
        f" {PER_CELL} per cell; CPU in ms per collected meter ('collectors, net': less "
        f"{startup:.2f} s of start-up per collecting process, measured on an idle worker; "
        "'PostgreSQL': the backends serving the workers). A run that did not collect every "
        "meter is marked INVALID: its figures are not to be used.",
        "",
        "| head-end | valid | collected | failed sessions | busy | load 1-min | meters/s "
        "| collectors | collectors, net | fleet (meter side) | nats-server | PostgreSQL "
        "| total | session s | APDU bytes/session | readings/meter | stored bytes/reading |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in FIGURES.items():
        per = 1000 / max(f.collected, 1)
        net = max(0.0, f.collectors_cpu - startup * f.processes)
        total = f.collectors_cpu + f.fleet_cpu + f.nats_cpu + f.postgres_cpu
        lines.append(
            f"| {name} | {'yes' if f.valid else 'INVALID'} | {f.collected:,} | {f.failed:,} | "
            f"{f.busy:,} | {f.load[0]:.1f}-{f.load[1]:.1f} | {f.collected / f.wall:,.1f} | "
            f"{f.collectors_cpu * per:.1f} | {net * per:.1f} | {f.fleet_cpu * per:.1f} | "
            f"{f.nats_cpu * per:.2f} | {f.postgres_cpu * per:.2f} | {total * per:.1f} | "
            f"{f.session_s:.1f} | {f.bytes_per_session:,.0f} | {f.rows_per_meter:.0f} | "
            f"{f.bytes_per_reading:.0f} |"
        )
    notes = [f"- {name}: {note}" for name, f in FIGURES.items() for note in f.notes]
    return [*lines, "", *notes, *([""] if notes else [])]


@suite("scale", f"collect {METERS:,} fleet meters once: SQLite in process vs NATS workers "
       "into PostgreSQL", unit="meters", items=METERS, report=report)  # fmt: skip
def collect_fleet() -> list[Case]:
    from tests.services import answers

    if not (answers(5432) and (shutil.which("nats-server") or Path("/usr/sbin/nats-server")
                                .exists())):  # fmt: skip
        raise RuntimeError("the scale topic needs PostgreSQL on 127.0.0.1:5432 and nats-server")
    bed = Bed(METERS)
    STARTUP.append(bed.startup_cpu())

    def case(name: str, run: Any) -> Case:
        def once() -> Figures:
            f: Figures = run()
            FIGURES[name] = f
            print(f"  {name}: {f}", *report(), sep="\n", file=sys.stderr, flush=True)
            return f

        return Case(name, once, None, warm_up=False)

    cases = []
    for run in RUNS:
        if run.strip() == "sqlite":
            cases.append(case("in process, SQLite (1 process)", lambda: run_sqlite(bed)))
        else:
            n = int(run)
            cases.append(case(f"{n} worker{'s' if n > 1 else ''}, NATS + PostgreSQL",
                              lambda n=n: run_workers(bed, n)))  # fmt: skip
    return cases
