"""VEE against the store: load a meter's load profile and billing registers, run the
sans-IO rules of :mod:`openamr.headend.vee`, and keep the findings in ``reading_vee``
beside the raw readings (which are never changed). A run over a range replaces the
findings of that range: running it twice gives the same table.

The similar days of previous weeks are loaded only when a gap is long enough to need
them (:func:`openamr.headend.vee.needs_history`), so that VEE after each collection
reads about two days of profile per meter.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import and_, delete, select

from openamr.headend import schema, vee
from openamr.headend.model import MeterRecord
from openamr.headend.store import Store

PROFILE = "1.0.99.1.0.255"
DAY = 86400


@dataclass(slots=True)
class VeeReport:
    """What a run did, over all its meters."""

    meters: int = 0
    intervals: int = 0  # profile entries looked at
    findings: int = 0
    estimated: int = 0
    edited: int = 0
    flags: Counter[str] = field(default_factory=Counter)

    def add(self, other: VeeReport) -> None:
        self.meters += other.meters
        self.intervals += other.intervals
        self.findings += other.findings
        self.estimated += other.estimated
        self.edited += other.edited
        self.flags.update(other.flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "meters": self.meters, "intervals": self.intervals, "findings": self.findings,
            "estimated": self.estimated, "edited": self.edited, "flags": dict(self.flags),
        }  # fmt: skip


@dataclass(slots=True)
class _Loaded:
    series: dict[str, vee.Series] = field(default_factory=dict)
    registers: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)


async def _load(store: Store, meter_id: int, profile: str, start: int, end: int) -> _Loaded:
    """Every reading of the meter in ``[start, end]``, in one query: the profile's
    columns as series, the registers (one reading a session) as (time, value)."""
    out = _Loaded()
    prefix = profile + "/"
    rows: Sequence[Any]
    if store.fast is not None:  # SQLite's hot path (the same query)
        rows = await store.fast.window(meter_id, start, end)
    else:
        r = schema.readings
        query = (
            select(r.c.channel, r.c.ts, r.c.value, r.c.status, r.c.unit)
            .where(r.c.meter_id == meter_id, r.c.ts.between(start, end))
            .order_by(r.c.channel, r.c.ts)
        )
        async with store.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
    for channel, group in itertools.groupby(rows, key=itemgetter(0)):  # sorted by channel
        got = list(group)
        if channel.startswith(prefix):
            out.series[channel] = vee.Series(
                channel, [int(r[1]) for r in got], [float(r[2]) for r in got],
                [None if r[3] is None else int(r[3]) for r in got],
            )  # fmt: skip
            out.units[channel] = got[0][4]
        else:
            out.registers[channel] = [(int(r[1]), float(r[2])) for r in got]
    return out


async def run_meter(
    store: Store, meter_id: int, start: int, end: int, rules: vee.Rules, now: int,
    profile: str = PROFILE,
) -> VeeReport:  # fmt: skip
    """VEE of one meter's profile for interval ends in ``[start, end]``."""
    margin = DAY
    loaded = await _load(store, meter_id, profile, start - margin, end + margin)
    if vee.needs_history(loaded.series.values(), rules, start, end) and rules.similar_weeks:
        earlier = start - rules.similar_weeks * vee.WEEK - margin
        loaded = await _load(store, meter_id, profile, earlier, end + margin)
    report = VeeReport(meters=1)
    findings: list[vee.Finding] = []
    for channel, s in loaded.series.items():
        report.intervals += sum(1 for t in s.times if start <= t <= end)
        reads = loaded.registers.get(channel.split("/", 1)[1], [])
        findings += vee.validate(s, rules, start, end, reads)
    units = loaded.units
    prefix = profile + "/"
    rows = [
        {"meter_id": meter_id, "channel": f.channel, "ts": f.ts, "flags": int(f.flags),
         "method": str(f.method), "value": f.value, "original": f.original,
         "unit": units.get(f.channel, ""), "run": now}
        for f in findings
    ]  # fmt: skip
    if store.fast is not None:  # SQLite's hot path (the same statements)
        await store.fast.replace_vee(meter_id, prefix, start, end, rows)
    else:
        t = schema.reading_vee
        async with store.engine.begin() as conn:
            await conn.execute(
                delete(t).where(
                    and_(t.c.meter_id == meter_id, t.c.channel >= prefix,
                         t.c.channel < prefix + "\uffff", t.c.ts.between(start, end))
                )
            )  # fmt: skip
            if rows:
                await conn.execute(t.insert(), rows)
    for f in findings:
        report.findings += 1
        report.estimated += f.estimated
        report.edited += f.edited
        report.flags.update(vee.flag_names(f.flags))
    return report


async def run(
    store: Store, meters: Sequence[MeterRecord], start: int, end: int, rules: vee.Rules,
    now: int,
) -> VeeReport:  # fmt: skip
    """VEE of each meter in turn."""
    report = VeeReport()
    for m in meters:
        assert m.id is not None
        report.add(await run_meter(store, m.id, start, end, rules, now))
    return report


async def findings(
    store: Store, meter_id: int, start: int | None = None, end: int | None = None
) -> list[dict[str, Any]]:
    t = schema.reading_vee
    query = select(t).where(t.c.meter_id == meter_id).order_by(t.c.channel, t.c.ts)
    if start is not None:
        query = query.where(t.c.ts >= start)
    if end is not None:
        query = query.where(t.c.ts <= end)
    async with store.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {"channel": r.channel, "ts": r.ts, "flags": vee.flag_names(r.flags), "method": r.method,
         "value": r.value, "original": r.original, "unit": r.unit}
        for r in rows
    ]  # fmt: skip
