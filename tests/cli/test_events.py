"""``openamr events``: the twin's log-book with event names."""

from __future__ import annotations

import datetime as dt
import json

from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.cosem.classes.profile_generic import ProfileGeneric
from tests.cli.conftest import LLS, Twin, invoke

T0 = dt.datetime(2026, 1, 1, 0, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
#: (time, code): a power failure and its return (flags), a cover opening (a value)
EVENTS = [
    (T0, 0x0080),
    (T0 + dt.timedelta(minutes=5), 0x0040),
    (T0 + dt.timedelta(minutes=40), 0x8010),
]


def record(twin: Twin) -> int:
    """Add EVENTS to the twin's log-book; the number of entries it then holds."""
    log = twin.app.device.find(Obis.parse("1.0.99.98.0.255"))
    assert isinstance(log, ProfileGeneric)
    for when, code in EVENTS:
        log.append_row((CosemDateTime.from_datetime(when).to_bytes(), code))
    return len(log.rows)


def test_events_table_json_csv(fresh_twin: Twin) -> None:
    entries = record(fresh_twin)  # the twin's own events (a billing reset) and ours
    table = invoke(["events", fresh_twin.url, *LLS])
    assert table.exit_code == 0, table.output
    for text in ("power failure", "power returned", "meter cover opened", "0x8010"):
        assert text in table.output
    assert f"{entries} events" in table.output
    document = json.loads(invoke(["events", fresh_twin.url, *LLS, "--json"]).stdout)
    assert len(document) == entries
    assert document[-3:] == [
        {"time": when.isoformat(), "code": code, "name": name}
        for (when, code), name in zip(
            EVENTS, ["power failure", "power returned", "meter cover opened"], strict=True
        )
    ]
    rows = invoke(["events", fresh_twin.url, *LLS, "--csv", "--last", "1"]).stdout.splitlines()
    assert rows == ["time,code,event", f"{EVENTS[2][0].isoformat()},32784,meter cover opened"]


def test_events_not_visible_to_the_public_client(twin: Twin) -> None:
    result = invoke(["events", twin.url])
    assert result.exit_code == 1
    assert "openamr objects URL" in result.output


def test_the_twins_own_codes_have_names(fresh_twin: Twin) -> None:
    """Codes the twin logs from the manufacturer range (under voltage, alarm input, the
    contactor) print with their names, not as bare numbers (issue 9)."""
    log = fresh_twin.app.device.find(Obis.parse("1.0.99.98.0.255"))
    assert isinstance(log, ProfileGeneric)
    codes = (0x8020, 0x8034, 0x8040, 0x8042)
    for code in codes:
        log.append_row((CosemDateTime.from_datetime(T0).to_bytes(), code))
    document = json.loads(invoke(["events", fresh_twin.url, *LLS, "--json"]).stdout)
    assert [(e["code"], e["name"]) for e in document[-4:]] == [
        (0x8020, "under voltage begin L1"),
        (0x8034, "alarm input"),
        (0x8040, "contactor disconnected"),
        (0x8042, "contactor ready for reconnection"),
    ]


def test_events_from_to_selects_by_time(fresh_twin: Twin) -> None:
    record(fresh_twin)
    since, until = "2026-01-01T00:12+01:00", "2026-01-01T00:50+01:00"
    r = invoke(["events", fresh_twin.url, *LLS, "--from", since, "--to", until, "--json"])
    assert r.exit_code == 0, r.output
    codes = [e["code"] for e in json.loads(r.stdout)]
    assert codes == [0x0040, 0x8010]
    r = invoke(["events", fresh_twin.url, *LLS, "--from", "yesterday"])
    assert r.exit_code == 2 and "--from" in r.output and "ISO 8601" in r.output
