"""``openamr get``, ``set`` and ``action`` on any attribute or method, against a
live twin; the typed JSON form of values both ways."""

from __future__ import annotations

import json

import pytest

from openamr.cli.values import from_typed, parse_value, to_typed
from openamr.codec import decode, encode
from openamr.codec.types import DoubleLong, OctetString, Structure, Unsigned
from tests.cli.conftest import HLS, LLS, Twin, invoke

PUSH = ["40", "0.0.25.9.0.255", "3"]
DESTINATION = {
    "structure": [{"enum": 0}, {"octet-string": "3132372e302e302e313a34303539"}, {"enum": 0}]
}


def test_typed_json_round_trips_every_kind_of_value() -> None:
    value = Structure((OctetString(b"\x0a\x0b"), Unsigned(5), DoubleLong(-1), True, None))
    typed = to_typed(value)
    assert typed["structure"][0] == {"octet-string": "0a0b"}
    assert encode(from_typed(json.loads(json.dumps(typed)))) == encode(value)
    assert parse_value("hex:1105") == Unsigned(5)
    assert parse_value('{"structure": [{"octet-string": "0a0b"}, {"unsigned": 5}]}') == (
        b"\x0a\x0b",
        5,
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"unsigned": 256}', "0..255"),
        ('{"unsigned": "5"}', "whole number"),
        ('{"structur": []}', "unknown type"),
        ("{unsigned: 5}", "not JSON"),
        ('{"octet-string": "zz"}', "not hex"),
        ("hex:09", "cannot decode"),
    ],
)
def test_a_wrong_value_is_a_usage_error_naming_what_is_wrong(
    twin: Twin, text: str, says: str
) -> None:
    r = invoke(["set", twin.url, *PUSH, text, *HLS])
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output


def test_get_prints_a_register_value_as_decode_does(twin: Twin) -> None:
    r = invoke(["get", twin.url, "3", "1.0.1.8.0.255", "3", *LLS, "--json"])
    assert r.exit_code == 0, r.output
    scaler_unit = json.loads(r.output)
    assert list(scaler_unit) == ["structure"] and scaler_unit["structure"][1] == {"enum": 30}


def test_set_writes_the_push_destination_and_get_reads_it_back(fresh_twin: Twin) -> None:
    r = invoke(["set", fresh_twin.url, *PUSH, json.dumps(DESTINATION), *HLS])
    assert r.exit_code == 0 and "success" in r.output, r.output
    r = invoke(["get", fresh_twin.url, *PUSH, *HLS, "--json"])
    assert json.loads(r.output) == DESTINATION
    r = invoke(["get", fresh_twin.url, *PUSH, *HLS])
    assert "octet-string: 31 32 37 2e" in r.output


def test_action_disconnects_the_relay(fresh_twin: Twin) -> None:
    relay = ["70", "0.0.96.3.10.255"]
    r = invoke(["action", fresh_twin.url, *relay, "1", *HLS])
    assert r.exit_code == 0 and "success" in r.output, r.output
    r = invoke(["get", fresh_twin.url, *relay, "2", *HLS, "--json"])
    assert json.loads(r.output) == {"boolean": False}


def test_a_refusal_says_what_the_meter_answered(twin: Twin) -> None:
    r = invoke(["action", twin.url, "8", "0.0.1.0.0.255", "1", '{"long": 0}', *HLS])
    assert r.exit_code == 1 and "type unmatched" in r.output and "Traceback" not in r.output


def test_decode_json_is_the_form_set_takes() -> None:
    raw = encode(from_typed(DESTINATION))
    r = invoke(["decode", "--json", raw.hex()])
    assert r.exit_code == 0 and json.loads(r.output) == DESTINATION
    assert decode(raw) == from_typed(json.loads(r.output))
