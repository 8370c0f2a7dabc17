"""End to end through the virtual GSM network (issue 16): a small fleet where two meters
are reachable only by a CSD call (their twins serve HDLC only, behind the modem) and
two only after a wake-up (their twins' wrapper ports are behind GPRS gates that open
for the session an SMS starts). The head-end collects all four through the modem, by
each meter's path, and reports completeness per path; a meter whose whitelist lacks
the head-end's number stays uncollected, and says why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openamr.aio.modem import ModemPool
from openamr.aio.serve import Listeners, ServedTwin, serve_twin
from openamr.gsm.pool import MeterLine, NetworkFile
from openamr.gsm.sim import Sim
from openamr.headend.collector import CollectPolicy
from openamr.headend.inventory import import_file
from openamr.headend.paths import GsmPolicy
from openamr.headend.scheduler import Policy
from openamr.headend.service import collect_now, completeness_by_path
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH, build_mt372
from tests.headend.commissioning_files import entry, write_json

KEK_BYTES = bytes(range(100, 132))
HEAD_END = "+38640100200"
#: serial -> (path, SIM number, on the whitelist)
FLEET = {
    "20000001": ("csd", 11, True),
    "20000002": ("csd", 12, True),
    "20000003": ("wakeup", 13, True),
    "20000004": ("wakeup", 14, True),
    "20000005": ("csd", 15, False),
}


@pytest.fixture
async def twins() -> AsyncIterator[dict[str, ServedTwin]]:
    served = {}
    for serial, (path, _, _) in FLEET.items():
        meter = build_mt372(serial, history_days=1)
        listeners = Listeners(port=0, transport="hdlc" if path == "csd" else "wrapper")
        served[serial] = await serve_twin(meter, listeners)
    yield served
    for s in served.values():
        await s.close()


@pytest.fixture
async def pool(twins: dict[str, ServedTwin]) -> AsyncIterator[ModemPool]:
    lines = []
    for serial, (path, n, allowed) in FLEET.items():
        at = twins[serial].dlms_address
        whitelist = (HEAD_END,) if allowed else ("+38640999999",)
        lines.append(MeterLine(
            Sim.derive(n), csd=at if path == "csd" else None,
            gprs=at if path == "wakeup" else None, whitelist=whitelist, rings=1,
        ))  # fmt: skip
    p = ModemPool(NetworkFile(HEAD_END, 9600, tuple(lines), 10.0, 0.0, 0.0, 10.0))
    await p.start()
    yield p
    await p.close()


async def test_the_head_end_collects_by_csd_and_after_wake_up(
    sqlite_store: Store, pool: ModemPool, tmp_path: Path
) -> None:
    rows = [
        entry(KEK_BYTES, serial, "tcp://0.0.0.0:1" if path == "wakeup" else "hdlc+tcp://0.0.0.0:1",
              DEFAULT_EK, DEFAULT_AK, path=path, msisdn=Sim.derive(n).msisdn,
              system_title="")
        for serial, (path, n, _) in FLEET.items()
    ]  # fmt: skip
    await import_file(sqlite_store, write_json(tmp_path / "f.json", KEK_BYTES, rows),
                      Kek(KEK_BYTES), now=1)  # fmt: skip
    meters = await sqlite_store.meters()
    assert {m.path for m in meters} == {"csd", "wakeup"}
    modem = await pool.serve_tcp("127.0.0.1", 0)
    lookup = await pool.serve_lookup("127.0.0.1", 0)
    gsm = GsmPolicy(f"{modem[0]}:{modem[1]}", f"{lookup[0]}:{lookup[1]}", 20.0, 0.05)
    assert all(pool.lookup(Sim.derive(n).msisdn) is None for _, n, _ in FLEET.values())
    done = await collect_now(
        sqlite_store, Kek(KEK_BYTES), meters,
        policy=Policy(max_sessions=2, on_demand_deadline=0.0),
        collect_policy=CollectPolicy(first_days=0.25, gap_days=0.25, timeout=5.0, gsm=gsm),
        now=lambda: EPOCH,  # the twins' clock
    )  # fmt: skip
    by_serial = {c.meter.serial: c for c in done}
    for serial, (_, _, allowed) in FLEET.items():
        outcome = by_serial[serial].outcome
        assert outcome is not None and outcome.ok is allowed, outcome
        if allowed:
            assert outcome.readings > 24  # registers and a quarter day of profile
    refused = by_serial["20000005"].outcome
    assert refused is not None and "NO ANSWER" in refused.reason and "whitelist" in refused.reason
    paths = {p["path"]: p for p in completeness_by_path(done)}
    assert (paths["csd"]["meters"], paths["csd"]["collected"]) == (3, 2)
    assert paths["csd"]["completeness"] == "67 %"
    assert (paths["wakeup"]["meters"], paths["wakeup"]["collected"]) == (2, 2)
    assert paths["wakeup"]["completeness"] == "100 %"
    # the woken meters were attached by the SMS; the CSD ones never were
    assert pool.lookup(Sim.derive(13).msisdn) is not None
    assert pool.lookup(Sim.derive(11).msisdn) is None
