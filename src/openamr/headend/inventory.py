"""The inventory's operations: import a commissioning file or a CSV, add, update,
decommission (the CLI ``openamr headend meters ...`` and later the API call these).

An import is all or nothing for a file: every row is read and checked (a wrong KEK,
a bad field) before the first meter is stored.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openamr.headend.commissioning import CommissioningError, read_inventory_file
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store
from openamr.headend.vault import Kek


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int

    @property
    def total(self) -> int:
        return self.added + self.updated


async def import_file(store: Store, path: str | Path, kek: Kek | None, now: int) -> ImportReport:
    """Read every meter of ``path``, then store them (secrets sealed under ``kek``)."""
    records = read_inventory_file(path, kek)
    serials = [r.serial for r in records]
    twice = sorted(s for s, n in Counter(serials).items() if n > 1)
    if twice:
        raise CommissioningError(f"{path}: serial {', '.join(twice[:5])} appears more than once")
    if any(r.secrets for r in records) and kek is None:
        raise CommissioningError(
            f"{path}: it holds secrets; pass --kek-file PATH or set OPENAMR_KEK to seal them"
        )
    known = {m.serial for m in await store.meters(state=None)}
    for record in records:
        await store.put_meter(record, kek, now)
    added = sum(1 for s in serials if s not in known)
    return ImportReport(added, len(records) - added)


async def add_meter(store: Store, record: MeterRecord, kek: Kek | None, now: int) -> int:
    return await store.put_meter(record, kek, now)
