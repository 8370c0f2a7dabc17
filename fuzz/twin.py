"""The twin under attack: ``openamr meter serve`` in its own process, exactly as a
user runs it, on 127.0.0.1 only. Its stderr is kept: a traceback there, or the
process gone, is a crash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LISTENING = re.compile(r"listening on 127\.0\.0\.1:(\d+) \((wrapper|hdlc)\)")
#: What a crash leaves in the log: an uncaught exception anywhere in the process.
CRASH_MARKS = ("Traceback", "Exception in callback", "Fatal error", "exception was never")


@dataclass
class ServedTwin:
    """One ``meter serve`` process and the port it listens on."""

    transport: str
    process: subprocess.Popen[str]
    port: int
    stderr: Path
    state_dir: tempfile.TemporaryDirectory[str] = field(repr=False)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def crash_lines(self) -> list[str]:
        text = self.stderr.read_text(errors="replace")
        return [line for line in text.splitlines() if any(m in line for m in CRASH_MARKS)]

    def log_size(self) -> int:
        return self.stderr.stat().st_size

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.state_dir.cleanup()


def start(transport: str, serial: str = "12345678") -> ServedTwin:
    """Start a twin serving ``transport`` (wrapper or hdlc) on a free loopback port."""
    state_dir = tempfile.TemporaryDirectory(prefix="openamr-fuzz-")
    stderr = Path(state_dir.name) / "stderr.log"
    env = {**os.environ, "XDG_STATE_HOME": state_dir.name}  # its counters, not the user's
    command = [sys.executable, "-m", "openamr.cli.main", "meter", "serve", "--host",
               "127.0.0.1", "--port", "0", "--transport", transport,
               "--serial-number", serial]  # fmt: skip
    with stderr.open("w") as err:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    assert process.stdout is not None
    for _ in range(5):
        line = process.stdout.readline()
        found = LISTENING.search(line)
        if found:
            return ServedTwin(transport, process, int(found[1]), stderr, state_dir)
    process.kill()
    raise RuntimeError(f"meter serve did not start: {stderr.read_text()}")
