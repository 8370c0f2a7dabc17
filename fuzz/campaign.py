"""The campaign runner: twins in their own processes, peers in this one, for a time
or a number of inputs; a :class:`Report` of what was sent and what came back."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from fuzz.corpus import load
from fuzz.negative import run_cases
from fuzz.peer import STATES, Hang, Peer, Tally
from fuzz.twin import ServedTwin, start

TRANSPORTS = ("wrapper", "hdlc")


@dataclass
class Report:
    seconds: float
    seed: int
    tally: Tally = field(default_factory=Tally)
    setup_refused: int = 0
    crashes: list[str] = field(default_factory=list)
    died: list[str] = field(default_factory=list)
    log_bytes: int = 0
    negative: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        failed = [n for n, why in self.negative if why is not None]
        return not (self.crashes or self.died or self.tally.hangs or failed)

    def lines(self) -> list[str]:
        t = self.tally
        rate = t.inputs / self.seconds if self.seconds else 0.0
        out = [
            f"inputs        {t.inputs:,} in {t.batches:,} connections, {self.seconds:.1f} s"
            f" ({rate:,.0f}/s), seed {self.seed}",
            f"crashes       {len(self.crashes) + len(self.died)}",
            f"hangs         {t.hangs}",
            f"set-ups refused {self.setup_refused}   twin log {self.log_bytes:,} bytes",
            "by state      " + ", ".join(f"{k} {v:,}" for k, v in sorted(t.by_state.items())),
            "answers:",
        ]
        out += [f"  {name:<28} {n:>10,}" for name, n in t.answers.most_common()]
        out.append(f"negative cases ({len(self.negative)}):")
        out += [f"  {'pass' if why is None else 'FAIL'}  {name}" + (f": {why}" if why else "")
                for name, why in self.negative]  # fmt: skip
        out += [f"  hang: {where}" for where in t.hangs_where[:10]]
        out += [f"  crash: {line}" for line in self.crashes[:10]]
        out += [f"  died: {d}" for d in self.died]
        return out


async def _worker(
    index: int, twin: ServedTwin, corpus: Sequence[bytes], rng: random.Random,
    stop_at: float, budget: list[int], report: Report, batch: int, deadline: float,
) -> None:  # fmt: skip
    connection = 0
    while time.monotonic() < stop_at and budget[0] > 0:
        state = STATES[(index + connection) % len(STATES)]
        title = b"FUZ" + bytes([index]) + connection.to_bytes(4, "big")
        connection += 1
        peer = Peer(twin.transport, twin.port, rng, title)
        tally = Tally(batches=1)
        try:
            await peer.open(state)
            count = min(batch, budget[0])
            budget[0] -= count
            tally.inputs = await peer.batch(corpus, count, deadline)
            tally.by_state[f"{twin.transport}/{state}"] += tally.inputs
        except Hang:
            tally.hangs += 1
            tally.hangs_where.append(f"{twin.transport}/{state}, connection {index}.{connection}")
        except (ConnectionError, TimeoutError, OSError):
            report.setup_refused += 1
            if not twin.alive:
                return
        finally:
            peer.close()
            tally.answers.update(peer.answers)
            report.tally.add(tally)


async def _run(
    twins: Sequence[ServedTwin], corpus: Sequence[bytes], seconds: float, inputs: int,
    connections: int, seed: int, batch: int, deadline: float,
) -> Report:  # fmt: skip
    report = Report(seconds, seed)
    report.negative = await run_cases({t.transport: t.port for t in twins})
    stop_at = time.monotonic() + seconds
    budget = [inputs]
    workers = []
    for i in range(connections * len(twins)):
        twin = twins[i % len(twins)]
        rng = random.Random(seed * 1000 + i)
        workers.append(_worker(i, twin, corpus, rng, stop_at, budget, report, batch, deadline))
    began = time.monotonic()
    await asyncio.gather(*workers)
    report.seconds = time.monotonic() - began
    return report


def run(
    seconds: float = 60.0,
    inputs: int = 10**9,
    connections: int = 3,
    seed: int = 1,
    transports: Sequence[str] = TRANSPORTS,
    batch: int = 200,
    deadline: float = 10.0,
) -> Report:
    """Fuzz twins serving ``transports`` for ``seconds`` or ``inputs``, whichever ends
    first, over ``connections`` concurrent connections per transport."""
    apdus = [a for kind in ("public", "lls", "hls") for a in load().get(kind, [])]
    twins = [start(t) for t in transports]
    try:
        report = asyncio.run(
            _run(twins, apdus, seconds, inputs, connections, seed, batch, deadline)
        )
        for twin in twins:
            if not twin.alive:
                report.died.append(f"{twin.transport} twin exited with {twin.process.returncode}")
            report.crashes += twin.crash_lines()
            report.log_bytes += twin.log_size()
    finally:
        for twin in twins:
            twin.stop()
    return report
