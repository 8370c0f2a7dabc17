"""``openamr headend`` against a real ``openamr meter serve`` in another process:
import its commissioning file, collect, read back, export, collect again."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from openamr.cli.main import cli
from openamr.client.meter import connect
from openamr.headend.exports.csv import COLUMNS
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.security.keys import KeySet
from tests.headend.commissioning_files import entry, write_csv

KEK = bytes(range(16))
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``openamr meter serve`` on a free loopback port; yields its URL."""
    proc = subprocess.Popen(
        [str(BIN / "openamr"), "meter", "serve", "--port", "0", "--history-days", "1",
         "--serial-number", "10000001"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert found, f"meter serve said {line!r} {proc.stderr.read() if proc.stderr else ''}"
        yield f"tcp://127.0.0.1:{found.group(1)}"
    finally:
        proc.terminate()
        proc.wait(10)


def run(tmp: Path, *args: str) -> Result:
    env = {"OPENAMR_KEK": KEK.hex(), "OPENAMR_DB": f"sqlite:///{tmp / 'he.db'}"}
    return CliRunner().invoke(cli, ["headend", *args], env=env, catch_exceptions=False)


async def profile_of(url: str) -> list[tuple[object, ...]]:
    keys = KeySet(DEFAULT_EK, DEFAULT_AK)
    async with connect(url, 1, "high", keys=keys, environ={}, timeout=5) as meter:
        return (await meter.profile("1.0.99.1.0.255")).rows


def test_import_collect_read_export(served: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fleet.csv", KEK, [entry(KEK, "10000001", served, DEFAULT_EK, DEFAULT_AK)]
    )
    result = run(tmp_path, "meters", "import", str(path))
    assert result.exit_code == 0 and "1 meters (1 added, 0 updated)" in result.output
    result = run(tmp_path, "collect", "--json")
    assert result.exit_code == 0, result.output
    (done,) = json.loads(result.output)
    assert done["outcome"] == "ok" and done["readings"] > 12 and done["correlation_id"]

    result = run(tmp_path, "readings", "--channel", "1.0.99.1.0.255/1.0.1.8.0.255:2",
                 "--limit", "1000", "--json")  # fmt: skip
    stored = json.loads(result.output)
    held = asyncio.run(profile_of(served))
    assert [r["value"] for r in stored] == [float(row[2]) for row in held[-len(stored) :]]
    assert len(stored) >= 96 and {r["unit"] for r in stored} == {"Wh"}

    table = run(tmp_path, "readings", "--meter", "10000001", "--channel", "1.0.1.8.0.255:2")
    assert "Wh" in table.output and "10000001" in table.output

    export = run(tmp_path, "export", "--csv")
    rows = list(csv.DictReader(io.StringIO(export.output)))
    assert len(rows) == done["readings"]
    assert tuple(rows[0]) == COLUMNS

    again = json.loads(run(tmp_path, "collect", "--json").output)[0]
    assert again["outcome"] == "ok"
    export = run(tmp_path, "export", "--csv")
    keys = [(r["channel"], r["time"]) for r in csv.DictReader(io.StringIO(export.output))]
    assert len(keys) == len(set(keys)) == done["readings"] + again["readings"]
    # new profile rows only where the twin closed an interval since (its clock is the wall's)
    assert again["readings"] <= 12 + 2 * 2


def test_vee_and_the_exports(served: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "fleet.csv", KEK, [entry(KEK, "10000001", served, DEFAULT_EK, DEFAULT_AK)]
    )
    assert run(tmp_path, "meters", "import", str(path)).exit_code == 0
    assert run(tmp_path, "collect").exit_code == 0  # with VEE after it (--vee by default)
    result = run(tmp_path, "vee", "--from", "2000-01-01", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["meters"] == 1 and report["intervals"] >= 2 * 96
    table = run(tmp_path, "vee", "--meter", "10000001", "--from", "2000-01-01", "--zero-run", "8")
    assert "VEE of 1 meters" in table.output and "intervals" in table.output
    for fmt, first in (("csv", "meter,channel"), ("cim", "<?xml"), ("mscons", "UNA:+.? '")):
        out = tmp_path / f"export.{fmt}"
        result = run(tmp_path, "export", "--format", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_text().startswith(first) and "readings to" in result.output
    bad = run(tmp_path, "vee", "--from", "2026-01-02", "--to", "2026-01-01")
    assert bad.exit_code == 2 and "--to is before --from" in bad.output
    bad = run(tmp_path, "vee", "--from", "2026-01-01", "--spike-factor", "1")
    assert bad.exit_code == 2 and "spike-factor" in bad.output
    bad = run(tmp_path, "export", "--meter", "nope", "--format", "cim")
    assert bad.exit_code == 1 and "no meter nope" in bad.output
    bad = run(tmp_path, "export")
    assert bad.exit_code == 2 and "--format csv, cim or mscons" in bad.output
    bad = run(tmp_path, "collect", "--mqtt", "http://x")
    assert bad.exit_code == 2 and "mqtt://HOST" in bad.output
    assert "Traceback" not in bad.output


def test_user_mistakes_are_messages(tmp_path: Path) -> None:
    other = write_csv(
        tmp_path / "f.csv",
        bytes(16),
        [entry(bytes(16), "1", "tcp://127.0.0.1:9", DEFAULT_EK, DEFAULT_AK)],
    )
    result = run(tmp_path, "meters", "import", str(other))
    assert result.exit_code == 1 and "but the KEK given is" in result.output
    result = run(tmp_path, "meters", "decommission", "42")
    assert result.exit_code == 1 and "no meter 42" in result.output
    result = run(tmp_path, "collect")
    assert result.exit_code == 1 and "no meters to collect" in result.output
    assert "Traceback" not in result.output


def test_version_does_not_load_the_database_layer() -> None:
    code = (
        "import sys, openamr.cli.main; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'asyncpg'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})  # fmt: skip
    assert out.stdout.strip() == "[]"
