"""Scale-out benchmark (issue 15): one fleet of MT372 twins (``openamr fleet serve``, a
separate process) collected once (its day: the clock, 12 billing registers, one day
of 15-minute profile, the log-book; HLS) by

* the in-process head-end on SQLite (``openamr headend collect``, one process), and
* 1, 2 and 4 ``openamr headend worker`` processes taking the jobs from NATS JetStream
  (a private nats-server, its CPU ours alone) and storing into PostgreSQL (the
  machine's, a fresh schema per run; readings partitioned by month, COPY ingest),

in one run. Each run's time is from the start of the collecting processes to the last
job done; the CPU figures come from the processes' own accounting (``wait4`` rusage
of the collectors, ``/proc/PID/stat`` of the fleet, nats-server and the PostgreSQL
server processes: the last is shared with whatever else uses it, an upper bound).
Meters per second on a 2-core machine shared with other work say little; CPU per
meter does not depend on the load and is what docs/SCALE.md scales from.

``OPENAMR_BENCH_SCALE_METERS`` sets the fleet's size (default 10,000).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import random
import shutil
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
WORKERS = (1, 2, 4)
PG = os.environ.get("OPENAMR_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
OPENAMR = [sys.executable, "-m", "openamr.cli.main"]
SESSIONS, PER_CELL = 64, 8
#: meters per GSM cell in the bench's fleet: as many cells as a run of 400 needs to
#: keep 4 x 64 sessions going at 8 per cell (the fleet's default is 200)
PER_CELL_METERS = 12
TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in ("postgres", "postmaster"):
                    total += _proc_cpu(int(entry.name))
    return total


@dataclass
class Figures:
    wall: float = 0.0
    collectors_cpu: float = 0.0
    fleet_cpu: float = 0.0
    nats_cpu: float = 0.0
    postgres_cpu: float = 0.0
    processes: int = 1
    ok: int = 0
    bytes_per_session: float = 0.0
    rows_per_meter: float = 0.0
    bytes_per_reading: float = 0.0
    notes: list[str] = field(default_factory=list)


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
             "--max-awake", str(min(meters, 2048)), "--idle", "600"],
            stdout=subprocess.PIPE, text=True, env=self.env,
        )  # fmt: skip
        atexit.register(self.fleet.kill)
        assert self.fleet.stdout is not None
        for _ in range(2):
            line = self.fleet.stdout.readline()
            if not line:
                raise RuntimeError("the fleet did not start")
        subprocess.run([*OPENAMR, "fleet", "export", "--config", str(self.work / "fleet.toml"),
                        "--kek-file", str(self.work / "kek"), "-o", str(self.work / "fleet.json")],
                       check=True, env=self.env, capture_output=True)  # fmt: skip
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        with socket_port() as port:
            self.nats_port = port
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

    def cpu(self) -> tuple[float, float, float]:
        return _proc_cpu(self.fleet.pid), _proc_cpu(self.nats.pid), _postgres_cpu()


@contextlib.contextmanager
def socket_port() -> Any:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield int(s.getsockname()[1])


def _running(proc: subprocess.Popen[Any]) -> bool:
    """Still running? (Without reaping it: its rusage is read by :func:`_wait`.)"""
    return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None


def _wait(proc: subprocess.Popen[Any]) -> float:
    """Wait for a child; its CPU seconds (user + system) from wait4."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return float(usage.ru_utime + usage.ru_stime)


async def _sqlite_stats(path: Path) -> tuple[int, float, float]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        ok, avg = conn.execute("SELECT count(*), avg(bytes_sent + bytes_received) FROM sessions "
                               "WHERE outcome = 'ok'").fetchone()  # fmt: skip
        rows = conn.execute("SELECT count(*) FROM readings").fetchone()[0]
    return int(ok), float(avg or 0), float(rows)


def run_sqlite(bed: Bed) -> Figures:
    db = bed.work / f"sqlite-{uuid.uuid4().hex[:6]}.db"
    bed.import_into(f"sqlite:///{db}")
    before = bed.cpu()
    start = time.perf_counter()
    proc = subprocess.Popen([*OPENAMR, "headend", "--db", f"sqlite:///{db}", "collect",
                             "--max-sessions", str(SESSIONS), "--per-cell", str(PER_CELL),
                             "--json"], env=bed.env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    cpu = _wait(proc)
    wall = time.perf_counter() - start
    after = bed.cpu()
    ok, per_session, rows = asyncio.run(_sqlite_stats(db))
    size = db.stat().st_size + (db.with_suffix(".db-wal").stat().st_size
                                if db.with_suffix(".db-wal").exists() else 0)  # fmt: skip
    return Figures(wall, cpu, after[0] - before[0], 0.0, 0.0, 1, ok, per_session,
                   rows / max(ok, 1), size / max(rows, 1))  # fmt: skip


async def _publish(db: str, queue_url: str) -> None:
    from openamr.headend.queue.jetstream import JetStreamQueue
    from openamr.headend.scheduler import Policy, Scheduler
    from openamr.headend.service import utc_now
    from openamr.headend.store import Store
    from openamr.headend.worker import Dispatcher

    store = await Store.open(db)
    queue = await JetStreamQueue.open(queue_url)
    try:
        dispatcher = Dispatcher(store, queue, Scheduler(Policy(), random.Random()), utc_now)
        for m in await store.meters():
            await dispatcher.submit(m.serial, str(uuid.uuid4()))
        await dispatcher.publish_due()
    finally:
        await queue.close()
        await store.close()


async def _pg(db: str, query: str) -> Any:
    import asyncpg

    schema = db.split("schema=")[1]
    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(f'SET search_path TO "{schema}"')
        return await conn.fetchrow(query)
    finally:
        await conn.close()


def run_workers(bed: Bed, n: int) -> Figures:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    db = f"{PG}?schema={schema}"
    queue_url = f"nats://127.0.0.1:{bed.nats_port}?name=bench{uuid.uuid4().hex[:8]}"
    try:
        bed.import_into(db)
        asyncio.run(_publish(db, queue_url))
        before = bed.cpu()
        start = time.perf_counter()
        procs = [subprocess.Popen([*OPENAMR, "headend", "--db", db, "worker", "--queue",
                                   queue_url, "--max-sessions", str(SESSIONS), "--per-cell",
                                   str(PER_CELL), "--retry-after", "2", "--until-idle", "15"],
                                  env=bed.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(n)]  # fmt: skip
        done_at = None
        while done_at is None and any(_running(p) for p in procs):
            row = asyncio.run(_pg(db, "SELECT count(*) FROM jobs WHERE state IN "
                                      "('done', 'failed')"))  # fmt: skip
            if row[0] >= bed.meters:
                done_at = time.perf_counter()
            else:
                time.sleep(0.25)
        cpu = sum(_wait(p) for p in procs)
        after = bed.cpu()
        wall = (done_at or time.perf_counter()) - start
        sessions = asyncio.run(_pg(db, "SELECT count(*), avg(bytes_sent + bytes_received) "
                                       "FROM sessions WHERE outcome = 'ok'"))  # fmt: skip
        rows = asyncio.run(_pg(db, "SELECT count(*), pg_total_relation_size('readings') + "
                                   "coalesce((SELECT sum(pg_total_relation_size(inhrelid)) FROM "
                                   "pg_inherits WHERE inhparent = 'readings'::regclass), 0) "
                                   "FROM readings"))  # fmt: skip
        ok = int(sessions[0])
        return Figures(wall, cpu, after[0] - before[0], after[1] - before[1],
                       after[2] - before[2], n, ok, float(sessions[1] or 0),
                       rows[0] / max(ok, 1), float(rows[1]) / max(rows[0], 1))  # fmt: skip
    finally:
        asyncio.run(_drop(schema))


async def _drop(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


FIGURES: dict[str, Figures] = {}
STARTUP: list[float] = []


def report() -> list[str]:
    startup = min(STARTUP) if STARTUP else 0.0
    lines = [
        f"Per meter, {METERS:,} meters collected once (CPU ms per meter; 'collectors, net': "
        f"less {startup:.2f} s of start-up per collecting process, measured on an idle "
        "worker; the PostgreSQL column is the whole shared server's, an upper bound):",
        "",
        "| head-end | meters/s | collectors | collectors, net | fleet (meter side) | nats-server"
        " | PostgreSQL | ok | APDU bytes/session | readings/meter | stored bytes/reading |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in FIGURES.items():
        per = 1000 / max(f.ok, 1)
        net = max(0.0, f.collectors_cpu - startup * f.processes)
        lines.append(
            f"| {name} | {f.ok / f.wall:,.0f} | {f.collectors_cpu * per:.2f} | {net * per:.2f} | "
            f"{f.fleet_cpu * per:.2f} | {f.nats_cpu * per:.2f} | {f.postgres_cpu * per:.2f} | "
            f"{f.ok:,} | {f.bytes_per_session:,.0f} | {f.rows_per_meter:.0f} | "
            f"{f.bytes_per_reading:.0f} |"
        )
    return [*lines, ""]


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
            f = run()
            FIGURES[name] = f
            print(f"  {name}: {f}", file=sys.stderr, flush=True)
            return f

        def check(out: object) -> None:
            assert isinstance(out, Figures)
            if out.ok < METERS:
                raise AssertionError(f"{name}: {out.ok} of {METERS} meters collected")

        return Case(name, once, check, warm_up=False)

    cases = [case("in process, SQLite (1 process)", lambda: run_sqlite(bed))]
    for n in WORKERS:
        cases.append(case(f"{n} worker{'s' if n > 1 else ''}, NATS + PostgreSQL",
                          lambda n=n: run_workers(bed, n)))  # fmt: skip
    return cases
