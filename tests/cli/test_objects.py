"""``openamr objects``: the association's object list with access rights."""

from __future__ import annotations

import csv
import io
import json

from openamr.meter.associations import PUBLIC_OBJECTS
from tests.cli.conftest import HLS, LLS, Twin, invoke


def test_public_objects_table(twin: Twin, link: str) -> None:
    result = invoke(["objects", twin.url_of(link)])
    assert result.exit_code == 0, result.output
    assert f"{len(PUBLIC_OBJECTS) - 1} objects" in result.output  # 0.0.40.0.0.255 is an alias
    assert "Register (3) v0" in result.output and "Clock (8) v0" in result.output
    assert "2 value r" in result.output


def test_reader_objects_json(twin: Twin) -> None:
    result = invoke(["objects", twin.url, *LLS, "--json"])
    assert result.exit_code == 0, result.output
    objects = {o["obis"]: o for o in json.loads(result.stdout)}
    assert len(objects) > 60
    clock = objects["0.0.1.0.0.255"]
    assert clock["class"] == "Clock" and clock["class_id"] == 8
    time = next(a for a in clock["attributes"] if a["index"] == 2)
    assert time == {"index": 2, "name": "time", "access": "read_and_write", "selectors": []}
    relay = objects["0.0.96.3.10.255"]
    assert {m["name"]: m["access"] for m in relay["methods"]}["remote_disconnect"] == "no_access"
    buffer = next(a for a in objects["1.0.99.1.0.255"]["attributes"] if a["index"] == 2)
    assert buffer["selectors"] == [1, 2]


def test_management_objects_csv(twin: Twin) -> None:
    result = invoke(["objects", twin.url, *HLS, "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    relay = next(r for r in rows if r["obis"] == "0.0.96.3.10.255")
    assert relay["class"] == "Disconnect control" and relay["class_id"] == "70"
    assert "1 remote_disconnect auth x" in relay["methods"]
