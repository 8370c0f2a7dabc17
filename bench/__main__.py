"""``python -m bench [topic ...] [--repeat N] [--budget S] [--no-write]``.

Runs the registered suites, prints one table per suite and writes
bench/RESULTS.md with the machine, the date and the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
from importlib import metadata
from pathlib import Path

from bench import BASELINE, TOPICS, Result, load, run_suite

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PEERS = ("gurux-dlms", "dlms-cosem")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> list[str]:
    versions = []
    for name in PEERS:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"- CPU: {cpu_model()}, {os.cpu_count()} logical cores",
        f"- Python: {platform.python_implementation()} {platform.python_version()}"
        f" on {platform.system()} {platform.release()}",
        f"- Peers: {', '.join(versions)}",
        f"- Load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
        " (other work on a shared machine widens the spread of the peers' figures)",
        f"- Date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
    ]


def _ratio(num: float | None, den: float | None) -> str:
    return "-" if num is None or den is None else f"{num / den:.2f}x"


def table(result: Result) -> list[str]:
    s = result.suite
    base, bound = result.rate(BASELINE), result.bound_rate()
    against = "vs line capacity" if s.capacity is not None else "vs struct bound"
    lines = [
        f"### {s.title} ({s.topic})",
        "",
        f"| contender | best ms | {s.unit}/s | vs {BASELINE} | {against} | runs |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for t in result.timings:
        rate = s.items / t.best
        name = t.case.name + (f" ({t.case.note})" if t.case.note else "")
        lines.append(
            f"| {name} | {t.best * 1e3:,.1f} | {rate:,.0f} | {_ratio(rate, base)}"
            f" | {_ratio(rate, bound)} | {t.runs} |"
        )
    lines.append("")
    if s.report is not None:
        lines += s.report()
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("topics", nargs="*", default=list(TOPICS), help=f"of {', '.join(TOPICS)}")
    p.add_argument("--repeat", type=int, default=7, help="best of N runs (default 7)")
    p.add_argument("--budget", type=float, default=5.0, help="seconds per contender")
    p.add_argument("--no-write", action="store_true", help="do not write bench/RESULTS.md")
    args = p.parse_args(argv)
    unknown = set(args.topics) - set(TOPICS)
    if unknown:
        p.error(f"unknown topic(s): {', '.join(sorted(unknown))}")
    header = machine()
    print("\n".join(header), end="\n\n", flush=True)
    body: list[str] = []
    for s in load(tuple(args.topics)):
        lines = table(run_suite(s, args.repeat, args.budget))
        print("\n".join(lines), flush=True)
        body += lines
    if not args.no_write:
        text = ["# Benchmark results", "", "`make bench` (`python -m bench`), best of N runs,",
                "all contenders in one process.", "", *header, "", *body]  # fmt: skip
        RESULTS.write_text("\n".join(text), encoding="utf-8")
        print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
