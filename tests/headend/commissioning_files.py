"""Commissioning files written here by the text of the agreed format
(../COMMISSIONING.md), independently of the fleet's writer."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

FIELDS = (
    "serial", "logical_device_name", "url", "client", "auth", "password", "system_title",
    "ek", "ak", "cell", "group", "msisdn", "iccid", "imsi", "firmware",
)  # fmt: skip


def wrap(kek: bytes, secret: bytes) -> str:
    return aes_key_wrap_with_padding(kek, secret).hex()


def entry(kek: bytes, serial: str, url: str, ek: bytes, ak: bytes, password: bytes = b"12345678",
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    row = {
        "serial": serial, "logical_device_name": f"ISK103{serial:0>10}", "url": url,
        "client": 1, "auth": "high", "password": wrap(kek, password),
        "system_title": "49534b0000bc614e", "ek": wrap(kek, ek), "ak": wrap(kek, ak),
        "cell": 3, "group": "feeder-03", "msisdn": "+38640000001",
        "iccid": "8938600000000000001", "imsi": "293400000000001", "firmware": "MT372-1004",
    }  # fmt: skip
    row.update(extra)
    return row


def write_json(path: Path, kek: bytes, rows: Sequence[dict[str, Any]]) -> Path:
    kek_id = hashlib.sha256(kek).hexdigest()[:8]
    doc = {"format": "openamr-commissioning/1", "kek_id": kek_id, "meters": list(rows)}
    path.write_text(json.dumps(doc, indent=1))
    return path


def write_csv(path: Path, kek: bytes, rows: Sequence[dict[str, Any]]) -> Path:
    out = io.StringIO()
    out.write(f"# openamr-commissioning/1 kek_id={hashlib.sha256(kek).hexdigest()[:8]}\n")
    writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path
