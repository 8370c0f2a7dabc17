"""Profile reads by range, by entry and with column selection, checked against the
twin's buffer (two days of quarter-hour rows ending 2026-01-01 00:00 UTC)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from openamr.client.errors import MeterError
from openamr.client.meter import connect
from openamr.codec.obis import Obis

from .conftest import CLIENTS, Twin

LP1 = "1.0.99.1.0.255"
A_PLUS, A_MINUS, STATUS = "1.0.1.8.0.255", "1.0.2.8.0.255", "1.0.96.240.0.255"
UTC = dt.UTC


def buffer(twin: Twin) -> list[tuple[Any, ...]]:
    lp: Any = twin.app.device.find(Obis.parse(LP1))
    return list(lp.rows)


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_by_range(twin: Twin, link: str, who: str) -> None:
    start = dt.datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
    end = start + dt.timedelta(hours=2)
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        lp = await meter.profile(LP1, start=start, end=end)
    stamps = lp.timestamps()
    assert stamps[0] == start and stamps[-1] == end and len(lp.rows) == 9  # inclusive
    rows = buffer(twin)
    first = next(i for i, r in enumerate(rows) if r == lp.rows[0])
    assert lp.rows == rows[first : first + 9]


async def test_open_ended_ranges(twin: Twin, link: str) -> None:
    since = dt.datetime(2025, 12, 31, 22, 0, tzinfo=UTC)
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        tail = await meter.profile(LP1, start=since)
        head = await meter.profile(LP1, end=dt.datetime(2025, 12, 30, 1, 0, tzinfo=UTC))
    assert len(tail.rows) == 9 and tail.rows == buffer(twin)[-9:]
    assert head.rows == buffer(twin)[: len(head.rows)] and 0 < len(head.rows) < 10


async def test_by_range_with_columns_in_the_order_asked(twin: Twin, link: str) -> None:
    start = dt.datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        lp = await meter.profile(LP1, start=start, end=start, columns=[A_PLUS, 0])
    assert [str(c.logical_name) for c in lp.columns] == [A_PLUS, "0.0.1.0.0.255"]
    (row,) = lp.rows
    full = next(r for r in buffer(twin) if r[0] == row[1])
    assert row == (full[2], full[0])


@pytest.mark.parametrize("who", ["lls", "hls"])
async def test_by_entry(twin: Twin, link: str, who: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS[who]) as meter:
        first_ten = await meter.profile(LP1, entries=(1, 10))
        newest = await meter.profile(LP1, entries=(190, 0))
        beyond = await meter.profile(LP1, entries=(500, 600))
    rows = buffer(twin)
    assert first_ten.rows == rows[:10] and newest.rows == rows[189:]
    assert beyond.rows == [] and len(beyond.columns) == 4


async def test_by_entry_with_columns(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        span = await meter.profile(LP1, entries=(5, 6), columns=[STATUS, A_PLUS])
        gaps = await meter.profile(LP1, entries=(5, 6), columns=[A_MINUS, 0])
        only = await meter.profile(LP1, columns=[2])
    rows = buffer(twin)
    assert span.rows == [r[1:3] for r in rows[4:6]]
    assert [str(c.logical_name) for c in gaps.columns] == [A_MINUS, "0.0.1.0.0.255"]
    assert gaps.rows == [(r[3], r[0]) for r in rows[4:6]]
    assert only.rows == [(r[2],) for r in rows]


async def test_bad_columns_and_mixed_selections(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["lls"]) as meter:
        with pytest.raises(MeterError, match=re.escape("1.0.32.7.0.255 is not a capture object")):
            await meter.profile(LP1, columns=["1.0.32.7.0.255"])
        with pytest.raises(MeterError, match="no column 9 of 4"):
            await meter.profile(LP1, columns=[9])
        with pytest.raises(ValueError, match="not both"):
            await meter.profile(LP1, start=dt.datetime(2026, 1, 1, tzinfo=UTC), entries=(1, 2))


async def test_daily_profile_and_billing(twin: Twin, link: str) -> None:
    async with connect(twin.url(link), timeout=3, **CLIENTS["hls"]) as meter:
        daily = await meter.profile("1.0.99.2.0.255")
        monthly = await meter.profile("1.0.98.1.0.255", entries=(1, 0))
    held: Any = twin.app.device.find(Obis.parse("1.0.99.2.0.255"))
    billing: Any = twin.app.device.find(Obis.parse("1.0.98.1.0.255"))
    assert len(daily.columns) == len(held.fields) == 6 and daily.rows == held.rows
    assert len(monthly.columns) == len(billing.fields) and monthly.rows == billing.rows
