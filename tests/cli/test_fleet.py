"""``openamr fleet export | serve | status``: the commissioning file written 0600,
a fleet process that answers its control endpoint, keeps its meters in its state
file through kill -9, and errors that say what to do."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from openamr.cli.main import cli
from tests.addresses import loopback_block

LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
KEK = "000102030405060708090a0b0c0d0e0f"
CONFIG = f"""
[fleet]
meters = 20
start = 2026-03-02T00:00:00Z
speed = 60.0
history_days = 0.5
[addresses]
first = "{loopback_block()}"
[network]
meters_per_group = 5
"""


def fetch(url: str, body: dict[str, object] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with LOCAL.open(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_export_writes_the_commissioning_file(tmp_path: Path) -> None:
    kek_file, out = tmp_path / "kek.hex", tmp_path / "fleet.csv"
    kek_file.write_text(KEK + "\n")
    args = [
        "fleet",
        "export",
        "--meters",
        "5",
        "--kek-file",
        str(kek_file),
        "--csv",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    lines = out.read_text().splitlines()
    assert lines[0].startswith("# openamr-commissioning/1 kek_id=") and len(lines) == 7


def test_export_json_from_the_environment() -> None:
    result = CliRunner().invoke(cli, ["fleet", "export", "--meters", "2"], env={"OPENAMR_KEK": KEK})
    assert result.exit_code == 0
    assert [m["serial"] for m in json.loads(result.output)["meters"]] == ["10000001", "10000002"]


def test_export_errors_say_what_to_do(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["fleet", "export", "--meters", "2"], env={"OPENAMR_KEK": None})
    assert missing.exit_code == 1 and "--kek-file F or $OPENAMR_KEK" in missing.output
    short = runner.invoke(cli, ["fleet", "export"], env={"OPENAMR_KEK": "abcd"})
    assert "16 or 32 bytes" in short.output and "Traceback" not in short.output
    bad = tmp_path / "fleet.toml"
    bad.write_text("[fleet]\nmeters = -1\n")
    wrong = runner.invoke(cli, ["fleet", "export", "--config", str(bad)], env={"OPENAMR_KEK": KEK})
    assert wrong.exit_code == 1 and "meters: a whole number from 1" in wrong.output


def _serve(config: Path, state: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "openamr.cli.main", "fleet", "serve", "--config", str(config),
               "--state", str(state), "--control-port", "0", "--no-faults",
               "--save-every", "0.5"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(2)]
    found = re.search(r"control endpoint on (http://127\.0\.0\.1:\d+/)", lines[1])
    assert found is not None, lines
    return process, found[1]


def test_serve_status_and_kill_9(tmp_path: Path) -> None:
    config, state = tmp_path / "fleet.toml", tmp_path / "fleet.state"
    config.write_text(CONFIG)
    process, base = _serve(config, state)
    try:
        meter = fetch(base + "meters/10000003")
        assert meter["clock"]["true_time"].startswith("2026-03-02T")
        injected = fetch(base + "inject/power-failure", {"group": "feeder-01", "duration_s": 60})
        assert injected["meters"] == 5
        port = base.rsplit(":", 1)[1].strip("/")
        status = subprocess.run(
            [sys.executable, "-m", "openamr.cli.main", "fleet", "status", "--control-port", port],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert re.search(r"meters\s+20", status.stdout) and "awake" in status.stdout
        counts = fetch(base + "status")
        assert counts["awake"] == 5 and counts["meters"] == 20
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # the injected failure over (speed 60)
            got = fetch(base + "meters/10000001/events")["events"]
            if "power returned" in [e["name"] for e in got]:
                break
            time.sleep(0.2)
        time.sleep(1.5)  # the fleet saves its awake meters every 0.5 s here
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    process, base = _serve(config, state)
    try:
        counts = fetch(base + "status")
        assert counts["hibernated"] == 5 and counts["awake"] == 0
        time.sleep(1.5)  # speed 60: the power comes back a minute after the restart
        got = fetch(base + "meters/10000001/events")["events"]
        names = [e["name"] for e in got]
        assert names.count("power failure") == 2, got  # the injected one, the kill
        names = [e["name"] for e in fetch(base + "meters/10000010/events")["events"]]
        assert names.count("power failure") == 1 and "power returned" in names, names
    finally:
        process.terminate()
        process.wait()
