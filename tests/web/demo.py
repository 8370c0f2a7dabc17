"""``openamr demo`` in a process of its own, on free ports and a drawn loopback range,
as tests/web/test_browser.py and tests/web/screenshots.py both start it."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading

CLI = [sys.executable, "-c", "from openamr.cli.main import main; main()"]
READY = "Ctrl-C stops everything"
PAGES = re.compile(r"(head-end page|fleet page)\s+(http://127\.0\.0\.1:\d+/\S*)")


class DemoProcess:
    """The demo's process and everything it printed; ``urls()`` waits until it is ready."""

    def __init__(self, home: str, meters: int, *extra: str) -> None:
        first = f"127.{random.randrange(10, 250)}.{random.randrange(0, 250)}.1"
        self.proc = subprocess.Popen(
            [*CLI, "demo", "--dir", home, "--meters", str(meters), "--api-port", "0",
             "--fleet-port", "0", "--listen-port", "0", "--first-address", first,
             "--every", "0", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        self.heard: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.heard.append(line)
            if READY in line:
                self._ready.set()
        self._ready.set()

    @property
    def output(self) -> str:
        return "".join(self.heard)

    def urls(self, timeout: float = 60) -> dict[str, str]:
        """The two pages' addresses once the demo says it is ready."""
        assert self._ready.wait(timeout) and self.proc.poll() is None, self.output
        found = dict(PAGES.findall(self.output))
        return {"headend": found["head-end page"], "fleet": found["fleet page"]}

    def stop(self) -> str:
        """Ctrl-C, as a user stops it; what it printed in all."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        return self.output
