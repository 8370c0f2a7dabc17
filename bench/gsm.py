"""GSM benchmark (issue 16): a day's 15-minute load profile (96 rows) read by a CSD call
at 9600 bit/s through the virtual modem, against the line's theoretical minimum.

The MT372 twin runs in its own process (HDLC over TCP); the virtual GSM network
(:class:`openamr.aio.modem.ModemPool`: the head-end's AT modem, the call paced at
9600 bit/s, 10 bits an octet, both ways) and the client run here, in real time. The
client dials ``csd://`` once (the rings and the handshake are not timed), associates
as the LLS reader (client 32), and each timed run reads 1.0.99.1.0.255 whole on the
open call (a head-end reading a day's profile of a meter it has called).

Two fractions per run, both against 960 octets/s:

* payload: the APDUs both ways (the GET, its blocks and the answers, as the client's
  trace counts them) / (elapsed x 960): the share of the line's capacity the
  application got (the goal: >= 90 %);
* line: every octet that crossed the call (HDLC framing, RR polls included, counted
  on the paced lines) / (elapsed x 960): the time lost to turnarounds and processing.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import time
from typing import Any

from bench import Case, suite
from bench.line import ROOT, TWIN, _process

BIT_RATE = 9600
CAPACITY = BIT_RATE / 10
LP1 = "1.0.99.1.0.255"
ROWS = 96
GOAL = 0.90


class Call:
    """The twin, the network and one call up, set up once for the suite."""

    _started: Call | None = None

    def __init__(self) -> None:
        self.twin = _process(TWIN, 1)
        self.loop = asyncio.new_event_loop()
        atexit.register(self.loop.close)
        self.payload = 0
        self.meter: Any = None
        self.loop.run_until_complete(self._open())
        atexit.register(lambda: self.loop.run_until_complete(self._close()))

    async def _open(self) -> None:
        from openamr.aio.modem import ModemPool
        from openamr.client.meter import connect
        from openamr.gsm.pool import MeterLine, NetworkFile
        from openamr.gsm.sim import Sim

        sim = Sim.derive(1)
        line = MeterLine(sim, csd=("127.0.0.1", self.twin), whitelist=("+38640100200",),
                         rings=1, inactivity_s=600.0)  # fmt: skip
        self.pool = ModemPool(NetworkFile("+38640100200", BIT_RATE, (line,)))
        await self.pool.start()
        host, port = await self.pool.serve_tcp("127.0.0.1", 0)
        started = time.perf_counter()
        self.session = connect(f"csd://{host}:{port}/{sim.msisdn}", 32, "low",
                               password="12345678", environ={}, trace=self._count)  # fmt: skip
        self.meter = await self.session.__aenter__()
        self.set_up_s = time.perf_counter() - started

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            await self.session.__aexit__(None, None, None)
        await self.pool.close()

    def _count(self, direction: str, apdu: bytes) -> None:
        self.payload += len(apdu)

    @classmethod
    def started(cls) -> Call:
        if cls._started is None:
            cls._started = cls()
        return cls._started

    def octets(self) -> int:
        (call,) = self.pool.network.calls
        return call.to_callee.sent + call.to_caller.sent

    async def read(self) -> tuple[int, int, int, float]:
        """Rows, payload octets, line octets, seconds of one profile read."""
        payload, octets = self.payload, self.octets()
        start = time.perf_counter()
        profile = await self.meter.profile(LP1)
        elapsed = time.perf_counter() - start
        return len(profile.rows), self.payload - payload, self.octets() - octets, elapsed


def _capacity() -> float:
    """Rows per second if the call carried nothing but the profile's payload."""
    call = Call.started()
    rows, payload, _, _ = call.loop.run_until_complete(call.read())
    return CAPACITY / (payload / rows)


@suite("gsm", f"read a day's load profile ({ROWS} rows) by CSD at {BIT_RATE} bit/s",
       unit="rows", items=ROWS, capacity=_capacity, repeat=3)  # fmt: skip
def by_csd() -> list[Case]:
    call = Call.started()

    def run() -> tuple[int, int, int, float]:
        return call.loop.run_until_complete(call.read())

    def check(out: Any) -> None:
        rows, payload, octets, elapsed = out
        if rows < ROWS:
            raise AssertionError(f"{rows} rows, not {ROWS}")
        minimum = octets / CAPACITY
        print(
            f"openamr by CSD: {payload} payload octets, {octets} on the line in {elapsed:.2f} s "
            f"(line minimum {minimum:.2f} s): payload {payload / (elapsed * CAPACITY):.1%}, "
            f"line {minimum / elapsed:.1%} of 9600 bit/s; dial and association "
            f"{call.set_up_s:.1f} s (not timed)",
            flush=True,
        )
        if payload / (elapsed * CAPACITY) < GOAL:
            raise AssertionError(f"below {GOAL:.0%} of the line's payload capacity")

    note = "one call, 2030-byte frames, window 7; rows/s against payload capacity"
    return [Case("openamr", run, check, note=note, warm_up=False)]


__all__ = ["ROOT"]
