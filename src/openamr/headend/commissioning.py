"""The reader of the commissioning file ``openamr-commissioning/1`` (the format agreed
with the fleet, docs/commissioning.md) and of a plain inventory CSV.

Commissioning file, JSON ``{"format", "kek_id", "meters": [...]}`` or CSV whose first
line is ``# openamr-commissioning/1 kek_id=<id>`` and whose header is exactly
:data:`FIELDS`; ``password``, ``ek`` and ``ak`` are wrapped (RFC 5649) under the KEK
whose id the file names, and so is ``mk`` (the master key, for key rotation), a
column after them that older files lack. A file for another KEK is refused before
anything is read.

Plain CSV (what an operator writes): a header of any of the inventory's fields
(:data:`PLAIN_FIELDS`; ``serial`` and ``url`` required), secrets in clear (``password``
as text, ``ek``/``ak`` as hex). It is re-encrypted at import like the rest.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openamr.headend.model import MeterRecord
from openamr.headend.vault import Kek, MeterSecrets, VaultError

FORMAT = "openamr-commissioning/1"
FIELDS = (
    "serial", "logical_device_name", "url", "client", "auth", "password", "system_title",
    "ek", "ak", "cell", "group", "msisdn", "iccid", "imsi", "firmware",
)  # fmt: skip
#: ``mk``: the meter's master key (KEK) for key rotation; optional in a commissioning
#: file (wrapped like the others; in CSV a column after :data:`FIELDS`) and in a
#: plain CSV (hex)
PLAIN_FIELDS = (*FIELDS, "tariff_group", "mk", "path")
#: the columns a commissioning CSV may have after :data:`FIELDS`
LATER_FIELDS = ("mk", "path")
SECRETS = ("password", "ek", "ak", "mk")


class CommissioningError(ValueError):
    """A file that cannot be imported; the message names the file, line and field."""


def read_inventory_file(path: str | Path, kek: Kek | None) -> list[MeterRecord]:
    """The meters of a commissioning file (JSON or CSV) or of a plain CSV."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise CommissioningError(f"{name}: cannot read it ({e})") from None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return _from_json(name, stripped, kek)
    if stripped.startswith("#"):
        return _from_commissioning_csv(name, stripped, kek)
    return _from_plain_csv(name, stripped)


def _need_kek(name: str, kek: Kek | None, kek_id: object) -> Kek:
    if kek is None:
        raise CommissioningError(
            f"{name}: its secrets are wrapped under KEK {kek_id}: pass --kek-file PATH or set "
            "OPENAMR_KEK"
        )
    if kek.kek_id != kek_id:
        raise CommissioningError(
            f"{name}: written for KEK {kek_id}, but the KEK given is {kek.kek_id}; nothing was "
            "imported. Use the KEK the file was exported with"
        )
    return kek


def _from_json(name: str, text: str, kek: Kek | None) -> list[MeterRecord]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise CommissioningError(f"{name}: not valid JSON (line {e.lineno}: {e.msg})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise CommissioningError(f'{name}: not an {FORMAT} file (its "format" field)')
    key = _need_kek(name, kek, doc.get("kek_id"))
    rows = doc.get("meters")
    if not isinstance(rows, list):
        raise CommissioningError(f'{name}: "meters" must be a list')
    return [_record(f"{name}: meter {i + 1}", row, key) for i, row in enumerate(rows)]


def _from_commissioning_csv(name: str, text: str, kek: Kek | None) -> list[MeterRecord]:
    first, _, body = text.partition("\n")
    words = first.lstrip("#").split()
    if not words or words[0] != FORMAT:
        raise CommissioningError(f"{name}: line 1 must be '# {FORMAT} kek_id=<id>'")
    ids = [w.split("=", 1)[1] for w in words[1:] if w.startswith("kek_id=")]
    key = _need_kek(name, kek, ids[0] if ids else None)
    reader = csv.DictReader(io.StringIO(body))
    header = tuple(reader.fieldnames or ())
    later = header[len(FIELDS) :]
    if (
        header[: len(FIELDS)] != FIELDS
        or len(set(later)) < len(later)
        or not set(later) <= set(LATER_FIELDS)
    ):
        raise CommissioningError(
            f"{name}: line 2 must be the header {','.join(FIELDS)} (then any of "
            f"{', '.join(LATER_FIELDS)})"
        )
    return [_record(f"{name}: line {i + 3}", row, key) for i, row in enumerate(reader)]


def _from_plain_csv(name: str, text: str) -> list[MeterRecord]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    unknown = [f for f in header if f not in PLAIN_FIELDS]
    if unknown or "serial" not in header or "url" not in header:
        raise CommissioningError(
            f"{name}: line 1 must be a header of {', '.join(PLAIN_FIELDS)} (serial and url "
            f"required); unknown: {', '.join(unknown) or 'none'}"
        )
    return [_record(f"{name}: line {i + 2}", row, None) for i, row in enumerate(reader)]


def _secret(where: str, row: Mapping[str, Any], field: str, kek: Kek | None) -> bytes | None:
    value = str(row.get(field) or "").strip()
    if not value:
        return None
    if kek is not None:
        try:
            return kek.unwrap(value, f"{where}: {field}")
        except VaultError as e:
            raise CommissioningError(str(e)) from None
    if field == "password":
        return value.encode()
    try:
        key = bytes.fromhex(value)
    except ValueError:
        raise CommissioningError(f"{where}: {field} must be hex digits") from None
    if len(key) != 16:
        raise CommissioningError(f"{where}: {field} must be 16 bytes (32 hex digits)")
    return key


def _record(where: str, row: Mapping[str, Any], kek: Kek | None) -> MeterRecord:
    if not isinstance(row, Mapping):
        raise CommissioningError(f"{where}: not an object")

    def text(field: str) -> str:
        return str(row.get(field) if row.get(field) is not None else "").strip()

    try:
        cell = text("cell")
        title = text("system_title").lower()
        if title and len(bytes.fromhex(title)) != 8:
            raise ValueError("system_title must be 8 bytes (16 hex digits)")
        return MeterRecord(
            serial=text("serial"), url=text("url"), client=int(text("client") or 1),
            auth=text("auth") or "high", logical_device_name=text("logical_device_name"),
            system_title=title, cell=int(cell) if cell else None, group=text("group"),
            tariff_group=text("tariff_group"), msisdn=text("msisdn"), iccid=text("iccid"),
            imsi=text("imsi"), firmware=text("firmware"), path=text("path") or "tcp",
            secrets=MeterSecrets(*(_secret(where, row, f, kek) for f in SECRETS)),
        )  # fmt: skip
    except ValueError as e:
        if isinstance(e, CommissioningError):
            raise
        raise CommissioningError(f"{where}: {e}") from None
