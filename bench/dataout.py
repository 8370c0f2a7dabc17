"""The head-end's data out: VEE of a year of 15-minute load profile (35,040 entries
on each of A+ and A-, a daily A+ register, some short gaps, a two-day gap, a spike
and a zero run), sans-IO and against SQLite; and the exports of that year (70,080
profile rows) in CSV, CIM XML and MSCONS, streamed out of SQLite.

Bounds: one Python pass taking the interval energies of both channels (the least
any VEE must do); the bare sqlite3 SELECT of the same rows, not formatted.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from bench import Case, suite
from bench.headend import _Loop

P = 900
T0 = 1_767_225_600  # 2026-01-01T00:00Z
YEAR = 365 * 96
PLUS = "1.0.99.1.0.255/1.0.1.8.0.255:2"
MINUS = "1.0.99.1.0.255/1.0.2.8.0.255:2"


def year_of_profile() -> tuple[dict[str, tuple[list[int], list[float], list[int]]], set[int]]:
    """(channel -> (times, values, status)), the indices left out."""
    rng = random.Random(14)
    drop = {rng.randrange(YEAR) for _ in range(300)}  # short gaps
    drop |= set(range(YEAR - 10 * 96, YEAR - 8 * 96))  # two days: from similar days
    out = {}
    for channel, scale in ((PLUS, 1.0), (MINUS, 0.2)):
        times, values, status = [], [], []
        acc = 1_000_000.0
        for i in range(YEAR):
            hour = (i // 4) % 24
            e = scale * (60.0 if hour < 6 else 250.0) * (0.8 + 0.4 * rng.random())
            if 20_000 <= i < 20_100:
                e = 0.0  # a zero run
            if i == 30_000:
                e = 9_000.0  # a spike
            acc += round(e)
            if i not in drop:
                times.append(T0 + i * P)
                values.append(acc)
                status.append(0)
        out[channel] = (times, values, status)
    return out, drop


@suite("dataout", "VEE of one meter's year of 15-minute profile", unit="meters", items=1)
def vee_year() -> list[Case]:
    from openamr.headend import quality
    from openamr.headend.vee import Rules, Series, validate

    data, drop = year_of_profile()
    rules = Rules()
    end = T0 + (YEAR - 1) * P

    def sans_io() -> int:
        found = 0
        for channel, (t, v, s) in data.items():
            found += len(validate(Series(channel, list(t), list(v), list(s)), rules, T0, end))
        return found

    loop, store, meters, _ = _stored_year()
    meter_id = meters[0].id

    def stored() -> int:
        report = loop.run(quality.run_meter(store, meter_id, T0, end, rules, now=1))
        return int(report.findings)

    def bound() -> int:
        n = 0
        for t, v, _ in data.values():
            deltas = [b - a for a, b in itertools.pairwise(v)]
            n += len(deltas) + len(t)
        return n

    def check(out: object) -> None:
        if not isinstance(out, int) or out < 2 * len(drop):
            raise AssertionError(f"{out} findings: the gaps alone are {2 * len(drop)}")

    return [
        Case("openamr", sans_io, check, note="vee.validate, sans-IO, both channels"),
        Case(
            "openamr with SQLite",
            stored,
            check,
            note="quality.run_meter: load, validate, store the findings",
        ),
        Case("one pass of interval energies (no rule)", bound, bound=True),
    ]


def _stored_year() -> tuple[_Loop, Any, list[Any], int]:
    """A SQLite store holding :func:`year_of_profile` for meter "1"."""
    from openamr.headend.model import MeterRecord, Reading
    from openamr.headend.store import Store

    data, _ = year_of_profile()
    loop, tmp = _Loop(), Path(tempfile.mkdtemp(prefix="openamr-bench-"))
    store = loop.run(Store.open(f"sqlite:///{tmp / 'export.db'}"))
    meter_id = loop.run(store.put_meter(MeterRecord("1", "tcp://127.0.0.1:1"), None, 0))
    rows = [
        Reading(meter_id, c, ts, val, "Wh", st, 0)
        for c, (t, v, s) in data.items()
        for ts, val, st in zip(t, v, s, strict=True)
    ]
    loop.run(store.add_readings(rows))
    meters = loop.run(store.meters())
    return loop, store, meters, len(rows)


@suite("dataout", "export a year of 15-minute profile (one meter) from SQLite", unit="rows",
       items=69_102)  # fmt: skip
def export_year() -> list[Case]:
    from openamr.headend.exports.cim import CimWriter
    from openamr.headend.exports.csv import CsvWriter
    from openamr.headend.exports.mscons import MsconsWriter
    from openamr.headend.exports.source import write

    loop, store, meters, count = _stored_year()
    if count != 69_102:
        raise AssertionError(f"{count} rows stored; the suite's items say 69,102")

    def run(make: Any) -> int:
        async def go() -> int:
            size = 0
            async for chunk in write(store, make(), meters):
                size += len(chunk)
            return size

        return int(loop.run(go()))

    path = store.url.sqlalchemy_url.split(":///", 1)[1]
    raw = sqlite3.connect(path)

    def bound() -> int:
        cursor = raw.execute("SELECT channel, ts, value, unit, status, quality FROM readings "
                             "WHERE meter_id = 1 ORDER BY channel, ts")  # fmt: skip
        return len(cursor.fetchall())

    def check(out: object) -> None:
        if not isinstance(out, int) or out < 69_102 * 20:
            raise AssertionError(f"{out} characters: too few for 69,102 rows")

    return [
        Case("openamr", lambda: run(CsvWriter), check, note="CSV"),
        Case("openamr CIM", lambda: run(CimWriter), check, note="IEC 61968-9 MeterReadings"),
        Case(
            "openamr MSCONS",
            lambda: run(lambda: MsconsWriter(T0, "B1")),
            check,
            note="EDIFACT, interval energy",
        ),
        Case("sqlite3 SELECT (no formatting)", bound, bound=True),
    ]
