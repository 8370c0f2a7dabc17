"""Line benchmarks (issue 10): a 30-day load profile (2,880 rows) read over HDLC on a
9600 Bd line, as a fraction of the line's payload capacity.

Three processes: the MT372 twin (``build_mt372(history_days=30)`` served by
``serve_twin``, HDLC over TCP), a relay that paces the bytes like a 9600 Bd
half-duplex line (``tests/paced_line.py``: 10 bits an octet, delivered in 8-octet
pieces, optionally a turnaround at every change of direction), and the clients
here, which dial the relay. Each contender
connects, associates as the LLS reader (client 32), reads 1.0.99.1.0.255 whole and
releases.

"Payload" is what the link carries for the application: the APDUs both ways (AARQ,
AARE, the GETs and their blocks, RLRQ, RLRE), as openamr's trace counts them; the
line's capacity is 960 octets/s. The column "vs line capacity" is the fraction of it
the read achieved: payload / (elapsed x 960). What is lost is HDLC framing, polls,
turnarounds and the peers' processing. Floors (the checks fail below them):
>= 95 % on the line, >= 85 % with 30 ms turnarounds. Before issue 10 the link ran
at 128-byte frames and window 1 whatever the meter allowed (80.8 %).

gurux-dlms reads through the same relay with its defaults (it proposes 128-byte
information fields and window 1, so the meter grants those): the same figure for a
typical client. Its fraction uses openamr's payload count (the same APDUs, give or
take a few bytes of block headers).

Each contender runs once (about 90 s each at 9600 Bd); set OPENAMR_BENCH_LINE_DAYS
to read a shorter profile for a quick trial (the floors are for 30 days: a read of a
few kilobytes is dominated by the association's round trips and fails them).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import Case, suite

ROOT = Path(__file__).resolve().parent.parent
BAUD = 9600
CAPACITY = BAUD / 10  # octets per second on an 8N1 line
TURNAROUND = 0.030
DAYS = float(os.environ.get("OPENAMR_BENCH_LINE_DAYS", "30"))
ROWS = round(DAYS * 96)
LP1 = "1.0.99.1.0.255"
PASSWORD = "12345678"
FLOORS = {0.0: 0.95, TURNAROUND: 0.85}

TWIN = """
import asyncio, sys
from openamr.aio.serve import Listeners, serve_twin
from openamr.meter.mt372 import build_mt372

async def main() -> None:
    meter = build_mt372("12345678", history_days=float(sys.argv[1]))
    served = await serve_twin(meter, Listeners(port=0, transport="hdlc"))
    print(served.dlms.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

RELAY = """
import asyncio, sys
from tests.paced_line import PacedLine

async def main() -> None:
    line = PacedLine("127.0.0.1", int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
    print(await line.start(), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def _process(code: str, *args: object) -> int:
    """A helper process that prints its port; stopped when this process exits."""
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    atexit.register(proc.terminate)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.strip().isdigit():
        proc.terminate()
        raise RuntimeError(f"a helper process did not start: {line!r}")
    return int(line)


class Line:
    """The twin and its two relays, started once for both suites."""

    _started: Line | None = None

    def __init__(self) -> None:
        self.twin = _process(TWIN, DAYS)
        self.relays = {t: _process(RELAY, self.twin, BAUD, t) for t in FLOORS}
        self.loop = asyncio.new_event_loop()
        atexit.register(self.loop.close)
        rows, payload, _ = self.loop.run_until_complete(_read(self.twin))  # unpaced
        self.payload_per_row = payload / rows

    @classmethod
    def started(cls) -> Line:
        if cls._started is None:
            cls._started = cls()
        return cls._started

    def capacity(self) -> float:
        """Rows per second if the line carried nothing but payload."""
        return CAPACITY / self.payload_per_row


async def _read(port: int) -> tuple[int, int, float]:
    """Rows, payload octets (APDUs both ways) and seconds of one whole read."""
    from openamr.client.meter import connect

    payload = 0

    def count(direction: str, apdu: bytes) -> None:
        nonlocal payload
        payload += len(apdu)

    start = time.perf_counter()
    url = f"hdlc+tcp://127.0.0.1:{port}?baud={BAUD}"
    async with connect(url, 32, "low", password=PASSWORD, environ={}, trace=count) as meter:
        profile = await meter.profile(LP1)
    return len(profile.rows), payload, time.perf_counter() - start


def _openamr(line: Line, turnaround: float) -> Case:
    def run() -> tuple[int, int, float]:
        return line.loop.run_until_complete(_read(line.relays[turnaround]))

    def check(out: Any) -> None:
        rows, payload, elapsed = out
        if rows != ROWS:
            raise AssertionError(f"{rows} rows, not {ROWS}")
        fraction = payload / (elapsed * CAPACITY)
        floor = FLOORS[turnaround]
        print(f"openamr: {fraction:.1%} of the line's capacity (floor {floor:.0%})", flush=True)
        if fraction < floor:
            raise AssertionError(f"{fraction:.1%} of the line's capacity, below {floor:.0%}")

    note = "2030-byte frames, window 7, as negotiated"
    return Case("openamr", run, check, note=note, warm_up=False)


def _gurux(line: Line, turnaround: float) -> Case:
    sys.path.insert(0, str(ROOT))
    from gurux_dlms.objects import GXDLMSProfileGeneric
    from tests.e2e.gurux_helpers import connect, make_client

    def run() -> int:
        client = make_client("hdlc", 32, secret=PASSWORD)
        with connect("127.0.0.1", line.relays[turnaround], client) as s:
            pg = GXDLMSProfileGeneric(LP1)
            s.read(pg, 3)
            s.read(pg, 2)
        return len(pg.buffer)

    def check(out: Any) -> None:
        if out != ROWS:
            raise AssertionError(f"gurux read {out} rows, not {ROWS}")

    return Case("gurux-dlms", run, check, note="its defaults: 128-byte frames, window 1",
                warm_up=False)  # fmt: skip


def _capacity() -> float:
    return Line.started().capacity()


@suite("line", f"read a {DAYS:g}-day load profile over HDLC at {BAUD} Bd (paced relay)",
       unit="rows", items=ROWS, capacity=_capacity)  # fmt: skip
def on_the_line() -> list[Case]:
    line = Line.started()
    return [_openamr(line, 0.0), _gurux(line, 0.0)]


@suite("line", f"the same with {TURNAROUND * 1e3:g} ms turnarounds",
       unit="rows", items=ROWS, capacity=_capacity)  # fmt: skip
def with_turnarounds() -> list[Case]:
    return [_openamr(Line.started(), TURNAROUND)]
