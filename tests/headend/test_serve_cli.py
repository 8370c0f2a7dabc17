"""``openamr headend serve`` in its own process with ``openamr meter serve`` in another:
the API answers on its socket, an on-demand read goes to the twin and comes back by
correlation id, Ctrl-C stops it without a traceback; ``--version`` loads no FastAPI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from tests.headend.test_cli import BIN, KEK, served  # noqa: F401 - the twin fixture


def test_version_loads_no_web_framework() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from openamr.cli.main import cli; "
        "CliRunner().invoke(cli, ['--version']); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'uvicorn'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_serve_answers_an_on_demand_read_of_a_twin_in_another_process(
    served: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = {**os.environ, "OPENAMR_KEK": KEK.hex(), "OPENAMR_DB": f"sqlite:///{tmp_path / 'h.db'}"}
    proc = subprocess.Popen(
        [str(BIN / "openamr"), "headend", "serve", "--listen", "127.0.0.1:0",
         "--api", "127.0.0.1:0"],
        stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    assert proc.stderr is not None
    try:
        lines = [proc.stderr.readline() for _ in range(3)]
        api = next(re.search(r"API on (http://127\.0\.0\.1:\d+)/docs", x) for x in lines
                   if "API on" in x)  # fmt: skip
        assert api is not None, lines
        assert any(re.search(r"alarm listener on 127\.0\.0\.1:\d+", x) for x in lines), lines
        with httpx.Client(base_url=api.group(1), timeout=10) as client:
            meter = {"serial": "10000001", "url": served, "ek": DEFAULT_EK.hex(),
                     "ak": DEFAULT_AK.hex()}  # fmt: skip
            assert client.post("/meters", json=meter).status_code == 201
            r = client.post("/meters/10000001/jobs",
                            json={"kind": "read", "params": {"obis": "0.0.1.0.0.255"}})  # fmt: skip
            assert r.status_code == 202
            for _ in range(200):
                job = client.get(r.headers["location"]).json()
                if job["state"] in ("done", "failed"):
                    break
                time.sleep(0.05)
            assert job["state"] == "done", job
            assert job["result"]["value"].startswith("20")  # the twin's clock, ISO 8601
            assert client.get("/meters/10000002").status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert "Traceback" not in err, err
