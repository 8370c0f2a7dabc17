"""``python -m fuzz [--seconds S] [--inputs N] [--connections C] [--seed K]
[--found DIR]``: fuzz twins over the wrapper and HDLC (a hanging connection leaves
its transcript in DIR, default fuzz/found); ``python -m fuzz replay FILE...`` plays
transcripts again against a fresh twin; ``python -m fuzz capture`` re-captures the
valid corpus. Exit status 1 when there was a crash or a hang."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fuzz.campaign import TRANSPORTS, replay, run
from fuzz.corpus import capture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "capture", "replay"],
                        default="run")  # fmt: skip
    parser.add_argument("files", nargs="*", type=Path, help="transcripts to replay")
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget (120)")
    parser.add_argument("--inputs", type=int, default=10**9, help="input budget")
    parser.add_argument("--connections", type=int, default=3, help="per transport (3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--transport", choices=TRANSPORTS, action="append")
    parser.add_argument("--found", type=Path, default=Path(__file__).parent / "found",
                        help="transcripts of hanging connections (fuzz/found)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.command == "capture":
        print(f"captured {capture()} APDUs")
        return 0
    if args.command == "replay":
        outcomes = [replay(path) for path in args.files]
        for path, outcome in zip(args.files, outcomes, strict=True):
            print(f"{path}: {outcome}")
        return 1 if any("HANG" in o or "crash" in o for o in outcomes) else 0
    report = run(args.seconds, args.inputs, args.connections, args.seed,
                 args.transport or TRANSPORTS, found=args.found)  # fmt: skip
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
