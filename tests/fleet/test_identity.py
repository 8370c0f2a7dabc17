"""Each meter its own identity and secrets, derived from the fleet secret; the
commissioning file as docs/commissioning.md has it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import replace

from cryptography.hazmat.primitives.keywrap import aes_key_unwrap_with_padding

from openamr.fleet.commissioning import FIELDS, FORMAT, kek_id, to_csv, to_json
from openamr.fleet.config import quick
from openamr.fleet.faults import FaultRates
from openamr.fleet.identity import credentials, identity, secrets

KEK = bytes(range(16))


def test_every_meter_its_own_secrets() -> None:
    c = quick(50)
    all_secrets = [secrets(c, s) for s in c.serials]
    for attr in ("password", "ek", "ak", "kek"):
        assert len({getattr(s, attr) for s in all_secrets}) == 50
    assert all(len(s.password) == 8 and s.password.isalnum() for s in all_secrets)


def test_the_secret_and_the_generation_change_the_keys() -> None:
    c = quick(2)
    other = replace(c, secret=b"another fleet secret!")
    assert secrets(c, "10000001").ek != secrets(other, "10000001").ek
    assert secrets(c, "10000001", 0).ak != secrets(c, "10000001", 1).ak
    assert secrets(c, "10000001") == secrets(quick(2), "10000001")  # reproducible


def test_a_rotated_meter_serves_generation_1() -> None:
    c = quick(20, faults=replace(FaultRates.none(), rotated_keys=1.0))
    meter = identity(c, 3)
    assert meter.rotated
    assert credentials(c, meter).keys.ek == secrets(c, meter.serial, 1).ek


def test_identity_fields() -> None:
    m = identity(quick(300), 250)
    assert m.serial == "10000251" and m.logical_device_name == "ISK0000010000251"
    assert m.system_title == b"ISK" + (10000251).to_bytes(5, "big")
    assert m.url == "tcp://127.1.0.251:4059" and m.cell == 1002 and m.group == "feeder-06"
    assert m.msisdn == "+38640000251" and len(m.imsi) == 15 and m.imsi.startswith("29340")
    assert len(m.iccid) == 19 and m.iccid.startswith("89386")
    digits = [int(d) for d in m.iccid[::-1]]  # Luhn: the check digit makes the sum 0 mod 10
    total = sum(
        d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
    )
    assert total % 10 == 0


def test_the_mix_follows_the_shares() -> None:
    c = quick(2000)
    kinds = [identity(c, i).kind.value for i in range(c.size)]
    assert 0.75 < kinds.count("residential") / c.size < 0.85
    firmware = [identity(c, i).firmware for i in range(c.size)]
    assert 0.05 < firmware.count("MT372-1003") / c.size < 0.15


def test_json_export() -> None:
    c = quick(3)
    doc = json.loads(to_json(c, KEK))
    assert doc["format"] == FORMAT == "openamr-commissioning/1"
    assert doc["kek_id"] == hashlib.sha256(KEK).hexdigest()[:8] == kek_id(KEK)
    first = doc["meters"][0]
    assert list(first) == list(FIELDS)
    assert (
        first["client"] == 1 and first["auth"] == "high" and first["url"] == "tcp://127.1.0.1:4059"
    )
    s = secrets(c, "10000001")
    assert aes_key_unwrap_with_padding(KEK, bytes.fromhex(first["ek"])) == s.ek
    assert aes_key_unwrap_with_padding(KEK, bytes.fromhex(first["ak"])) == s.ak
    assert aes_key_unwrap_with_padding(KEK, bytes.fromhex(first["password"])) == s.password
    assert s.ek.hex() not in to_json(c, KEK)


def test_csv_export() -> None:
    c = quick(3)
    text = to_csv(c, bytes(32))
    first, rest = text.split("\n", 1)
    assert first == f"# openamr-commissioning/1 kek_id={kek_id(bytes(32))}"
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert rest.split("\n", 1)[0] == ",".join(FIELDS)
    assert [r["serial"] for r in rows] == list(c.serials)
    assert rows[2]["system_title"] == (b"ISK" + (10000003).to_bytes(5, "big")).hex()
