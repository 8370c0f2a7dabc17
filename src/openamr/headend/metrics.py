"""Prometheus metrics of the head-end (``GET /metrics``, the text exposition format
0.0.4, written by ``prometheus_client``), computed at each scrape from the
database and the running scheduler and listener:

==================================================  ======================================
metric                                              what
==================================================  ======================================
``openamr_sessions_total{outcome,reason}``          sessions stored, by outcome and the
                                                    class of their failure (see REASONS)
``openamr_readings_stored_total``                   readings stored by sessions
``openamr_reads_per_second``                        readings stored per second, last 60 s
``openamr_queue_depth{cell}``                       jobs waiting per GSM cell
``openamr_sessions_running``                        sessions under way
``openamr_alarms_total``                            alarms stored
``openamr_alarms_per_second``                       alarms received per second, last 60 s
``openamr_pushes_total{result}``                    pushes the listener took: stored,
                                                    duplicate, refused
``openamr_completeness_ratio{day}``                 yesterday's (UTC) load-profile
                                                    intervals received / expected, fleet
``openamr_meters{state}``                           meters of the inventory
==================================================  ======================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from openamr.headend import schema
from openamr.headend.store import Store

if TYPE_CHECKING:
    from openamr.headend.listener import AlarmListener
    from openamr.headend.runner import Runner

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DAY = 86400
PROFILE = "1.0.99.1.0.255/"
INTERVALS_PER_DAY = DAY // 900
RATE_WINDOW = 60
#: (words in a failure's reason, its class): the first that matches
REASONS = (
    ("cannot connect", "connect"),
    ("refused the connection", "connect"),
    ("timed out", "timeout"),
    ("timeout", "timeout"),
    ("no answer", "timeout"),
    ("authentication", "association_refused"),
    ("association refused", "association_refused"),
    ("connection lost", "connection_lost"),
    ("closed", "connection_lost"),
    ("denied", "refused"),
    ("refused", "refused"),
    ("keys", "credentials"),
    ("head-end", "headend"),
)


def reason_class(reason: str) -> str:
    """A failure's reason as a label of few values (reasons name meters and URLs)."""
    if not reason:
        return "none"
    low = reason.lower()
    return next((label for words, label in REASONS if words in low), "other")


class _Families:
    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def render(
    store: Store, now: int, runner: Runner | None = None, listener: AlarmListener | None = None
) -> bytes:
    """The metrics as the text format."""
    families = [*await _from_db(store, now), *_live(runner, listener)]
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(families))
    return generate_latest(registry)


async def _from_db(store: Store, now: int) -> list[Metric]:
    s, a, r, m = schema.sessions, schema.alarms, schema.readings, schema.meters
    day_end = now // DAY * DAY
    async with store.engine.connect() as conn:
        grouped = (
            await conn.execute(
                select(s.c.outcome, s.c.reason, func.count()).group_by(s.c.outcome, s.c.reason)
            )
        ).all()
        stored = await conn.scalar(select(func.coalesce(func.sum(s.c.readings), 0)))
        recent = await conn.scalar(
            select(func.coalesce(func.sum(s.c.readings), 0)).where(s.c.ended > now - RATE_WINDOW)
        )
        alarms = await conn.scalar(select(func.count()).select_from(a))
        recent_alarms = await conn.scalar(
            select(func.count()).select_from(a).where(a.c.received > now - RATE_WINDOW)
        )
        entries = (
            select(r.c.meter_id, r.c.ts)
            .distinct()
            .where(
                r.c.channel >= PROFILE,
                r.c.channel < PROFILE + "\uffff",
                r.c.ts > day_end - DAY,
                r.c.ts <= day_end,
            )
            .subquery()
        )
        received = await conn.scalar(select(func.count()).select_from(entries))
        states = (await conn.execute(select(m.c.state, func.count()).group_by(m.c.state))).all()
    sessions = CounterMetricFamily(
        "openamr_sessions",
        "Sessions stored, by outcome and failure class",
        labels=["outcome", "reason"],
    )
    by: Counter[tuple[str, str]] = Counter()
    for outcome, reason, n in grouped:
        by[(str(outcome), reason_class(str(reason)))] += int(n)
    for (outcome, label), n in sorted(by.items()):
        sessions.add_metric([outcome, label], n)
    meters = GaugeMetricFamily("openamr_meters", "Meters of the inventory", labels=["state"])
    active = 0
    for state, n in states:
        meters.add_metric([str(state)], int(n))
        active += int(n) if state == "active" else 0
    completeness = GaugeMetricFamily(
        "openamr_completeness_ratio",
        "Load-profile intervals received over expected, the fleet's active meters, one UTC day",
        labels=["day"],
    )
    expected = active * INTERVALS_PER_DAY
    day = _iso_day(day_end - DAY)
    completeness.add_metric([day], min(1.0, int(received or 0) / expected) if expected else 0.0)
    return [
        sessions,
        CounterMetricFamily(
            "openamr_readings_stored", "Readings stored by sessions", value=int(stored or 0)
        ),
        GaugeMetricFamily(
            "openamr_reads_per_second",
            "Readings stored per second, last 60 s",
            value=int(recent or 0) / RATE_WINDOW,
        ),
        CounterMetricFamily("openamr_alarms", "Alarms stored", value=int(alarms or 0)),
        GaugeMetricFamily(
            "openamr_alarms_per_second",
            "Alarms received per second, last 60 s",
            value=int(recent_alarms or 0) / RATE_WINDOW,
        ),
        completeness,
        meters,
    ]


def _live(runner: Runner | None, listener: AlarmListener | None) -> Iterable[Metric]:
    if runner is not None:
        depth = GaugeMetricFamily(
            "openamr_queue_depth", "Jobs waiting, per GSM cell", labels=["cell"]
        )
        for cell, n in sorted(runner.scheduler.pending_by_cell().items(), key=_cell_key):
            depth.add_metric(["none" if cell is None else str(cell)], n)
        yield depth
        yield GaugeMetricFamily(
            "openamr_sessions_running", "Sessions under way", value=runner.scheduler.running
        )
    if listener is not None:
        pushes = CounterMetricFamily(
            "openamr_pushes", "Pushes the listener took", labels=["result"]
        )
        st = listener.stats
        for label, n in (
            ("stored", st.stored),
            ("duplicate", st.duplicates),
            ("refused", st.refused),
        ):
            pushes.add_metric([label], n)
        yield pushes


def _cell_key(item: tuple[int | None, Any]) -> tuple[int, int]:
    return (0, item[0]) if item[0] is not None else (1, 0)


def _iso_day(ts: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()
