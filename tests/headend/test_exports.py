"""Exports of stored readings with VEE's quality, each checked by a reader nobody
here wrote: CSV by the standard library's csv module, the CIM XML against the
published MeterReadings XSD (tests/vectors/cim/, its source named there) with
libxml2's validator (lxml), MSCONS by pydifact and against the UN/EDIFACT D.04B MSCONS structure and
the envelope counts by Bots (tests/headend/edifact_oracle.py)."""

from __future__ import annotations

import csv
import functools
import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from openamr.headend import quality
from openamr.headend.exports import ExportRow, source
from openamr.headend.exports.cim import NAMESPACE, CimWriter
from openamr.headend.exports.csv import COLUMNS, CsvWriter
from openamr.headend.exports.mscons import MsconsWriter
from openamr.headend.model import MeterRecord, Reading
from openamr.headend.store import Store
from openamr.headend.vee import Rules

etree = pytest.importorskip("lxml.etree")

XSD = Path(__file__).resolve().parents[1] / "vectors" / "cim" / "MeterReadings.xsd"
P = 900
T0 = 1_767_225_600  # 2026-01-01T00:00Z
N = 2 * 96  # two days
PLUS = "1.0.99.1.0.255/1.0.1.8.0.255:2"
MINUS = "1.0.99.1.0.255/1.0.2.8.0.255:2"
GAP = {50, 51, 52}  # three missing intervals: estimated linearly
EDITED = 120  # one entry read low: edited


@functools.cache
def meter_readings_schema() -> Any:
    return etree.XMLSchema(etree.parse(str(XSD)))


async def stored(store: Store) -> MeterRecord:
    await store.put_meter(MeterRecord("12345678", "tcp://127.0.0.1:1", auth="none"), None, 1)
    await store.put_meter(MeterRecord("87654321", "tcp://127.0.0.1:2", auth="none"), None, 1)
    meter = await store.meter("12345678")
    other = await store.meter("87654321")
    assert meter.id is not None and other.id is not None
    rows = []
    for i in range(N):
        ts = T0 + i * P
        plus = 10_000.0 + 100.0 * i
        if i == EDITED:
            plus -= 4000
        if i not in GAP:
            status = 0x80 if i == 10 else 0
            rows.append(Reading(meter.id, PLUS, ts, plus, "Wh", status, 1 if status else 0))
            rows.append(Reading(meter.id, MINUS, ts, 500.0 + i, "Wh", status, 1 if status else 0))
        rows.append(Reading(other.id, PLUS, ts, 7.0 * i, "Wh", 0, 0))
    rows.append(Reading(meter.id, "1.0.1.8.0.255:2", T0 + 60, 10_006.0, "Wh", None, 0))
    rows.append(Reading(meter.id, "8.0.1.0.0.255:2", T0 + 60, 12.5, "m3", None, 0))
    await store.add_readings(rows)
    report = await quality.run(store, [meter, other], T0, T0 + (N - 1) * P, Rules(), now=2)
    assert report.estimated == 2 * len(GAP) and report.edited == 1
    return meter


async def export(store: Store, writer: object, batch: int = 5000) -> str:
    meters = await store.meters()
    parts = [writer.begin()]  # type: ignore[attr-defined]
    async for rows in source.rows(store, meters, T0, T0 + (N - 1) * P, batch=batch):
        assert len(rows) <= batch + len(GAP) * 2
        parts.append(writer.rows(rows))  # type: ignore[attr-defined]
    parts.append(writer.end())  # type: ignore[attr-defined]
    return "".join(parts)


async def test_csv_has_every_reading_and_the_estimates_with_their_quality(
    sqlite_store: Store,
) -> None:
    await stored(sqlite_store)
    text = await export(sqlite_store, CsvWriter())
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    mine = [r for r in rows if r["meter"] == "12345678"]
    assert len(mine) == 2 * N + 2  # the gap's intervals are rows too, estimated
    by = {(r["channel"], r["time"]): r for r in mine}
    gap = by[(PLUS, "2026-01-01T12:30:00Z")]  # entry 50
    assert gap["quality"] == "estimated;gap" and gap["method"] == "linear"
    assert float(gap["value"]) == 10_000.0 + 100.0 * 50 and gap["original"] == ""
    edited = by[(PLUS, "2026-01-02T06:00:00Z")]  # entry 120
    assert edited["quality"] == "edited;backwards" and edited["method"] == "linear"
    assert float(edited["value"]) == 10_000.0 + 100.0 * 120
    assert float(edited["original"]) == 10_000.0 + 100.0 * 120 - 4000  # the raw value kept
    flagged = by[(PLUS, "2026-01-01T02:30:00Z")]  # entry 10: power down
    assert flagged["status"] == "0x80" and "meter_flagged" in flagged["quality"]
    # the raw readings are untouched
    raw = await sqlite_store.readings(channel=PLUS, start=T0 + EDITED * P, end=T0 + EDITED * P)
    assert [r.value for r in raw if r.meter_id == 1] == [10_000.0 + 100.0 * 120 - 4000]
    # a small batch streams the same text
    assert await export(sqlite_store, CsvWriter(), batch=7) == text


async def test_cim_is_valid_against_the_meterreadings_schema(sqlite_store: Store) -> None:
    await stored(sqlite_store)
    text = await export(sqlite_store, CimWriter())
    schema = meter_readings_schema()
    schema.assertValid(etree.fromstring(text.encode()))  # raises naming the first violation
    ns = {"m": NAMESPACE}
    root = ET.fromstring(text)
    readings = root.findall("m:MeterReading", ns)
    assert [r.findtext("m:Meter/m:mRID", namespaces=ns) for r in readings] == [
        "12345678", "87654321"]  # fmt: skip
    blocks = readings[0].findall("m:IntervalBlocks", ns)
    assert [len(b.findall("m:IntervalReadings", ns)) for b in blocks] == [N, N]
    estimated = [
        i for i in blocks[0].findall("m:IntervalReadings", ns)
        if i.find("m:ReadingQualities/m:ReadingQualityType[@ref='2.8.0']", ns) is not None
    ]  # fmt: skip
    assert len(estimated) == len(GAP)
    assert len(readings[0].findall("m:Readings", ns)) == 2  # A+ total and the water register
    codes = {q.findtext("m:mRID", namespaces=ns) for q in root.findall("m:ReadingQualityType", ns)}
    assert codes == {"1.2.32", "2.6.0", "2.7.0", "2.8.0"}
    bad = text.replace("<Meter>", "<Meter><bogus/>", 1)
    assert not schema.validate(etree.fromstring(bad.encode()))  # the oracle does reject it


async def test_mscons_is_valid_edifact_with_the_interval_energy(sqlite_store: Store) -> None:
    from tests.headend.edifact_oracle import bots_errors, segments

    await stored(sqlite_store)
    writer = MsconsWriter(T0 + 2 * 86400, "OA1", period=(T0, T0 + (N - 1) * P))
    text = await export(sqlite_store, writer)
    assert bots_errors(text) == []
    found = segments(text)
    tags = [s.tag for s in found]
    assert tags[0] == "UNB" and tags[-1] == "UNZ" and tags.count("UNH") == 2
    assert found[-1].elements[0] == "2" and found[-1].elements[1] == found[0].elements[4]
    starts = [i for i, t in enumerate(tags) if t == "UNH"]
    ends = [i for i, t in enumerate(tags) if t == "UNT"]
    for a, b in zip(starts, ends, strict=True):
        assert int(found[b].elements[0]) == b - a + 1  # UNT counts UNH to UNT
    first = found[starts[0] : ends[0] + 1]
    qty = [s for s in first if s.tag == "QTY"]
    assert len(qty) == 2 * (N - 1)  # every interval of both channels, the gap estimated
    lines = [s for s in first if s.tag == "PIA"]
    assert [s.elements[1][0] for s in lines] == ["1-0:1.29.0", "1-0:2.29.0"]
    plus = qty[: N - 1]
    assert sum(float(s.elements[0][1]) for s in plus) == pytest.approx((N - 1) * 0.1)
    substitutes = [i for i, s in enumerate(plus) if s.elements[0][0] == "67"]
    assert substitutes == [49, 50, 51, 52, EDITED - 1, EDITED]  # intervals touching them
    assert {s.elements[0][2] for s in qty} == {"KWH"}
    broken = text.replace("UNZ+2+", "UNZ+3+")
    assert bots_errors(broken)  # the oracle does catch a wrong count


def test_mscons_splits_a_long_line_and_refuses_a_bad_reference() -> None:
    from tests.headend.edifact_oracle import bots_errors

    rows = [ExportRow("1", PLUS, T0 + i * P, float(i), "Wh", None, 0, 0, "", None)
            for i in range(12)]  # fmt: skip
    writer = MsconsWriter(T0, "R1", max_qty=5)  # D.04B allows 9,999 QTY in one LIN
    text = writer.begin() + writer.rows(rows) + writer.end()
    assert text.count("LIN+") == 3 and text.count("QTY+") == 11 and bots_errors(text) == []
    with pytest.raises(ValueError, match="reference"):
        MsconsWriter(T0, "not a ref")


async def test_the_api_streams_exports_and_runs_vee(sqlite_store: Store) -> None:
    import datetime as dt

    import httpx

    from openamr.headend.api import create_app
    from openamr.headend.ondemand import OnDemand

    await stored(sqlite_store)

    def now() -> dt.datetime:
        return dt.datetime.fromtimestamp(T0 + 3 * 86400, dt.UTC)

    ondemand = OnDemand(sqlite_store, None, now)
    app = create_app(sqlite_store, None, ondemand, now)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://headend") as client:
            r = await client.post("/vee", json={"serial": "12345678", "start": T0,
                                                "end": T0 + (N - 1) * P})  # fmt: skip
            assert r.status_code == 200, r.text
            assert r.json()["estimated"] == len(GAP) * 2 and r.json()["edited"] == 1
            found = (await client.get("/meters/12345678/vee")).json()
            assert {f["method"] for f in found} == {"linear", ""}
            r = await client.get("/export", params={"format": "cim", "serial": "12345678"})
            assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
            meter_readings_schema().assertValid(etree.fromstring(r.content))
            r = await client.get("/export", params={"format": "mscons", "start": T0,
                                                    "end": T0 + (N - 1) * P})  # fmt: skip
            assert r.text.startswith("UNA") and r.text.rstrip().endswith("'")
            csv_text = (await client.get("/export", params={"group": ""})).text
            assert csv_text == await export(sqlite_store, CsvWriter())
            r = await client.get("/export", params={"format": "pdf"})
            assert r.status_code == 422 and "format" in r.json()["error"]
            r = await client.get("/export", params={"start": 10, "end": 5})
            assert r.status_code == 422 and "hint" in r.json()
            r = await client.post("/vee", json={"serial": "nope", "start": 0, "end": 1})
            assert r.status_code == 404 and "no meter nope" in r.json()["error"]
    finally:
        await ondemand.close()
