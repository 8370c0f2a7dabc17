"""``openamr clock``: show, --set and --sync against a twin of the test's own."""

from __future__ import annotations

import datetime as dt
import json

from tests.cli.conftest import LLS, Twin, invoke


def test_show_json(twin: Twin) -> None:
    result = invoke(["clock", twin.url, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["meter_time"] == "2026-01-01T01:00:00+01:00"  # the twin's stepped clock
    meter = dt.datetime.fromisoformat(document["meter_time"])
    system = dt.datetime.fromisoformat(document["system_time"])
    assert abs(document["difference_s"] - (meter - system).total_seconds()) < 1e-3
    assert abs(system - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=30)


def test_show_table(twin: Twin) -> None:
    result = invoke(["clock", twin.url])
    assert result.exit_code == 0, result.output
    assert "meter time" in result.output and "2026-01-01T01:00:00+01:00" in result.output
    assert "(meter - system)" in result.output


def test_set_then_read(fresh_twin: Twin) -> None:
    result = invoke(["clock", fresh_twin.url, *LLS, "--set", "2026-02-01T12:00+01:00", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["adjusted"] is True
    assert document["meter_time"] == "2026-02-01T12:00:00+01:00"
    again = json.loads(invoke(["clock", fresh_twin.url, "--json"]).stdout)
    assert again["meter_time"] == "2026-02-01T12:00:00+01:00"


def test_sync(fresh_twin: Twin) -> None:
    result = invoke(["clock", fresh_twin.url, *LLS, "--sync", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["adjusted"] is True and abs(document["difference_before_s"]) > 3600
    assert abs(document["difference_s"]) < 5
    second = json.loads(invoke(["clock", fresh_twin.url, *LLS, "--sync", "--json"]).stdout)
    assert second["adjusted"] is False  # now within the threshold


def test_public_client_may_not_set(twin: Twin) -> None:
    result = invoke(["clock", twin.url, "--set", "2026-02-01T12:00+01:00"])
    assert result.exit_code == 1
    assert "refused: read write denied" in result.output and "more rights" in result.output
    assert invoke(["clock", twin.url, "--set", "soon"]).exit_code == 2
    assert invoke(["clock", twin.url, "--set", "2026-02-01", "--sync"]).exit_code == 2
