"""``openamr meter serve --control-port 0`` in a process: the endpoint it prints
answers, and a power failure posted to it reaches the log-book."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from typing import Any

LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for loopback


def fetch(url: str, body: dict[str, object] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with LOCAL.open(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_meter_serve_with_a_control_port() -> None:
    command = [sys.executable, "-m", "openamr.cli.main", "meter", "serve", "--port", "0",
               "--control-port", "0", "--start", "2026-01-05T12:00", "--speed", "600"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(2)]
            found = re.search(r"control endpoint \(JSON over HTTP\) on (http://127\.0\.0\.1:\d+/)",
                              lines[1])  # fmt: skip
            assert found is not None, lines
            base = found[1]
            state = fetch(base + "state")
            assert state["clock"]["true_time"].startswith("2026-01-05T")
            injected = fetch(base + "power-failure", {"duration_s": 60})["injected"]
            assert injected["kind"] == "power-failure"
            deadline = time.monotonic() + 10
            names: list[str] = []
            while "power returned" not in names and time.monotonic() < deadline:
                time.sleep(0.1)  # 600x: the minute of failure passes in 0.1 s
                names = [e["name"] for e in fetch(base + "events")["events"]]
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert names[-2:] == ["power failure", "power returned"]
