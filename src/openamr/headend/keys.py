"""The meters' security state: key rotation with key_transfer, and the alert when an
invocation counter nears the end of its space.

**Key rotation** (Security setup, class 64, method 2 ``global_key_transfer``,
Blue Book 4.4.7; Green Book 9.2.5.2): new global unicast encryption and
authentication keys, each wrapped with AES key wrap (RFC 3394) under the meter's
master key (``mk`` in the inventory, :mod:`openamr.security.keywrap`). The steps,
each in the command's history (``commands``, kind ``rotate_keys``)::

    1. the new keys sealed under the head-end's KEK in ``pending_keys``  (queued)
    2. global_key_transfer in an association with the current keys      (sent)
    3. a fresh association with the new keys
       - succeeds: the new keys replace the old in the vault             (confirmed)
       - fails, the old keys still open one: the meter kept them;
         the pending keys are dropped                                    (failed)
       - fails with both: the pending keys are kept, and the next
         rotation of the meter tries them first                          (failed)

The vault's current keys change only in step 3's first case: a meter that did not
confirm the new keys is still reached with the old ones. Keys go to the meter
wrapped, to the database sealed, and nowhere else (no log line, no result).

The alert when a counter nears the end of its space: :mod:`openamr.headend.counters`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select, update

from openamr.client.meter import connect
from openamr.codec.obis import Obis
from openamr.devices.mt372.objects import SECURITY_SETUP
from openamr.errors import DlmsError
from openamr.headend import schema
from openamr.headend.collector import Outcome, classify
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand
from openamr.headend.scheduler import Job
from openamr.headend.store import Store, StoreError
from openamr.headend.vault import Kek, MeterSecrets, VaultError
from openamr.security.keys import KeySet
from openamr.security.keywrap import KeyId, key_transfer_data

GLOBAL_KEY_TRANSFER = 2


class KeyRotation:
    """The runner's worker for ``rotate_keys`` commands; ``new_keys`` draws the
    keys (16 random bytes each by default; a test gives its own)."""

    def __init__(
        self,
        store: Store,
        kek: Kek | None,
        ondemand: OnDemand,
        now: Callable[[], dt.datetime],
        new_keys: Callable[[], tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.store, self.kek, self.ondemand, self.now = store, kek, ondemand, now
        self.new_keys = new_keys or (lambda: (os.urandom(16), os.urandom(16)))
        if ondemand.runner is not None:
            ondemand.runner.workers["rotate_keys"] = self.work

    def _ts(self) -> int:
        return int(self.now().timestamp())

    async def submit(self, meter: MeterRecord) -> str:
        """Queue a rotation (a command: its correlation id, at once)."""
        assert meter.id is not None and self.ondemand.runner is not None
        cid = await self.store.add_command(meter.id, "rotate_keys", {}, self._ts())
        await self.ondemand.runner.on_demand(meter, "rotate_keys", cid)
        await self.ondemand.runner.flush()
        return cid

    async def work(self, meter: MeterRecord, job: Job) -> Outcome:
        cid = job.correlation_id
        try:
            note, ok = await self.rotate(meter, cid)
        except (DlmsError, VaultError, StoreError, OSError, TimeoutError) as e:
            note, ok = classify(e)[0], False
        await self.store.set_command_state(
            cid, "confirmed" if ok else "failed", self._ts(), note, json.dumps({"confirmed": ok})
        )
        await self.ondemand.keep(cid, {"confirmed": ok, "note": note})
        return Outcome(ok, "" if ok else note)

    async def rotate(self, meter: MeterRecord, cid: str) -> tuple[str, bool]:
        assert meter.id is not None
        if self.kek is None:
            raise VaultError("key rotation needs the KEK: pass --kek-file PATH or set OPENAMR_KEK")
        old = await self.store.secrets_of(meter.id, self.kek)
        if old.mk is None:
            raise VaultError(
                f"meter {meter.serial}: no master key (mk) in the inventory; "
                "import it (the mk column) before rotating its keys"
            )
        pending = await self._pending(meter)
        if pending is not None and await self._opens(meter, pending):
            await self._promote(meter, pending)
            return "the keys of an earlier rotation open an association: now current", True
        ek, ak = self.new_keys()
        new = MeterSecrets(old.password, ek, ak, old.mk)
        await self._hold(meter, cid, new)
        try:
            async with self.ondemand.session(meter) as client:
                data = key_transfer_data(
                    old.mk,
                    [(KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, ek), (KeyId.AUTHENTICATION_KEY, ak)],
                )
                await self.store.set_command_state(
                    cid, "sent", self._ts(), "global_key_transfer (class 64, method 2)"
                )
                await client.action(_obis(), GLOBAL_KEY_TRANSFER, data, class_id=64)
        except (DlmsError, OSError, TimeoutError) as e:
            if await self._opens(meter, old):  # it did not take them: nothing pending
                await self._drop(meter)
                return f"{classify(e)[0]}; the meter keeps its old keys", False
            raise
        if await self._opens(meter, new):
            await self._promote(meter, new)
            return "a fresh association with the new keys succeeded; they are current", True
        if await self._opens(meter, old):
            await self._drop(meter)
            return "the meter still uses the old keys (the new ones were dropped)", False
        return (
            "neither the old nor the new keys open an association; both kept, the next "
            "rotation tries the new ones first"
        ), False

    async def _opens(self, meter: MeterRecord, secrets: MeterSecrets) -> bool:
        """A fresh association with these keys (the counters stored after it)."""
        assert meter.id is not None and secrets.ek is not None and secrets.ak is not None
        last = await self.store.counter(meter.id, "client")
        try:
            async with connect(
                meter.url,
                meter.client,
                "high",
                keys=KeySet(secrets.ek, secrets.ak),
                environ={},
                timeout=self.ondemand.timeout,
                retries=0,
                invocation_counter=None if last is None else last + 1,
            ) as client:
                await client.clock()
                await self.store.raise_counter(
                    meter.id, "client", client.invocation_counter - 1, self._ts()
                )
        except (DlmsError, OSError, TimeoutError):
            return False
        return True

    async def _pending(self, meter: MeterRecord) -> MeterSecrets | None:
        assert self.kek is not None
        p = schema.pending_keys
        rows = await self.store._rows(select(p.c.secrets).where(p.c.meter_id == meter.id))
        return self.kek.open(bytes(rows[0].secrets), meter.serial) if rows else None

    async def _hold(self, meter: MeterRecord, cid: str, secrets: MeterSecrets) -> None:
        assert self.kek is not None
        p = schema.pending_keys
        values: dict[str, Any] = {
            "correlation_id": cid,
            "secrets": self.kek.seal(secrets, meter.serial),
            "kek_id": self.kek.kek_id,
            "created": self._ts(),
        }
        async with self.store.engine.begin() as conn:
            await conn.execute(delete(p).where(p.c.meter_id == meter.id))
            await conn.execute(p.insert().values(meter_id=meter.id, **values))

    async def _promote(self, meter: MeterRecord, secrets: MeterSecrets) -> None:
        assert self.kek is not None
        m, p = schema.meters, schema.pending_keys
        async with self.store.engine.begin() as conn:
            await conn.execute(
                update(m)
                .where(m.c.id == meter.id)
                .values(
                    secrets=self.kek.seal(secrets, meter.serial),
                    kek_id=self.kek.kek_id,
                    updated=self._ts(),
                )
            )
            await conn.execute(delete(p).where(p.c.meter_id == meter.id))

    async def _drop(self, meter: MeterRecord) -> None:
        p = schema.pending_keys
        async with self.store.engine.begin() as conn:
            await conn.execute(delete(p).where(p.c.meter_id == meter.id))


def _obis() -> Obis:
    return SECURITY_SETUP.obis
