"""``openamr profile`` against the twin's load profile: entries, ranges, columns,
scalers, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

from openamr.aio.dlms_server import serve_hdlc
from openamr.client.values import as_datetime
from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.mt372 import build_mt372
from tests.background import background_loop
from tests.cli.conftest import LLS, Twin, invoke

LOAD_PROFILE = "1.0.99.1.0.255"


def buffer(twin: Twin) -> list[tuple[object, ...]]:
    obj = twin.app.device.find(Obis.parse(LOAD_PROFILE))
    assert isinstance(obj, ProfileGeneric)
    return list(obj.rows)


def stamp(row: tuple[object, ...]) -> str:
    assert isinstance(row[0], bytes)
    when = as_datetime(row[0])
    assert when is not None
    return when.isoformat()


def test_entries_table(twin: Twin, link: str) -> None:
    result = invoke(["profile", twin.url_of(link), LOAD_PROFILE, *LLS, "--entries", "1:3"])
    assert result.exit_code == 0, result.output
    rows = buffer(twin)[:3]
    assert f"{LOAD_PROFILE}: 3 entries" in result.output
    assert "1.0.1.8.0.255 [Wh]" in result.output
    for row in rows:
        assert stamp(row) in result.output and str(row[2]) in result.output
    assert stamp(buffer(twin)[3]) not in result.output


def test_range_csv_with_columns(twin: Twin) -> None:
    rows = buffer(twin)[10:15]
    start, end = stamp(rows[0]), stamp(rows[-1])
    args = ["profile", twin.url, LOAD_PROFILE, *LLS, "--from", start, "--to", end,
            "--columns", "0,1.0.1.8.0.255", "--csv"]  # fmt: skip
    result = invoke(args)
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(result.stdout)))
    assert table[0] == ["0.0.1.0.0.255", "1.0.1.8.0.255 [Wh]"]
    assert table[1:] == [[stamp(r), str(r[2])] for r in rows]


def test_whole_buffer_json(twin: Twin) -> None:
    result = invoke(["profile", twin.url, LOAD_PROFILE, *LLS, "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["obis"] == LOAD_PROFILE
    assert [c["obis"] for c in document["columns"]] == [
        "0.0.1.0.0.255", "1.0.96.240.0.255", "1.0.1.8.0.255", "1.0.2.8.0.255",
    ]  # fmt: skip
    assert document["columns"][2]["unit"] == "Wh" and document["columns"][2]["scaler"] == 0
    rows = buffer(twin)
    assert len(document["rows"]) == len(rows) > 100  # two days of quarter hours
    assert document["rows"][-1] == [stamp(rows[-1]), *rows[-1][1:]]


def test_newest_entries_raw(twin: Twin) -> None:
    total = len(buffer(twin))
    result = invoke(["profile", twin.url, LOAD_PROFILE, *LLS, "--entries", f"{total - 1}:",
                     "--raw", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["rows"]) == 2
    assert all(c["unit"] is None for c in document["columns"])


def test_usage_errors(twin: Twin) -> None:
    both = invoke(["profile", twin.url, LOAD_PROFILE, "--from", "2026-01-01", "--entries", "1:2"])
    assert both.exit_code == 2 and "not both" in both.output
    bad = invoke(["profile", twin.url, LOAD_PROFILE, "--entries", "3:1"])
    assert bad.exit_code == 2 and "A:B" in bad.output
    when = invoke(["profile", twin.url, LOAD_PROFILE, "--from", "yesterday"])
    assert when.exit_code == 2 and "ISO 8601" in when.output


def test_column_not_captured(twin: Twin) -> None:
    result = invoke(["profile", twin.url, LOAD_PROFILE, *LLS, "--columns", "1.0.32.7.0.255"])
    assert result.exit_code == 1
    assert "is not a capture object of this profile" in result.output


def test_a_30_day_profile_over_hdlc_as_the_issue_ran_it() -> None:
    """Issue 10: `openamr profile hdlc+tcp://HOST:PORT 1.0.99.1.0.255 --password
    12345678 --csv` on a twin with 30 days of history gave "no answer within 10 s"."""
    app = build_mt372("12345678", history_days=30).app
    with background_loop() as bg:
        port = bg.serve(lambda: serve_hdlc(app, "127.0.0.1", 0))
        url = f"hdlc+tcp://127.0.0.1:{port}"
        result = invoke(["profile", url, "1.0.99.1.0.255", *LLS, "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 1 + 2880  # the header and 30 days of quarter hours


def test_a_range_outside_the_buffer_says_what_the_meter_holds(twin: Twin) -> None:
    """Issue 10: a range outside the buffer gave only a header and exit 0; now the
    message says how many entries the meter holds and the span they cover."""
    rows = buffer(twin)
    held = f"the meter holds {len(rows):,} entries (--entries 1:{len(rows)})"
    span = f"from {stamp(rows[0])} to {stamp(rows[-1])}"
    for asked in (["--from", "2020-01-01T00:00", "--to", "2020-01-02T00:00"],
                  ["--entries", f"{len(rows) + 5}:"]):  # fmt: skip
        result = invoke(["profile", twin.url, LOAD_PROFILE, *LLS, *asked, "--csv"])
        assert result.exit_code == 1, result.output
        assert held in result.stderr and span in result.stderr, result.stderr
        assert "choose a range inside it" in result.stderr
        assert result.stdout.splitlines()[0].startswith("0.0.1.0.0.255")  # the header still
