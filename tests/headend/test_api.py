"""The REST API with httpx against the app (inventory, stored data, errors that say
what to do), on-demand work and commands end to end against a real MT372 twin on
loopback, and once everything over real sockets: ``serve_all`` with uvicorn, the
push listener and the runner, a twin's power return answered by a collection."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from openamr.codec import Enum, OctetString, Structure
from openamr.codec.obis import Obis
from openamr.headend.api import create_app
from openamr.headend.model import Reading
from openamr.headend.ondemand import OnDemand
from openamr.headend.scheduler import Policy
from openamr.headend.server import Endpoints, Running, serve_all
from openamr.headend.store import Store
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.meter.clock import SteppedTime
from openamr.meter.metrology.model import Disturbance, DisturbanceKind
from openamr.meter.mt372 import EPOCH
from tests.client.conftest import Twin, start_twin, stop_twin
from tests.headend.conftest import KEK

EK, AK = DEFAULT_EK.hex().upper(), DEFAULT_AK.hex().upper()


def at_epoch() -> dt.datetime:
    return EPOCH


@pytest.fixture
async def api(sqlite_store: Store) -> AsyncIterator[tuple[httpx.AsyncClient, OnDemand]]:
    ondemand = OnDemand(sqlite_store, KEK, at_epoch)
    app = create_app(sqlite_store, KEK, ondemand, at_epoch)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://headend") as client:
        yield client, ondemand
    await ondemand.close()


def meter_body(serial: str, url: str = "tcp://127.0.0.1:4059", **kw: Any) -> dict[str, Any]:
    return {"serial": serial, "url": url, "ek": EK, "ak": AK, "group": "north", "cell": 3} | kw


async def test_the_inventory_never_returns_secrets_and_errors_say_what_to_do(
    api: tuple[httpx.AsyncClient, OnDemand], sqlite_store: Store
) -> None:
    client, _ = api
    r = await client.post("/meters", json=meter_body("11110001"))
    assert r.status_code == 201, r.text
    assert EK not in r.text and EK.lower() not in r.text and "ek" not in r.json()
    await client.post("/meters", json=meter_body("11110002", group="south"))
    listed = (await client.get("/meters", params={"group": "north"})).json()
    assert [m["serial"] for m in listed] == ["11110001"]
    assert AK not in (await client.get("/meters")).text
    meter = await sqlite_store.meter("11110001")
    assert meter.id is not None
    secrets = await sqlite_store.secrets_of(meter.id, KEK)
    assert secrets.ek == DEFAULT_EK  # stored sealed, usable

    r = await client.patch("/meters/11110001", json={"cell": 9})
    assert r.json()["cell"] == 9
    r = await client.delete("/meters/11110002")
    assert r.json()["state"] == "decommissioned"
    assert [m["serial"] for m in (await client.get("/meters")).json()] == ["11110001"]
    assert len((await client.get("/meters", params={"state": "all"})).json()) == 2

    r = await client.get("/meters/99999999")
    assert r.status_code == 404 and "99999999" in r.json()["error"] and r.json()["hint"]
    r = await client.post("/meters", json=meter_body("1", system_title="XYZ"))
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "system_title"
    r = await client.post("/meters/11110001/jobs", json={"kind": "read", "params": {}})
    assert r.status_code == 422 and "obis" in r.json()["error"]
    r = await client.post("/meters/11110001/jobs", json={"kind": "fly"})
    assert r.status_code == 422 and r.json()["hint"] == "correct the field 'kind'"
    assert (await client.get("/jobs/nope")).status_code == 404
    assert "/meters/{serial}/readings" in (await client.get("/openapi.json")).json()["paths"]


async def test_readings_as_json_and_csv_and_completeness_per_day(
    api: tuple[httpx.AsyncClient, OnDemand], sqlite_store: Store
) -> None:
    client, _ = api
    await client.post("/meters", json=meter_body("11110001"))
    meter = await sqlite_store.meter("11110001")
    assert meter.id is not None
    day0 = int(EPOCH.timestamp()) - 86400  # yesterday, as the API's clock says
    channel = "1.0.99.1.0.255/1.0.1.8.0.255:2"
    rows = [Reading(meter.id, channel, day0 + 900 * (i + 1), float(i), "Wh", 0, 0)
            for i in range(96) if i not in (10, 11)]  # fmt: skip
    await sqlite_store.add_readings(rows)
    got = (await client.get("/meters/11110001/readings", params={"channel": channel})).json()
    assert len(got) == 94 and got[0] == {"channel": channel, "ts": day0 + 900, "value": 0.0,
                                         "unit": "Wh", "status": 0, "quality": ""}  # fmt: skip
    r = await client.get("/meters/11110001/readings", params={"format": "csv", "start": day0 + 1800,
                                                             "end": day0 + 2700})  # fmt: skip
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines() == [
        "serial,channel,ts,value,unit,status,quality",
        f"11110001,{channel},{day0 + 1800},1.0,Wh,0,",
        f"11110001,{channel},{day0 + 2700},2.0,Wh,0,",
    ]
    days = (await client.get("/meters/11110001/completeness", params={"days": 2})).json()
    assert days == [
        {"day": "2025-12-31", "expected": 96, "received": 94, "percent": 97.9},
        {"day": "2026-01-01", "expected": 96, "received": 0, "percent": 0.0},
    ]


@pytest.fixture
async def twin() -> AsyncIterator[Twin]:
    t = await start_twin(history_days=1)
    yield t
    await stop_twin(t)


async def finished(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    for _ in range(500):
        body: dict[str, Any] = (await client.get(path)).json()
        if body["state"] in ("done", "failed", "confirmed"):
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"{path} did not finish: {body}")


async def test_on_demand_reads_and_commands_against_a_twin(
    api: tuple[httpx.AsyncClient, OnDemand], twin: Twin
) -> None:
    client, _ = api
    await client.post("/meters", json=meter_body("12345678", twin.url("wrapper")))
    r = await client.post("/meters/12345678/jobs",
                          json={"kind": "read", "params": {"obis": "1.0.1.8.0.255"}})  # fmt: skip
    assert r.status_code == 202 and r.headers["location"] == f"/jobs/{r.json()['correlation_id']}"
    job = await finished(client, r.headers["location"])
    assert job["state"] == "done", job
    assert job["result"]["value"] == twin.app.device.find(Obis.parse("1.0.1.8.0.255")).value

    r = await client.post("/meters/12345678/jobs", json={"kind": "ping"})
    assert (await finished(client, r.headers["location"]))["result"]["clock"].startswith("2026")
    r = await client.post("/meters/12345678/jobs", json={"kind": "objects"})
    objects = (await finished(client, r.headers["location"]))["result"]
    assert {"class_id": 70, "version": 0, "obis": "0.0.96.3.10.255"} in objects

    r = await client.post("/meters/12345678/commands", json={"kind": "disconnect"})
    assert r.status_code == 202
    command = await finished(client, r.headers["location"])
    assert command["state"] == "confirmed", command
    assert [h["state"] for h in command["history"]] == ["queued", "sent", "confirmed"]
    relay = twin.app.device.find(Obis.parse("0.0.96.3.10.255"))
    assert relay is not None and relay.get(2) is False
    r = await client.post("/meters/12345678/commands", json={"kind": "reconnect"})
    command = await finished(client, r.headers["location"])
    assert command["state"] == "confirmed", command
    assert '"control_state": "ready_for_reconnection"' in command["result"]  # its control mode
    assert relay.get(3) == 2  # the twin agrees: ready for reconnection
    r = await client.post("/meters/12345678/commands", json={"kind": "load_limit",
                                                             "threshold": 4200})  # fmt: skip
    command = await finished(client, r.headers["location"])
    assert command["state"] == "confirmed", command
    assert twin.app.device.find(Obis.parse("0.0.17.0.0.255")).get(4) == 4200


async def test_serve_all_over_real_sockets_a_power_return_is_collected(
    sqlite_store: Store,
) -> None:
    store = sqlite_store
    time = SteppedTime(EPOCH)
    twin = await start_twin(history_days=1, time_base=time)
    from openamr.aio.push import PushDelivery

    served = twin.served[0].meter
    delivery = PushDelivery(twin.app.logical_address, repetition_delay=0.05)
    served.peripherals.push.send = delivery
    ready: asyncio.Queue[Running] = asyncio.Queue()
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_all(
        store, KEK, Policy(), None, stop, Endpoints("127.0.0.1", 0, "127.0.0.1", 0), now=time,
        started=ready.put_nowait,
    ))  # fmt: skip
    try:
        running = await asyncio.wait_for(ready.get(), 10)
        base = f"http://127.0.0.1:{running.api_port}"
        async with httpx.AsyncClient(base_url=base) as client:
            body = meter_body("12345678", twin.url("wrapper"),
                              logical_device_name=f"ISK{'12345678':0>13}")  # fmt: skip
            assert (await client.post("/meters", json=body)).status_code == 201
            setup = twin.app.device.find(Obis.parse("0.0.25.9.0.255"))
            where = f"127.0.0.1:{running.listen_port}".encode()
            assert setup.set(3, Structure((Enum(0), OctetString(where), Enum(0)))).name == "SUCCESS"
            start = int(time().timestamp()) + 5
            served.twin.inject(Disturbance(start, start + 60, None,
                                             DisturbanceKind.POWER_FAILURE, 0.0))  # fmt: skip
            time.step(120)
            served.refresh()
            await asyncio.wait_for(delivery.wait(), 10)
            for _ in range(500):
                sessions = (await client.get("/meters/12345678/sessions")).json()
                if sessions:
                    break
                await asyncio.sleep(0.02)
            assert sessions and sessions[0]["outcome"] == "ok", sessions
            alarms = (await client.get("/alarms", params={"serial": "12345678"})).json()
            assert [a["code"] for a in alarms] == [0x0040, 0x0080]
            events = (await client.get("/meters/12345678/events")).json()
            assert {0x0040, 0x0080} <= {e["code"] for e in events}  # the log-book was read
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
        await stop_twin(twin)
