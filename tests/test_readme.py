"""Every command block of README.md, run as written against a live twin.

The blocks are taken from the README itself (``sh`` fences), so that it cannot
drift. A line runs as it reads, in a scratch directory, with one rewrite: the
README's ports (4059 wrapper, 4060 control, 6210 optical) become the free ports
of the live twin, a twin started as the README says the examples' twin is
started (``--start 2026-01-31T00:00 --history-days 30``). ``openamr`` lines run
in-process (the CLI's start-up is the slow part of a subprocess), the others
(curl, printf, head, and lines with ``||`` or pipes) in ``bash``. Each must exit 0.

A trailing tag in a line's comment marks what is not run as a plain command
(the README explains the tags, section "Command line"):

- ``[server]``: runs until stopped; started with free ports instead of the
  README's (all at once), each must say it is ready within a bound (``listening``;
  a fleet: its control endpoint's line), then it is stopped. A fleet on its
  default addresses (127.1.x.y:4059) is moved to a loopback block drawn per run,
  through a copy of its ``--config`` with an ``[addresses] first``; a
  ``--port-range`` to free ports: suites running at once do not collide.
- ``[device]``: needs hardware (a serial line, an IR probe): not run.
- ``[make]``: a Makefile target (``make test`` runs this file): not run.
- ``[fleet]``: talks to a running ``openamr fleet serve``: not run.
- ``[gsm]``: talks to a running ``openamr gsm modem`` and its twins: not run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.aio.serve import Listeners, serve_twin
from openamr.cli.main import cli
from openamr.cli.times import twin_local
from openamr.meter.mt372 import build_mt372
from tests.addresses import free_port_range, loopback_block
from tests.background import background_loop
from tests.cli.conftest import CLEAN_ENV

README = Path(__file__).resolve().parent.parent / "README.md"
TAGS = ("server", "device", "make", "fleet", "gsm")
START = twin_local(dt.datetime(2026, 1, 31))  # the README's --start: the meter's local time
SERVER_BOUND_S = 50.0


@dataclass(frozen=True)
class Line:
    block: int
    number: int  # 1-based line of README.md
    text: str  # continuation lines joined
    tag: str | None


def commands() -> list[Line]:
    """Every command line of the README's ``sh`` blocks."""
    lines: list[Line] = []
    fence, block, pending, start = False, 0, "", 0
    for n, raw in enumerate(README.read_text().splitlines(), 1):
        if raw.startswith("```"):
            fence = raw.strip() == "```sh" and not fence
            block += fence
            continue
        if not fence or not raw.strip() or raw.lstrip().startswith("#"):
            continue
        start = start or n
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        text, pending = pending + raw, ""
        found = re.search(r"#.*\[(\w+)\]\s*$", text)
        tag = found.group(1) if found else None
        assert tag is None or tag in TAGS, f"README.md:{start}: unknown tag [{tag}]"
        lines.append(Line(block, start, text.strip(), tag))
        start = 0
    return lines


@dataclass(frozen=True)
class Ports:
    wrapper: int
    control: int
    optical: int

    def rewrite(self, text: str) -> str:
        for readme, ours in ((4059, self.wrapper), (4060, self.control), (6210, self.optical)):
            text = re.sub(rf"(127\.0\.0\.1:){readme}\b", rf"\g<1>{ours}", text)
        return text


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the whole README: files a line writes, later lines read."""
    return tmp_path_factory.mktemp("readme")


@pytest.fixture(scope="module")
def ports() -> Iterator[Ports]:
    meter = build_mt372("12345678", history_days=30, start=START)
    with background_loop() as bg:
        listeners = Listeners(port=0, control_port=0, optical_port=0)
        served = bg.run(lambda: serve_twin(meter, listeners), timeout=120)
        bg.twins.append(served)
        assert served.dlms_address and served.control_address and served.optical_address
        yield Ports(served.dlms_address[1], served.control_address[1], served.optical_address[1])


def run_line(line: Line, ports: Ports, cwd: Path) -> tuple[int, str]:
    text = ports.rewrite(line.text)
    words = shlex.split(text, comments=True)
    shell = any(w in ("|", "||", "&&", ";") for w in words)
    if words and words[0] in ("openamr", ".venv/bin/openamr") and not shell:
        out_file = None
        if ">" in words:
            at = words.index(">")
            words, out_file = words[:at], words[at + 1]
        result = CliRunner().invoke(cli, words[1:], env=CLEAN_ENV)
        if out_file is not None:
            (cwd / out_file).write_text(result.stdout)
        return result.exit_code, result.output
    path = f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAMR_")} | {"PATH": path}
    proc = subprocess.run(
        ["bash", "-c", text], cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


RUNNABLE = [line for line in commands() if line.tag is None]
SERVERS = [line for line in commands() if line.tag == "server"]


def test_the_readme_has_commands_and_tags_them() -> None:
    assert len(RUNNABLE) >= 30 and SERVERS
    assert not any("../shared" in line for line in README.read_text().splitlines())


def test_every_command_block_runs(
    ports: Ports, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(scratch)
    failed = []
    for line in RUNNABLE:
        code, output = run_line(line, ports, scratch)
        if code != 0:
            failed.append(f"README.md:{line.number}: {line.text}\n  exit {code}: {output[-600:]}")
    assert not failed, "\n".join(failed)


def _free_ports(text: str, cwd: Path | None = None) -> list[str]:
    """The server's words with free ports (and, given ``cwd``, a fleet on drawn
    addresses)."""
    words = shlex.split(text, comments=True)
    for flag in ("--port", "--control-port", "--optical-port"):
        if flag in words:
            words[words.index(flag) + 1] = "0"
    for flag in ("--tcp", "--lookup", "--modem"):  # openamr gsm modem, fleet serve
        if flag in words:
            words[words.index(flag) + 1] = "127.0.0.1:0"
    if words[:3] == ["openamr", "meter", "serve"] and "--port" not in words:
        words += ["--port", "0"]
    if words[:3] == ["openamr", "fleet", "serve"] and "--control-port" not in words:
        words += ["--control-port", "0"]
    if words[:3] == ["openamr", "fleet", "serve"] and cwd is not None:
        _fleet_addresses(words, cwd)
    return words


def _fleet_addresses(words: list[str], cwd: Path) -> None:
    """Move a fleet off the README's fixed addresses, in place."""
    if "--port-range" in words:
        at = words.index("--port-range") + 1
        low, high = (int(p) for p in words[at].split("-"))
        first = free_port_range(high - low + 1)
        words[at] = f"{first}-{first + high - low}"
        return
    config = ""
    if "--config" in words:
        at = words.index("--config") + 1
        given = cwd / words[at]
        config = given.read_text() if given.exists() else ""
        del words[at - 1 : at + 1]
    drawn = cwd / "drawn-addresses.toml"
    drawn.write_text(f'{config}\n[addresses]\nfirst = "{loopback_block()}"\n')
    words += ["--config", str(drawn)]


def _ready_word(words: list[str]) -> str:
    """What a server prints once every listener is up."""
    return "control endpoint on" if words[1] == "fleet" else "listening"


def _watch(
    proc: subprocess.Popen[str], word: str, heard: list[str], ready: threading.Event
) -> None:
    """Collect the server's output; ``ready`` once it says ``word`` or it ends."""
    assert proc.stdout is not None
    for chunk in proc.stdout:
        heard.append(chunk)
        if word in chunk:
            break
    ready.set()


def _waves() -> list[list[Line]]:
    """Servers in waves: fleets on the default addresses one at a time (each on a
    block of its own, but a thousand twins are enough at once), everything else in
    the first."""
    waves: list[list[Line]] = [[]]
    fleets = 0
    for line in SERVERS:
        words = _free_ports(line.text)
        if words[1] == "fleet" and "--port-range" not in words:
            fleets += 1
            if fleets > 1:
                waves.append([line])
                continue
        waves[0].append(line)
    return waves


def _serve_wave(lines: list[Line], scratch: Path) -> list[str]:
    running = []
    try:
        for line in lines:
            cwd = scratch / f"server-{line.number}"
            shutil.copytree(scratch, cwd, ignore=shutil.ignore_patterns("server-*"))
            words = _free_ports(line.text, cwd)
            assert words[0] == "openamr", f"README.md:{line.number}: a [server] runs openamr"
            argv = [sys.executable, "-c", "from openamr.cli.main import main; main()", *words[1:]]
            proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)  # fmt: skip
            heard: list[str] = []
            ready = threading.Event()
            word = _ready_word(words)
            threading.Thread(target=_watch, args=(proc, word, heard, ready), daemon=True).start()
            running.append((line, proc, heard, ready, word))
        deadline = time.monotonic() + SERVER_BOUND_S
        for _, _, _, ready, _ in running:
            ready.wait(max(0.0, deadline - time.monotonic()))
        return [
            f"README.md:{line.number}: {line.text}\n  {''.join(heard)[-400:]}"
            for line, _, heard, _, word in running
            if word not in "".join(heard)
        ]
    finally:
        for _, proc, _, _, _ in running:
            proc.terminate()
        for _, proc, _, _, _ in running:
            proc.wait(10)


def test_every_server_says_it_is_ready_within_a_bound(scratch: Path) -> None:
    """All at once (but for fleets on the same addresses), each in a directory of its
    own, a copy of the scratch files (two fleets must not share one state file)."""
    failed = [f for wave in _waves() for f in _serve_wave(wave, scratch)]
    assert not failed, "\n".join(failed)
