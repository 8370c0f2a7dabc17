"""``python -m fuzz [--seconds S] [--inputs N] [--connections C] [--seed K]``:
fuzz twins over the wrapper and HDLC; ``python -m fuzz capture`` re-captures the
valid corpus. Exit status 1 when there was a crash or a hang."""

from __future__ import annotations

import argparse
import sys

from fuzz.campaign import TRANSPORTS, run
from fuzz.corpus import capture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "capture"], default="run")
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget (120)")
    parser.add_argument("--inputs", type=int, default=10**9, help="input budget")
    parser.add_argument("--connections", type=int, default=3, help="per transport (3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--transport", choices=TRANSPORTS, action="append")
    args = parser.parse_args(argv)
    if args.command == "capture":
        print(f"captured {capture()} APDUs")
        return 0
    report = run(args.seconds, args.inputs, args.connections, args.seed,
                 args.transport or TRANSPORTS)  # fmt: skip
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
