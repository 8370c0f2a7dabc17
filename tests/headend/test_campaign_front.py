"""Campaigns through the API (POST /campaigns, GET /campaigns/{id}: the shape the
web page uses) and the CLI (start, status, list, with --json), on one database."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.headend.api import create_app
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.store import Store
from openamr.meter.mt372 import EPOCH
from tests.headend.conftest import KEK
from tests.headend.test_api import at_epoch

START = int(EPOCH.timestamp())


async def test_the_api_starts_a_campaign_and_counts_its_meters(sqlite_store: Store) -> None:
    for serial, group in (("1", "north"), ("2", "north"), ("3", "south")):
        await sqlite_store.put_meter(
            MeterRecord(serial, "tcp://127.0.0.1:1", auth="none", group=group), None, 0
        )
    app = create_app(sqlite_store, KEK, OnDemand(sqlite_store, KEK, at_epoch), at_epoch)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://headend"
    ) as client:
        body = {
            "image": base64.b64encode(b"\x01" * 500).decode(),
            "identifier": "FW-2",
            "group": "north",
            "window": {"start": START, "end": START + 3600},
            "activate_at": START + 7200,
        }
        r = await client.post("/campaigns", json=body)
        assert r.status_code == 202, r.text
        cid = r.json()["id"]
        assert r.headers["location"] == f"/campaigns/{cid}"
        got = (await client.get(f"/campaigns/{cid}")).json()
        assert got["counts"] == {
            "pending": 2,
            "transferring": 0,
            "verified": 0,
            "activated": 0,
            "failed": 0,
        }
        assert got["size"] == 500 and got["activate_at"] == START + 7200
        assert [t["serial"] for t in got["targets"]] == ["1", "2"]
        assert [c["id"] for c in (await client.get("/campaigns")).json()] == [cid]
        bad = await client.post("/campaigns", json=body | {"window": {"start": 5, "end": 1}})
        assert bad.status_code == 422 and "window" in bad.json()["error"]
        assert "hint" in bad.json()
        bad = await client.post("/campaigns", json=body | {"image": "***"})
        assert bad.status_code == 422 and bad.json()["error"] == "image: not base64"
        missing = await client.get("/campaigns/nope")
        assert missing.status_code == 404 and "GET /campaigns" in missing.json()["hint"]


def test_the_cli_starts_and_shows_a_campaign(tmp_path: Path) -> None:
    env = {"OPENAMR_DB": f"sqlite:///{tmp_path / 'he.db'}"}

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["headend", *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("meters", "add", "7", "--url", "tcp://127.0.0.1:1", "--auth", "none", "--group", "g")
    image = tmp_path / "fw-3.bin"
    image.write_bytes(b"\x02" * 1000)
    out = run(
        "campaign",
        "start",
        str(image),
        "--group",
        "g",
        "--start",
        "2026-03-02T01:00",
        "--hours",
        "2",
        "--activate-at",
        "2026-03-02T04:00",
    )
    assert "fw-3.bin (1,000 bytes) to 1 meters of group g" in out
    assert "window 2026-03-02 01:00 UTC to 2026-03-02 03:00 UTC" in out
    listed = json.loads(run("campaign", "list", "--json"))
    cid = listed[0]["id"]
    assert listed[0]["counts"]["pending"] == 1
    text = run("campaign", "status", cid)
    assert "1 pending" in text and "2026-03-02 04:00 UTC" in text and "0/0" in text
    status = json.loads(run("campaign", "status", cid, "--json"))
    assert status["targets"][0]["serial"] == "7"
    result = CliRunner().invoke(
        cli, ["headend", "campaign", "start", str(image), "--group", "none"], env=env
    )
    assert result.exit_code == 1 and "has no active meter" in result.output
    result = CliRunner().invoke(cli, ["headend", "campaign", "status", "x"], env=env)
    assert result.exit_code == 1 and "campaign list" in result.output
