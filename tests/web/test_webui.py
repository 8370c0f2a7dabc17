"""The head-end page's endpoints on a fleet of 10,000 meters (tests/web/seed.py): the
counts match what was seeded, every answer is a page (a few KiB, whatever the fleet's
size), filters combine, bad filters are refused with the field, the page's static
files are served, and the alarm stream sends what is stored after where it starts."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from openamr.headend.api import create_app
from openamr.headend.ondemand import OnDemand
from openamr.headend.store import Store
from tests.web.seed import seed

NOW = dt.datetime(2026, 12, 3, 17, 0, tzinfo=dt.UTC)


def at_now() -> dt.datetime:
    return NOW


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    store = await Store.open(f"sqlite:///{tmp_path_factory.mktemp('web') / 'h.db'}")
    seeded = await seed(store, int(NOW.timestamp()))
    ondemand = OnDemand(store, None, at_now)
    app = create_app(store, None, ondemand, at_now)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h") as c:
        yield c, seeded
    await ondemand.close()
    await store.close()


pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_the_counts_are_the_seeded_fleet_s(fleet: tuple[Any, dict[str, Any]]) -> None:
    client, seeded = fleet
    r = await client.get("/fleet/summary")
    s = r.json()
    assert s["meters"] == 10_000
    assert s["collected_today"] == s["online"] == seeded["collected"]
    assert s["failed"] == seeded["failed"]
    assert s["alarms_open"] == seeded["alarms"]
    assert len(s["groups"]) == 20 and len(s["cells"]) == 50
    assert len(r.content) < 2000
    one = (await client.get("/fleet/summary", params={"group": "feeder-03", "cell": 1003})).json()
    assert one["meters"] == 10_000 // 100  # i % 20 == 3 and i % 50 == 3: every 100th
    failed = (await client.get("/fleet/summary", params={"status": "failed"})).json()
    assert failed["meters"] == failed["failed"] == seeded["failed"]


async def test_every_fleet_answer_is_a_page(fleet: tuple[Any, dict[str, Any]]) -> None:
    client, _ = fleet
    r = await client.get("/fleet/meters", params={"offset": 9_990, "limit": 50})
    page = r.json()
    assert page["total"] == 10_000 and len(page["meters"]) == 10
    assert page["meters"][-1]["serial"] == "10010000"
    assert len(r.content) < 20_000
    heat = (await client.get("/fleet/completeness")).json()
    assert heat["total"] == 20 and len(heat["rows"]) == 20 and len(heat["days"]) == 14
    assert all(r["meters"] == 500 for r in heat["rows"])
    assert heat["expected"][-1] == 17 * 4  # today: the intervals ended by 17:00
    assert heat["rows"][0]["percent"][-1] == 0 and 90 <= heat["rows"][0]["percent"][-2] <= 100
    by_meter = await client.get("/fleet/completeness", params={"by": "meter", "limit": 50})
    assert by_meter.json()["total"] == 10_000 and len(by_meter.json()["rows"]) == 50
    assert len(by_meter.content) < 10_000


async def test_one_meter_in_one_request_and_its_profile_in_another(
    fleet: tuple[Any, dict[str, Any]],
) -> None:
    client, _ = fleet
    o = (await client.get("/meters/10000001/overview")).json()
    assert o["meter"]["serial"] == "10000001" and "ek" not in o["meter"]
    assert len(o["clock"]) == 13 and o["clock"][-1]["offset_s"] > o["clock"][0]["offset_s"]
    p = (await client.get("/meters/10000001/profile", params={"days": 7})).json()
    assert len(p["ts"]) == 7 * 96
    assert [c["name"] for c in p["columns"]] == ["A+ total", "A- total"]
    assert all(len(c["values"]) == len(p["ts"]) and c["unit"] == "Wh" for c in p["columns"])
    assert (await client.get("/meters/99999999/overview")).status_code == 404


async def test_bad_filters_name_the_field(fleet: tuple[Any, dict[str, Any]]) -> None:
    client, _ = fleet
    for params, field in (({"state": "gone"}, "state"), ({"cell": "x"}, "cell"),
                          ({"limit": 0}, "limit"), ({"by": "cell"}, "by")):  # fmt: skip
        path = "/fleet/completeness" if "by" in params else "/fleet/meters"
        r = await client.get(path, params=params)
        assert r.status_code == 422, (params, r.text)
        assert field in r.json()["error"]


async def test_the_page_is_served_from_the_package(fleet: tuple[Any, dict[str, Any]]) -> None:
    client, _ = fleet
    assert (await client.get("/")).headers["location"] == "/ui/"
    page = await client.get("/ui/")
    assert page.status_code == 200 and "app.js" in page.text
    for name in ("app.js", "plot.js", "style.css"):
        assert (await client.get(f"/ui/{name}")).status_code == 200
    assert "http" not in (await client.get("/ui/app.js")).text.replace("http.", "")


async def test_the_alarm_stream_resumes_after_an_id(fleet: tuple[Any, dict[str, Any]]) -> None:
    client, _ = fleet
    stored = sorted(x["id"] for x in (await client.get("/alarms")).json())
    after = stored[-3]
    r = await client.get("/alarms/stream", params={"after": after, "timeout": 0.2})
    assert r.headers["content-type"].startswith("text/event-stream")
    ids = [int(line[4:]) for line in r.text.splitlines() if line.startswith("id: ")]
    assert ids == stored[-2:]
    assert "event: alarm" in r.text and '"serial"' in r.text
