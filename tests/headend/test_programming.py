"""Tariff calendar and push setup commands against a twin over real sockets:
written, read back, compared; the command's states and history; the twin's
objects hold what was sent. Bad parameters are refused before anything is sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from openamr.codec.obis import Obis
from openamr.headend.model import MeterRecord
from openamr.headend.ondemand import OnDemand, RequestError, check
from openamr.headend.store import Store
from openamr.headend.vault import MeterSecrets
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.conftest import KEK


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=1)
    yield t
    await stop_twin(t)


CALENDAR: dict[str, Any] = {
    "name": "T2027",
    "seasons": [
        {"name": "S1", "start": "01-01", "week": "W1"},
        {"name": "S2", "start": "04-01", "week": "W1"},
    ],
    "weeks": [{"name": "W1", "days": [1, 1, 1, 1, 1, 2, 2]}],
    "days": [
        {"id": 1, "schedule": [{"start": "07:00", "rate": 1}, {"start": "21:00", "rate": 2}]},
        {"id": 2, "schedule": [{"start": "00:00", "rate": 2}]},
    ],
    "activate_at": int(dt.datetime(2027, 1, 1, tzinfo=dt.UTC).timestamp()),
}


def now() -> dt.datetime:
    return EPOCH


async def _run(store: Store, twin: Twin, kind: str, params: dict[str, Any]) -> tuple[str, Any]:
    await store.put_meter(
        MeterRecord(
            "12345678", twin.url("wrapper"), secrets=MeterSecrets(None, DEFAULT_EK, DEFAULT_AK)
        ),
        KEK,
        0,
    )
    ondemand = OnDemand(store, KEK, now, timeout=5)
    cid = await ondemand.submit(await store.meter("12345678"), kind, params)
    await ondemand.wait()
    return cid, await ondemand.result(cid)


async def test_a_tariff_calendar_is_written_and_confirmed(sqlite_store: Store, twin: Twin) -> None:
    cid, result = await _run(sqlite_store, twin, "tariff_calendar", CALENDAR)
    assert result == {
        "object": "0.0.13.0.0.255",
        "written": [6, 7, 8, 9, 10],
        "differ": [],
        "confirmed": True,
    }
    states = [s for _, s, _ in await sqlite_store.command_history(cid)]
    assert states == ["queued", "sent", "confirmed"]
    calendar = twin.app.device.find(Obis.parse("0.0.13.0.0.255"))
    assert bytes(calendar.calendar_name_passive) == b"T2027"
    assert len(calendar.day_profile_table_passive) == 2
    assert bytes(calendar.calendar_name_active) == b"MT372"  # passive until 2027-01-01


async def test_a_push_setup_is_written_and_confirmed(sqlite_store: Store, twin: Twin) -> None:
    cid, result = await _run(sqlite_store, twin, "push_setup", {"destination": "10.9.8.7:4061"})
    assert result["confirmed"] is True and result["written"] == [3]
    push = twin.app.device.find(Obis.parse("0.0.25.9.0.255"))
    assert bytes(push.send_destination_and_method[1]) == b"10.9.8.7:4061"
    (job, history) = (await sqlite_store.job(cid), await sqlite_store.command_history(cid))
    assert job is not None and job.state == "done" and history[-1][1] == "confirmed"


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("push_setup", {"destination": "nowhere"}, "params.destination"),
        ("tariff_calendar", CALENDAR | {"name": ""}, "params.name"),
        (
            "tariff_calendar",
            CALENDAR | {"seasons": [{"name": "S", "start": "13-01", "week": "W"}]},
            "params.seasons[0].start",
        ),
        (
            "tariff_calendar",
            CALENDAR | {"weeks": [{"name": "W", "days": [1]}]},
            "params.weeks[0].days",
        ),
        (
            "tariff_calendar",
            CALENDAR | {"days": [{"id": 1, "schedule": [{"start": "07:00", "rate": 9}]}]},
            "params.days[0].schedule[0].rate",
        ),
        ("tariff_calendar", {k: v for k, v in CALENDAR.items() if k != "days"}, "params.days"),
    ],
)
def test_bad_parameters_name_the_field(kind: str, params: dict[str, Any], field: str) -> None:
    with pytest.raises(RequestError) as info:
        check(kind, params)
    assert info.value.field == field


async def test_the_api_refuses_a_bad_calendar_before_sending(sqlite_store: Store) -> None:
    import httpx

    from openamr.headend.api import create_app

    await sqlite_store.put_meter(MeterRecord("7", "tcp://127.0.0.1:1", auth="none"), None, 0)
    app = create_app(sqlite_store, KEK, OnDemand(sqlite_store, KEK, now), now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
        bad = CALENDAR | {"weeks": [{"name": "W1", "days": [1, 2]}]}
        r = await client.post("/meters/7/commands", json={"kind": "tariff_calendar", "params": bad})
        assert (
            r.status_code == 422 and r.json()["hint"] == "correct the field 'params.weeks[0].days'"
        )
        r = await client.post("/meters/7/commands", json={"kind": "rotate_keys"})
        assert r.status_code == 422 and "openamr headend serve" in r.json()["error"]
    assert await sqlite_store.count("commands") == 0
