"""The campaign runner: twins in their own processes, peers in this one, for a time
or a number of inputs; a :class:`Report` of what was sent and what came back.

Each connection draws from its own ``random.Random("seed/worker/connection")``, and
a connection that hangs leaves its transcript (transport, state, every input sent
after the set-up, in hex) in the ``found`` directory: ``python -m fuzz replay FILE``
plays it again against a fresh twin."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    found: Path | None = None  # where hanging connections leave their transcripts

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
            f"slowest close {t.slowest:.2f} s after the FIN ({t.slowest_where})",
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
    index: int, twin: ServedTwin, corpus: Sequence[bytes], seed: int,
    stop_at: float, budget: list[int], report: Report, batch: int, deadline: float,
) -> None:  # fmt: skip
    connection = 0
    while time.monotonic() < stop_at and budget[0] > 0:
        state = STATES[(index + connection) % len(STATES)]
        title = b"FUZ" + bytes([index]) + connection.to_bytes(4, "big")
        where = f"{twin.transport}/{state}, connection {seed}/{index}/{connection}"
        rng = random.Random(f"{seed}/{index}/{connection}")
        connection += 1
        peer = Peer(twin.transport, twin.port, rng, title)
        tally = Tally(batches=1)
        try:
            await peer.open(state)
            count = min(batch, budget[0])
            budget[0] -= count
            tally.inputs = await peer.batch(corpus, count, deadline)
            tally.by_state[f"{twin.transport}/{state}"] += tally.inputs
            tally.slowest, tally.slowest_where = peer.drained, where
        except Hang:
            tally.hangs += 1
            kept = _keep(report.found, peer, state, where)
            tally.hangs_where.append(where + (f": {kept}" if kept else ""))
        except (ConnectionError, TimeoutError, OSError):
            report.setup_refused += 1
            if not twin.alive:
                return
        finally:
            peer.close()
            tally.answers.update(peer.answers)
            report.tally.add(tally)


def _keep(found: Path | None, peer: Peer, state: str, where: str) -> Path | None:
    """Write the transcript of a hanging connection (see the module docstring)."""
    if found is None:
        return None
    found.mkdir(parents=True, exist_ok=True)
    path = found / ("hang-" + where.split(", connection ")[1].replace("/", "-") + ".txt")
    lines = [f"# {where}", f"transport {peer.transport}", f"state {state}"]
    path.write_text("\n".join(lines + [data.hex() for data in peer.sent]) + "\n")
    return path


def read_transcript(path: Path) -> tuple[str, str, list[bytes]]:
    """The transport, state and inputs of a transcript written by a hang."""
    fields: dict[str, str] = {}
    inputs = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.partition(" ")
        if key in ("transport", "state"):
            fields[key] = value
        else:
            inputs.append(bytes.fromhex(line))
    return fields["transport"], fields["state"], inputs


async def _replay(twin: ServedTwin, state: str, inputs: Sequence[bytes], deadline: float) -> str:
    peer = Peer(twin.transport, twin.port, random.Random(0), b"FUZREPLY")
    try:
        await peer.open(state)
        await peer.replay(inputs, deadline)
        return f"closed {peer.drained:.2f} s after the FIN ({len(inputs)} inputs)"
    except Hang as hang:
        return f"HANG: {hang}"
    finally:
        peer.close()


def replay(path: Path, deadline: float = 10.0) -> str:
    """Play a transcript again against a fresh twin; what happened, in words."""
    transport, state, inputs = read_transcript(path)
    twin = start(transport)
    try:
        outcome = asyncio.run(_replay(twin, state, inputs, deadline))
        crashes = twin.crash_lines()
        return outcome + (f"; crash: {crashes[0]}" if crashes else "")
    finally:
        twin.stop()


async def _run(
    twins: Sequence[ServedTwin], corpus: Sequence[bytes], seconds: float, inputs: int,
    connections: int, seed: int, batch: int, deadline: float, found: Path | None,
) -> Report:  # fmt: skip
    report = Report(seconds, seed, found=found)
    report.negative = await run_cases({t.transport: t.port for t in twins})
    stop_at = time.monotonic() + seconds
    budget = [inputs]
    workers = []
    for i in range(connections * len(twins)):
        twin = twins[i % len(twins)]
        workers.append(_worker(i, twin, corpus, seed, stop_at, budget, report, batch, deadline))
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
    found: Path | None = None,
) -> Report:
    """Fuzz twins serving ``transports`` for ``seconds`` or ``inputs``, whichever ends
    first, over ``connections`` concurrent connections per transport; the transcripts
    of hanging connections go to ``found``."""
    apdus = [a for kind in ("public", "lls", "hls") for a in load().get(kind, [])]
    twins = [start(t) for t in transports]
    try:
        report = asyncio.run(
            _run(twins, apdus, seconds, inputs, connections, seed, batch, deadline, found)
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
