"""Benchmarks of openamr against its peers: ``python -m bench`` (or ``make bench``).

One module per topic (``bench/codec.py``; later ``bench/association.py`` ...). A
topic module registers suites with :func:`suite`; a suite is one task (decode a
profile buffer) done by several contenders (openamr, dlms-cosem, gurux-dlms, a
fixed-layout ``struct`` bound), all in one process, best of N runs each::

    @suite("codec", "decode a 17,520-row load profile", unit="rows", items=17_520)
    def decode_profile() -> list[Case]:
        buf = build_buffer()                      # setup: not timed
        return [Case("openamr", lambda: decode(buf), check=...), ...]

Add a topic by creating ``bench/<topic>.py`` and naming it in :data:`TOPICS`.
"""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

#: Topic modules, imported in this order by :func:`load`.
TOPICS: tuple[str, ...] = (
    "codec", "client", "twin", "fleet", "line", "headend", "dataout", "scale", "startup", "gsm",
)  # fmt: skip

BASELINE = "openamr"


@dataclass(frozen=True)
class Case:
    """One contender: ``run()`` does the whole task once; ``check(result)`` raises
    if the result is wrong (it runs once, untimed, before the timed runs)."""

    name: str
    run: Callable[[], object]
    check: Callable[[object], None] | None = None
    bound: bool = False  # an upper bound (no checks), not a real implementation
    note: str = ""
    #: False: a run too long to repeat; the one timed run is also the checked one
    warm_up: bool = True


@dataclass(frozen=True)
class Suite:
    topic: str
    title: str
    unit: str
    items: int
    build: Callable[[], list[Case]]
    #: items/s at a physical limit (a line's capacity), known once ``build`` ran;
    #: the table then shows each rate against it instead of a struct bound
    capacity: Callable[[], float] | None = None
    repeat: int | None = None  # exactly this many runs, whatever the budget
    #: lines printed after the suite's table (figures its runs gathered)
    report: Callable[[], list[str]] | None = None


@dataclass
class Timing:
    case: Case
    best: float  # seconds, best of the runs
    runs: int


@dataclass
class Result:
    suite: Suite
    timings: list[Timing] = field(default_factory=list)

    def rate(self, name: str) -> float | None:
        for t in self.timings:
            if t.case.name == name:
                return self.suite.items / t.best
        return None

    def bound_rate(self) -> float | None:
        if self.suite.capacity is not None:
            return self.suite.capacity()
        rates = [self.suite.items / t.best for t in self.timings if t.case.bound]
        return max(rates) if rates else None


REGISTRY: list[Suite] = []


def suite(
    topic: str,
    title: str,
    *,
    unit: str,
    items: int,
    capacity: Callable[[], float] | None = None,
    repeat: int | None = None,
    report: Callable[[], list[str]] | None = None,
) -> Callable[[Callable[[], list[Case]]], Callable[[], list[Case]]]:
    """Register a suite builder (called lazily, so setup costs nothing at import)."""

    def register(build: Callable[[], list[Case]]) -> Callable[[], list[Case]]:
        REGISTRY.append(Suite(topic, title, unit, items, build, capacity, repeat, report))
        return build

    return register


def load(topics: tuple[str, ...] = TOPICS) -> list[Suite]:
    for topic in topics:
        importlib.import_module(f"bench.{topic}")
    return [s for s in REGISTRY if s.topic in topics]


def best_of_each(
    runs: Sequence[Callable[[], object]], repeat: int, budget: float
) -> list[tuple[float, int]]:
    """The best wall time of each of ``runs`` over up to ``repeat`` rounds, a round
    timing each run once in turn (interleaved, so that a slower spell of the machine
    falls on every contender alike, not on one's whole series); a run stops once it
    has spent ``budget`` seconds (each is timed at least once). The garbage collector
    stays on (as in real use) but starts each run with nothing to collect."""
    best = [float("inf")] * len(runs)
    spent = [0.0] * len(runs)
    count = [0] * len(runs)
    for _ in range(repeat):
        for i, run in enumerate(runs):
            if count[i] and spent[i] >= budget:
                continue
            gc.collect()
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            best[i], spent[i], count[i] = min(best[i], elapsed), spent[i] + elapsed, count[i] + 1
    return list(zip(best, count, strict=True))


def _timed_once(run: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def run_suite(s: Suite, repeat: int, budget: float) -> Result:
    result = Result(s)
    if s.repeat is not None:
        repeat, budget = s.repeat, float("inf")
    cases = s.build()
    # The inputs of every contender stay alive for the whole suite: freeze them so
    # that no contender pays for collecting through the others' objects.
    gc.collect()
    gc.freeze()
    try:
        timings: dict[int, Timing] = {}
        for i, case in enumerate(cases):
            if not case.warm_up:
                best, out = _timed_once(case.run)
                if case.check is not None:
                    case.check(out)
                timings[i] = Timing(case, best, 1)
                continue
            out = case.run()  # warm-up, and the run that is checked
            if case.check is not None:
                case.check(out)
            del out
        warm = [i for i in range(len(cases)) if i not in timings]
        measured = best_of_each([cases[i].run for i in warm], repeat, budget)
        for i, (best, runs) in zip(warm, measured, strict=True):
            timings[i] = Timing(cases[i], best, runs)
        result.timings.extend(timings[i] for i in range(len(cases)))
    finally:
        gc.unfreeze()
    return result
