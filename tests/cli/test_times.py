"""One rule for the times the command line takes and shows (issue 10, cli/times.py):
an offset is an instant, no offset is the meter's local time; shown with the
meter's offset."""

from __future__ import annotations

import datetime as dt
import json

import click
import pytest
from click.testing import CliRunner

import openamr.cli.meter_serve as meter_serve
from openamr.cli.main import cli
from openamr.cli.render import date_time_text
from openamr.cli.times import parse_time, twin_local
from openamr.codec.datetime import CosemDateTime
from tests.cli.conftest import LLS, Twin, invoke

CET, CEST = dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=2))


def test_an_offset_is_an_instant_and_none_is_the_meters_local_time() -> None:
    assert parse_time("2026-06-01T12:00+02:00", "--from") == dt.datetime(
        2026, 6, 1, 12, tzinfo=CEST
    )
    assert parse_time("2026-06-01T12:00", "--from") == dt.datetime(2026, 6, 1, 12)
    assert parse_time("2026-06-01", "--to") == dt.datetime(2026, 6, 1)
    with pytest.raises(click.BadParameter, match="meter's local time"):
        parse_time("June", "--from")


def test_a_twin_not_running_yet_places_local_times_in_cet_and_cest() -> None:
    assert twin_local(dt.datetime(2026, 1, 10, 12)) == dt.datetime(2026, 1, 10, 12, tzinfo=CET)
    assert twin_local(dt.datetime(2026, 6, 1, 12)) == dt.datetime(2026, 6, 1, 12, tzinfo=CEST)
    given = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
    assert twin_local(given) is given


def test_meter_serve_start_takes_what_from_takes(monkeypatch: pytest.MonkeyPatch) -> None:
    """`meter serve --start 2026-06-01T12:00` was refused, and a naive start was UTC."""
    starts: list[dt.datetime | None] = []

    async def serve(host, port, transport, twin, optical, control_port):  # type: ignore[no-untyped-def]
        starts.append(twin.start)

    monkeypatch.setattr(meter_serve, "_serve", serve)
    for text in ("2026-06-01T12:00", "2026-06-01T12:00:00+00:00"):
        result = CliRunner().invoke(cli, ["meter", "serve", "--port", "0", "--start", text])
        assert result.exit_code == 0, result.output
    assert starts == [dt.datetime(2026, 6, 1, 12, tzinfo=CEST),
                      dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)]  # fmt: skip
    refused = CliRunner().invoke(cli, ["meter", "serve", "--start", "noon"])
    assert refused.exit_code == 2 and "--start" in refused.output


def test_shown_date_times_are_iso_with_the_meters_offset() -> None:
    aware = CosemDateTime.from_datetime(dt.datetime(2026, 12, 3, 18, 38, 39, tzinfo=CET))
    assert date_time_text(aware) == "2026-12-03T18:38:39+01:00"
    naive = CosemDateTime.from_datetime(dt.datetime(2026, 12, 3, 18, 38, 39))
    assert date_time_text(naive) == "2026-12-03T18:38:39, the meter's local time"


def test_get_shows_the_clock_as_the_other_commands_do(twin: Twin) -> None:
    shown = invoke(["get", twin.url, "8", "0.0.1.0.0.255", "2"])
    assert shown.exit_code == 0, shown.output
    assert "(2026-01-01T01:00:00+01:00)" in shown.output  # was "2026-01-01 01:00:00 dev=-60"


def test_clock_set_without_an_offset_is_the_meters_local_time(fresh_twin: Twin) -> None:
    """It was this computer's zone; the system time is shown in the meter's offset."""
    result = invoke(["clock", fresh_twin.url, *LLS, "--set", "2026-07-01T12:00", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["meter_time"] == "2026-07-01T12:00:00+02:00"  # CEST, the meter's zone
    assert document["system_time"].endswith("+02:00")


def test_json_shows_date_times_in_iso_8601() -> None:
    from openamr.cli.render import to_jsonable

    aware = CosemDateTime.from_datetime(dt.datetime(2026, 12, 3, 18, 38, 39, tzinfo=CET))
    assert to_jsonable([aware]) == ["2026-12-03T18:38:39+01:00"]
