"""The commissioning file a head-end imports (format ``openamr-commissioning/1``,
docs/commissioning.md): one record per meter, its secrets wrapped under a
key-encryption key with AES key wrap with padding (RFC 5649).

Sans-IO: :func:`records` and the encoders return text; the CLI writes it (0600).
The keys written (``password``, ``ek``, ``ak`` and the master key ``mk`` that
rotating them needs, Blue Book 4.4.7 global_key_transfer) are generation 0, the
keys the fleet was commissioned with: a meter whose keys were rotated (the fault
model) no longer accepts them, as in the field.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator

from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from openamr.errors import DlmsError
from openamr.fleet.config import FleetConfig
from openamr.fleet.identity import identity, secrets
from openamr.meter.associations import MANAGEMENT_CLIENT

FORMAT = "openamr-commissioning/1"
#: The fields of a record, in the order of the CSV header; ``mk`` (the master key,
#: the meter's KEK for key_transfer) is a column of its own after the others.
FIELDS = (
    "serial", "logical_device_name", "url", "client", "auth", "password", "system_title",
    "ek", "ak", "cell", "group", "msisdn", "iccid", "imsi", "firmware", "mk", "path",
)  # fmt: skip
Record = dict[str, str | int]


class KekError(DlmsError):
    """The key-encryption key is not usable (the message says what to give)."""


def parse_kek(text: str) -> bytes:
    """A KEK from hex text (a --kek-file's content or OPENAMR_KEK)."""
    try:
        kek = bytes.fromhex(text.strip())
    except ValueError:
        raise KekError("the KEK must be hex digits (32 or 64 of them)") from None
    if len(kek) not in (16, 32):
        raise KekError(f"the KEK must be 16 or 32 bytes (32 or 64 hex digits), not {len(kek)}")
    return kek


def kek_id(kek: bytes) -> str:
    """The first 8 hex digits of SHA-256 of the KEK: names it without revealing it."""
    return hashlib.sha256(kek).hexdigest()[:8]


def records(config: FleetConfig, kek: bytes) -> Iterator[Record]:
    """One record per meter of the fleet, secrets wrapped under ``kek``."""
    for index in range(config.size):
        meter = identity(config, index)
        s = secrets(config, meter.serial, 0)
        yield {
            "serial": meter.serial,
            "logical_device_name": meter.logical_device_name,
            "url": meter.url,
            "client": MANAGEMENT_CLIENT,
            "auth": "high",
            "password": _wrap(kek, s.password),
            "system_title": meter.system_title.hex(),
            "ek": _wrap(kek, s.ek),
            "ak": _wrap(kek, s.ak),
            "cell": meter.cell,
            "group": meter.group,
            "msisdn": meter.msisdn,
            "iccid": meter.iccid,
            "imsi": meter.imsi,
            "firmware": meter.firmware,
            "mk": _wrap(kek, s.kek),
            "path": meter.reach,  # tcp, csd or wakeup: how the head-end reaches it
        }


def to_json(config: FleetConfig, kek: bytes) -> str:
    doc = {"format": FORMAT, "kek_id": kek_id(kek), "meters": list(records(config, kek))}
    return json.dumps(doc, indent=1) + "\n"


def to_csv(config: FleetConfig, kek: bytes) -> str:
    out = io.StringIO()
    out.write(f"# {FORMAT} kek_id={kek_id(kek)}\n")
    writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records(config, kek))
    return out.getvalue()


def _wrap(kek: bytes, secret: bytes) -> str:
    return aes_key_wrap_with_padding(kek, secret).hex()
