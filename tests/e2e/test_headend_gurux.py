"""The head-end end to end over real sockets against an independent server
(issue 13, "Proof"): a gurux-dlms meter (tests/e2e/gurux_server.py, gurux's own
server classes) imported from an inventory CSV, collected over LLS through the
wrapper and through HDLC; what is stored equals what the gurux meter holds
(billing registers with their scalers, the load profile by range, the log-book),
and a second collection stores nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.codec.units import Unit
from openamr.headend.collector import BILLING, LOAD_PROFILE, Collector
from openamr.headend.inventory import import_file
from openamr.headend.store import Store
from openamr.headend.vault import Kek
from tests.headend.conftest import open_store

from .gurux_server import MeterData, gurux_meter, mt372_data

pytest.importorskip("gurux_dlms")

KEK_BYTES = bytes(range(32))
KEK = Kek(KEK_BYTES)
NOW = dt.datetime(2026, 5, 4, 12, 7, 0, tzinfo=dt.UTC)
SERIAL = "60000001"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async for s in open_store("sqlite", tmp_path):
        yield s


async def _import(store: Store, tmp_path: Path, url: str, data: MeterData) -> int:
    """The meter as an operator's inventory CSV names it (LLS, the reader's password)."""
    path = tmp_path / "inventory.csv"
    path.write_text(
        "serial,url,client,auth,password,iccid,group\n"
        f"{SERIAL},{url},1,low,{data.password.decode()},{data.iccid},gurux\n"
    )
    report = await import_file(store, path, KEK, now=1)
    assert report.added == 1, report
    meter = await store.meter(SERIAL)
    assert meter is not None and meter.id is not None
    return meter.id


@pytest.mark.parametrize("hdlc", [False, True], ids=["wrapper", "hdlc"])
async def test_collect_stores_what_the_gurux_meter_holds(
    store: Store, tmp_path: Path, hdlc: bool
) -> None:
    data = mt372_data(NOW, days=3)  # a day more than the first read asks for
    with gurux_meter(data, hdlc=hdlc) as url:
        meter_id = await _import(store, tmp_path, url, data)
        meter = await store.meter(SERIAL)
        assert meter is not None
        collector = Collector(store, KEK, lambda: NOW)
        first = await collector.collect(meter)
        assert first.ok, first.reason

        stamp = int(NOW.timestamp())
        for obis in BILLING:
            got = await store.readings(meter_id, f"{obis}:2")
            raw, scaler, unit = data.registers[obis]
            expected = (stamp, pytest.approx(raw * 10.0**scaler), Unit(unit).symbol)
            assert [(r.ts, r.value, r.unit) for r in got] == [expected]

        # the first read asks for two days by range: the third day stays on the meter
        since = NOW - dt.timedelta(days=2)
        held = [(int(t.timestamp()), s, round(p * 0.001, 6), round(m * 0.001, 6))
                for t, s, p, m in data.profile if t >= since]  # fmt: skip
        a_plus = await store.readings(meter_id, f"{LOAD_PROFILE}/1.0.1.8.0.255:2", limit=10_000)
        a_minus = await store.readings(meter_id, f"{LOAD_PROFILE}/1.0.2.8.0.255:2", limit=10_000)
        got = [(p.ts, p.status, round(p.value, 6), round(m.value, 6))
               for p, m in zip(a_plus, a_minus, strict=True)]  # fmt: skip
        assert got == held and len(got) == 192 < len(data.profile)
        assert {r.unit for r in a_plus + a_minus} == {"Wh"}

        events = await store.events(meter_id)
        assert [(e.ts, e.code) for e in events] == [(int(t.timestamp()), c) for t, c in data.events]
        (session,) = await store.sessions(meter_id)
        assert session.outcome == "ok"
        assert session.readings == first.readings == len(BILLING) + 2 * 192
        assert await store.count("alarms") == 0  # the ICCID read equals the inventory's

        total = await store.count("readings")
        again = await collector.collect(meter)
        assert again.ok and again.readings == 0 and again.events == 0, again
        assert await store.count("readings") == total and await store.count("events") == 3


async def test_a_wrong_password_is_refused_and_stored(store: Store, tmp_path: Path) -> None:
    data = mt372_data(NOW, days=0.1)
    with gurux_meter(data) as url:
        wrong = MeterData(data.now, b"wrong", data.registers, data.profile, data.events)
        meter_id = await _import(store, tmp_path, url, wrong)
        meter = await store.meter(SERIAL)
        assert meter is not None
        out = await Collector(store, KEK, lambda: NOW).collect(meter)
    assert not out.ok and not out.transient and "refused" in out.reason.lower(), out
    (session,) = await store.sessions(meter_id)
    assert session.outcome != "ok" and session.reason == out.reason
    assert await store.count("readings") == 0


def test_the_cli_imports_and_collects_it(tmp_path: Path) -> None:
    """``openamr headend meters import`` and ``collect``, as an operator runs them."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the CLI's clock
    data = mt372_data(now, days=1.5)  # all of it inside the first read's two days
    env = {"OPENAMR_KEK": KEK_BYTES.hex(), "OPENAMR_DB": f"sqlite:///{tmp_path / 'he.db'}"}

    def run(*args: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(cli, ["headend", *args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    with gurux_meter(data) as url:
        path = tmp_path / "inventory.csv"
        path.write_text(f"serial,url,client,auth,password\n{SERIAL},{url},1,low,12345678\n")
        imported = CliRunner().invoke(cli, ["headend", "meters", "import", str(path)], env=env)
        assert imported.exit_code == 0, imported.output
        (first,) = run("collect", "--meter", SERIAL, "--no-vee", "--json")
        (again,) = run("collect", "--meter", SERIAL, "--no-vee", "--json")
    expected = len(BILLING) + 2 * len(data.profile)
    assert (first["outcome"], first["readings"], first["events"]) == ("ok", expected, 3), first
    assert (again["outcome"], again["readings"], again["events"]) == ("ok", 0, 0), again
