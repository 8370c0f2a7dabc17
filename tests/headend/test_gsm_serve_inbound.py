"""``openamr headend serve --inbound`` end to end (issue 16), every part its own process:
``openamr fleet serve`` with three wake-up meters whose Auto connect holds the head-end's
listener (``[network] call_back``) and the head-end's modem on the fleet's network
(``--modem``); the head-end imports the fleet's commissioning file without the third
meter and serves with ``--modem`` and ``--inbound`` but no ``--lookup``, so that the
meters' own connections are the only way in.

A collection asked through the API (``POST /meters/{serial}/jobs`` kind ``collect``)
sends the wake-up SMS; the meter attaches, connects to ``--inbound``, is identified
(serial and logical device name, as the public client) and collected over its own
connection; the readings are stored (``GET /meters/{serial}/readings``). The third
meter, woken by an SMS from another modem line, calls in too and is refused: it is not
in the inventory."""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.addresses import free_port, free_port_range

BIN = Path(sys.executable).parent / "openamr"
SERIALS = ("40000001", "40000002", "40000003")
STRANGER = SERIALS[2]


class Process:
    """A command in its own process, its output read line by line as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [str(BIN), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        end = time.monotonic() + timeout
        for line in self.seen:
            if found := re.search(pattern, line):
                return found
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"never said {pattern!r}; said:\n{''.join(self.seen)}")

    def stop(self) -> str:
        self.proc.send_signal(2)  # Ctrl-C
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str], Process]]:
    """(the API's URL, the fleet's modem HOST:PORT, serial -> MSISDN, the head-end)."""
    inbound, modem, control = free_port(), free_port(), free_port()
    low = free_port_range(len(SERIALS))
    (tmp_path / "fleet.toml").write_text(
        f'[fleet]\nmeters = {len(SERIALS)}\nserial_start = {SERIALS[0]}\nhistory_days = 0.5\n'
        f'[addresses]\nhost = "127.0.0.1"\nport_range = [{low}, {low + len(SERIALS) - 1}]\n'
        f'[network]\nwakeup = 1.0\ncall_back = "127.0.0.1:{inbound}"\n'
    )  # fmt: skip
    kek = tmp_path / "kek.hex"
    kek.write_text(bytes(range(32)).hex())
    subprocess.run(
        [str(BIN), "fleet", "export", "--config", str(tmp_path / "fleet.toml"), "--kek-file",
         str(kek), "-o", str(tmp_path / "fleet.json")], check=True, capture_output=True,
    )  # fmt: skip
    exported = json.loads((tmp_path / "fleet.json").read_text())
    msisdn = {m["serial"]: m["msisdn"] for m in exported["meters"]}
    exported["meters"] = [m for m in exported["meters"] if m["serial"] != STRANGER]
    (tmp_path / "inventory.json").write_text(json.dumps(exported))
    headend = ["headend", "--db", f"sqlite:///{tmp_path / 'h.db'}", "--kek-file", str(kek)]
    subprocess.run([str(BIN), *headend, "meters", "import", str(tmp_path / "inventory.json")],
                   check=True, capture_output=True)  # fmt: skip
    fleet = Process(
        "fleet", "serve", "--config", str(tmp_path / "fleet.toml"), "--state",
        str(tmp_path / "fleet.state"), "--control-port", str(control), "--modem",
        f"127.0.0.1:{modem}", "--no-faults",
    )  # fmt: skip
    server: Process | None = None
    try:
        fleet.wait_for(r"modem \(AT\) listening on TCP")
        server = Process(
            *headend, "serve", "--api", "127.0.0.1:0", "--listen", "off", "--modem",
            f"127.0.0.1:{modem}", "--inbound", f"127.0.0.1:{inbound}",
        )  # fmt: skip
        api = server.wait_for(r"API on (http://127\.0\.0\.1:\d+)/docs").group(1)
        yield api, f"127.0.0.1:{modem}", msisdn, server
    finally:
        said = "" if server is None else server.stop()
        fleet.stop()
        assert "Traceback" not in said, said


def collect(client: httpx.Client, serial: str) -> str:
    r = client.post(f"/meters/{serial}/jobs", json={"kind": "collect"})
    assert r.status_code == 202, r.text
    return str(r.headers["location"])


def done(client: httpx.Client, location: str, timeout: float = 120.0) -> dict[str, object]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job: dict[str, object] = client.get(location).json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"{location} still {job}")


def sms(modem: str, to: str) -> None:
    """Send an SMS (text mode) through a line of the fleet's modem pool."""
    host, _, port = modem.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=10) as line:
        got = b""
        for command, until in ((b"ATE0\r", b"OK\r\n"), (b"AT+CMGF=1\r", b"OK\r\n"),
                               (f'AT+CMGS="{to}"\r'.encode(), b"> "),
                               (b"wake up\x1a", b"OK\r\n")):  # fmt: skip
            line.sendall(command)
            got = b""
            while not got.endswith(until):
                chunk = line.recv(256)
                assert chunk, got
                got += chunk
        assert b"+CMGS:" in got


def test_serve_collects_the_meters_over_their_own_calls_and_refuses_a_stranger(
    running: tuple[str, str, dict[str, str], Process],
) -> None:
    api, modem, msisdn, server = running
    with httpx.Client(base_url=api, timeout=10) as client:
        jobs = {serial: collect(client, serial) for serial in SERIALS[:2]}
        for serial, location in jobs.items():
            job = done(client, location)
            assert job["state"] == "done", job
            result = job["result"]
            assert isinstance(result, dict) and result["readings"] > 0, job
            stored = client.get(f"/meters/{serial}/readings").json()
            assert len(stored) >= result["readings"], (serial, len(stored), result)
            assert any(r["channel"].startswith("1.0.1.8.0") for r in stored), stored[:3]
        # the meter not in the inventory is woken all the same, and calls in
        sms(modem, msisdn[STRANGER])
        server.wait_for(rf"serial {STRANGER}: refused, not in the inventory")
        assert client.get(f"/meters/{STRANGER}").status_code == 404
