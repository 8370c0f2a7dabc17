"""Start-up benchmarks (issue 9, section 4): ``openamr`` commands as whole processes,
best of 5, each beside ``python -c pass`` (the interpreter alone) in the same run.

Floors:

* ``openamr --version`` and ``openamr --help``: <= 120 ms;
* ``openamr decode HEX``: <= 150 ms;
* ``openamr read URL OBIS`` against a local twin: <= 350 ms;
* ``openamr profile URL 1.0.99.1.0.255 --csv`` (17,520 rows) at least 3x faster
  than the same read by dlms-cosem (``bench/dlms_cosem_profile.py``: its session,
  the GET of the whole buffer and its parser) as a whole process.

The twin is the ``client`` topic's (``build_mt372(history_days=182.5)`` in a
subprocess, wrapper on loopback). The package is byte-compiled before the runs (as
``make bench`` and the install step do), so the figures are those of an installed
openamr, not of one recompiling its modules on every start. Under the profile
read's table: the processes' CPU time (user + system, best run, ``getrusage``) and
its ratio; on a shared machine the wall times wait for other work, CPU time less.
"""

from __future__ import annotations

import compileall
import functools
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openamr
from bench import Case, suite
from bench.client import LP1, PASSWORD, ROWS, start_twin

BIN = Path(sys.executable).parent
OPENAMR = str(BIN / "openamr")
CONTENDER = str(Path(__file__).resolve().parent / "dlms_cosem_profile.py")
RUNS = 5
A_PLUS = "1.0.1.8.0.255"
#: an LP1 row as the meter sends it: {clock, status, +A, -A}
ROW = "0204 090c 07ea0101040000000000c400 1100 0600001234 0600000000"


def environment() -> dict[str, str]:
    """This process's environment without any openamr secret."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENAMR_")}


def compiled() -> None:
    """Byte-compile the package (only what changed since the last time)."""
    compileall.compile_dir(Path(openamr.__file__).parent, quiet=1)


@functools.cache
def twin_port() -> int:
    return start_twin()


#: the least CPU time (user + system, seconds) a process of each label took
_CPU: dict[str, float] = {}


def _cpu_time() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def process(*argv: str, cpu: str | None = None) -> Callable[[], str]:
    """A run of ``argv`` as a whole process; its standard output. With ``cpu``, the
    least CPU time of its runs is kept under that label."""
    env = environment()

    def run() -> str:
        before = _cpu_time()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        if cpu is not None:
            _CPU[cpu] = min(_CPU.get(cpu, float("inf")), _cpu_time() - before)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr}")
        return done.stdout

    return run


def cpu_report() -> list[str]:
    """The profile read's CPU times, ours against dlms-cosem's."""
    ours, theirs = _CPU.get("openamr"), _CPU.get("dlms-cosem")
    if ours is None or theirs is None:
        return []
    return [
        f"CPU time (user + system, best run): openamr {ours * 1e3:.0f} ms, "
        f"dlms-cosem {theirs * 1e3:.0f} ms: {theirs / ours:.2f}x"
    ]


def contains(*texts: str) -> Callable[[object], None]:
    def check(out: object) -> None:
        assert isinstance(out, str)
        for t in texts:
            if t not in out:
                raise AssertionError(f"{t!r} not in the output {out[:300]!r}")

    return check


def interpreter() -> Case:
    return Case("python -c pass", process(sys.executable, "-c", "pass"), bound=True,
                note="the interpreter alone")  # fmt: skip


def _openamr(
    *args: str, check: Callable[[object], None], note: str = "", cpu: str | None = None
) -> Case:
    compiled()
    return Case("openamr", process(OPENAMR, *args, cpu=cpu), check, note=note)


@suite("startup", "openamr --version (floor 120 ms)", unit="starts", items=1, repeat=RUNS)
def version() -> list[Case]:
    return [_openamr("--version", check=contains(openamr.__version__)), interpreter()]


@suite("startup", "openamr --help (floor 120 ms)", unit="starts", items=1, repeat=RUNS)
def help_() -> list[Case]:
    return [_openamr("--help", check=contains("profile", "decode")), interpreter()]


@suite("startup", "openamr decode HEX (floor 150 ms)", unit="starts", items=1, repeat=RUNS)
def decode() -> list[Case]:
    return [_openamr("decode", ROW, check=contains("double-long-unsigned: 4660"),
                     note="one LP1 row"), interpreter()]  # fmt: skip


@suite("startup", "openamr read URL OBIS, local twin (floor 350 ms)", unit="starts", items=1,
       repeat=RUNS)  # fmt: skip
def read() -> list[Case]:
    url = f"tcp://127.0.0.1:{twin_port()}"
    return [_openamr("read", url, A_PLUS, check=contains(A_PLUS, "Wh"),
                     note="+A, public client"), interpreter()]  # fmt: skip


def _rows(expected: int) -> Callable[[object], None]:
    def check(out: object) -> None:
        assert isinstance(out, str)
        lines = out.splitlines()
        if len(lines) != expected:
            raise AssertionError(f"{len(lines)} lines, not {expected}")

    return check


@suite("startup", f"openamr profile URL {LP1} --csv, {ROWS:,} rows "
       "(floor: 3x dlms-cosem's process)", unit="reads", items=1, repeat=RUNS,
       report=cpu_report)  # fmt: skip
def profile() -> list[Case]:
    port = twin_port()
    url = f"tcp://127.0.0.1:{port}"
    _CPU.clear()
    ours = _openamr("profile", url, LP1, "--csv", "--password", PASSWORD.decode(),
                    check=_rows(ROWS + 1), note="LLS client 32", cpu="openamr")  # fmt: skip
    contender = process(sys.executable, CONTENDER, str(port), PASSWORD.decode(), cpu="dlms-cosem")
    theirs = Case("dlms-cosem", contender, contains(str(ROWS)),
                  note="get + parse, bench/dlms_cosem_profile.py")  # fmt: skip
    return [ours, theirs, interpreter()]
