"""``openamr read`` against the twin: values, scalers, units; errors with advice."""

from __future__ import annotations

import json

from openamr.codec.obis import Obis
from openamr.cosem.classes.register import Register
from tests.cli.conftest import LLS, Twin, invoke

ENERGY = "1.0.1.8.0.255"
VOLTAGE_L1 = "1.0.32.7.0.255"  # scaler -1, V


def register_raw(twin: Twin, obis: str) -> int:
    obj = twin.app.device.find(Obis.parse(obis))
    assert isinstance(obj, Register)
    value = obj.get(2)
    assert isinstance(value, int)
    return int(value)


def test_read_table_public_client(twin: Twin, link: str) -> None:
    result = invoke(["read", twin.url_of(link), ENERGY, "0.0.1.0.0.255", "0.0.96.1.0.255"])
    assert result.exit_code == 0, result.output
    assert f"{register_raw(twin, ENERGY)}" in result.output
    assert "Wh" in result.output
    assert "2026-01-01T01:00:00+01:00" in result.output  # the twin's stepped clock
    assert "12345678" in result.output  # the serial number, as text


def test_read_json_scaled(twin: Twin) -> None:
    result = invoke(["read", twin.url, *LLS, VOLTAGE_L1, ENERGY, f"{ENERGY}:3", "--json"])
    assert result.exit_code == 0, result.output
    voltage, energy, scaler = json.loads(result.output)
    assert voltage["unit"] == "V" and voltage["scaler"] == -1
    assert voltage["value"] == voltage["raw"] / 10 == register_raw(twin, VOLTAGE_L1) / 10
    assert energy == {
        "obis": ENERGY, "attribute": 2, "name": "value", "class_id": 3,
        "value": register_raw(twin, ENERGY), "unit": "Wh", "scaler": 0,
        "raw": register_raw(twin, ENERGY),
    }  # fmt: skip
    assert scaler["name"] == "scaler_unit" and scaler["value"] == [0, 30]


def test_read_csv(twin: Twin) -> None:
    result = invoke(["read", twin.url, *LLS, VOLTAGE_L1, ENERGY, "--csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "obis,attribute,name,value,unit"
    raw = register_raw(twin, VOLTAGE_L1)
    assert lines[1] == f"{VOLTAGE_L1},2,value,{raw // 10}.{raw % 10},V"
    assert lines[2] == f"{ENERGY},2,value,{register_raw(twin, ENERGY)},Wh"


def test_unknown_obis_is_reported_and_the_rest_read(twin: Twin) -> None:
    result = invoke(["read", twin.url, ENERGY, "1.0.1.8.9.255"])
    assert result.exit_code == 1
    assert str(register_raw(twin, ENERGY)) in result.output
    assert "1 of 2 not read" in result.output
    assert "not in this association's object list" in result.output
    assert "openamr objects URL" in result.output
    assert "Traceback" not in result.output


def test_refused_attribute(twin: Twin) -> None:
    result = invoke(["read", twin.url, *LLS, "0.0.40.0.1.255:7", "--json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document[0]["error"] == "refused: read write denied"
    assert "more rights" in result.stderr


def test_wrong_password(twin: Twin) -> None:
    result = invoke(["read", twin.url, "--password", "s3cret-wrong", ENERGY])
    assert result.exit_code == 1
    assert "association refused: authentication failed — check --password" in result.output
    assert "s3cret-wrong" not in result.output
    assert "Traceback" not in result.output


def test_unreachable_meter() -> None:
    result = invoke(["read", "tcp://127.0.0.1:1", ENERGY, "--timeout", "2"])
    assert result.exit_code == 1
    assert "cannot connect" in result.output
    assert "check the URL's host and port" in result.output


def test_wrong_link_layer(twin: Twin) -> None:
    url = f"hdlc+tcp://127.0.0.1:{twin.wrapper_port}"  # HDLC to the wrapper port
    result = invoke(["read", url, ENERGY, "--timeout", "1", "--retries", "0"])
    assert result.exit_code == 1
    assert "tcp:// is the wrapper, hdlc+tcp:// is HDLC" in result.output or "raise --timeout" in (
        result.output
    )


def test_bad_url_and_obis() -> None:
    result = invoke(["read", "ftp://meter:21", ENERGY])
    assert result.exit_code == 2
    assert "unknown scheme" in result.output and "tcp://HOST:PORT" in result.output
    result = invoke(["read", "tcp://127.0.0.1:4059", "1.8.0"])
    assert result.exit_code == 2
    assert "is not an OBIS code" in result.output
