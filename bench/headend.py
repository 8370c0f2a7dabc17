"""Head-end benchmarks (issue 13): readings stored per second, and meters collected
per second from twins in another process.

* store: 100,000 readings (one meter, 100 channels x 1,000 quarter-hours, new rows
  each run) in one ``Store.add_readings`` batch into SQLite in WAL mode
  (``INSERT ... ON CONFLICT DO NOTHING``, executemany), against the same statement
  through the bare ``sqlite3`` module (the bound: no SQLAlchemy, no asyncio).
* collect: ``TWINS`` MT372 twins (one day of history, on the wall clock) served by
  one subprocess on as many loopback ports; each run imports them into a fresh
  SQLite inventory and collects them all at once (clock, 12 registers, the day's
  96 intervals of the load profile by range, the log-book), storing everything.
* alarms: another process pushes 5,000 DATA-NOTIFICATIONs (half of them in
  general-glo-ciphering under the meter's keys, counters rising) from 100 meters over
  8 loopback connections (each meter's on one, in order) to the ``AlarmListener``;
  timed until every one is stored once in SQLite. The sender builds each run's
  frames and connects during the previous run, so the time is the listener's.
"""

from __future__ import annotations

import asyncio
import atexit
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import Case, suite

ROWS = 100_000
TWINS = 40

SERVER = """
import asyncio, datetime as dt, sys
from openamr.aio.serve import Listeners, serve_twin
from openamr.meter.mt372 import build_mt372

def now():
    return dt.datetime.now(dt.UTC)

async def main(n):
    served = []
    for i in range(n):
        meter = build_mt372(f"{10000001 + i}", time_base=now, history_days=1)
        served.append(await serve_twin(meter, Listeners(port=0)))
    print(" ".join(str(s.dlms_address[1]) for s in served), flush=True)
    await asyncio.Event().wait()

asyncio.run(main(int(sys.argv[1])))
"""


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


def start_twins(n: int) -> list[int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(n)], stdout=subprocess.PIPE, text=True
    )
    atexit.register(proc.terminate)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != n:
        proc.terminate()
        raise RuntimeError(f"the twins did not start: {line!r}")
    return [int(p) for p in line]


@suite("headend", f"collect {TWINS} twins at once (HLS, one day of profile)", unit="meters",
       items=TWINS)  # fmt: skip
def collect_twins() -> list[Case]:
    from openamr.headend.model import MeterRecord
    from openamr.headend.scheduler import Policy
    from openamr.headend.service import collect_now
    from openamr.headend.store import Store
    from openamr.headend.vault import Kek, MeterSecrets

    ports = start_twins(TWINS)
    loop, tmp = _Loop(), Path(tempfile.mkdtemp(prefix="openamr-bench-"))
    kek = Kek(bytes(16))
    secrets = MeterSecrets(None, bytes.fromhex("000102030405060708090A0B0C0D0E0F"),
                           bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"))  # fmt: skip
    count = {"run": 0}

    async def once() -> list[Any]:
        count["run"] += 1
        run = count["run"]
        store = await Store.open(f"sqlite:///{tmp / f'collect{run}.db'}")
        try:
            for i, port in enumerate(ports):
                record = MeterRecord(f"{10000001 + i}", f"tcp://127.0.0.1:{port}", cell=i % 4,
                                     secrets=secrets)  # fmt: skip
                await store.put_meter(record, kek, 0)
            meters = await store.meters()
            policy = Policy(max_sessions=TWINS, per_cell=TWINS, on_demand_deadline=0)
            return await collect_now(store, kek, meters, policy=policy)
        finally:
            await store.close()

    def check(out: Any) -> None:
        bad = [c for c in out if c.outcome is None or not c.outcome.ok]
        if bad:
            raise AssertionError(f"{len(bad)} meters failed: {bad[0].outcome}")
        if min(c.outcome.readings for c in out) < 12 + 2 * 96:
            raise AssertionError("a meter's day of profile was not stored")

    return [Case("openamr", lambda: loop.run(once()), check, note="Collector + Runner, SQLite")]


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
