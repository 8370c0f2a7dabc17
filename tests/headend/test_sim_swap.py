"""Issue 16 "SIM hot swap": a card swapped in the meter is noticed by the head-end
at its next collection (the ICCID read with the billing registers differs from the
inventory's): one alarm with both cards, and the inventory takes the new one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from openamr.codec.obis import Obis
from openamr.gsm.sim import Sim
from openamr.headend import schema
from openamr.headend.collector import SIM_CHANGED, Collector
from openamr.headend.inventory import import_file
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import start_twin, stop_twin
from tests.headend.commissioning_files import entry, write_json

KEK_BYTES = bytes(range(70, 102))
ICCID = Obis.parse("0.0.128.20.30.255")


async def _sim_alarms(store: Store) -> list[Any]:
    a = schema.alarms
    async with store.engine.connect() as conn:
        return list((await conn.execute(select(a).where(a.c.code == SIM_CHANGED))).all())


def _card(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def test_a_swapped_sim_is_noticed_once(sqlite_store: Store, tmp_path: Path) -> None:
    store, twin = sqlite_store, await start_twin(history_days=1)
    try:
        meter = twin.served[0].meter
        held = twin.app.device.find(ICCID)
        assert held is not None
        first = _card(held.get(2))
        assert first.startswith("89")
        rows = [entry(KEK_BYTES, "12345678", twin.url("wrapper"), DEFAULT_EK, DEFAULT_AK,
                      iccid=first)]  # fmt: skip
        await import_file(store, write_json(tmp_path / "f.json", KEK_BYTES, rows), Kek(KEK_BYTES),
                          now=1)  # fmt: skip
        record = await store.meter("12345678")
        collector = Collector(store, Kek(KEK_BYTES), lambda: EPOCH)
        assert (await collector.collect(record)).ok
        assert await _sim_alarms(store) == []
        new = Sim.derive(4711, generation=1)
        meter.peripherals.insert_sim(new)  # the hot swap
        assert (await collector.collect(record)).ok
        assert (await collector.collect(record)).ok  # the next session raises nothing more
        (alarm,) = await _sim_alarms(store)
        assert json.loads(alarm.payload) == {"old_iccid": first, "new_iccid": new.iccid}
        assert (await store.meter("12345678")).iccid == new.iccid
    finally:
        await stop_twin(twin)
