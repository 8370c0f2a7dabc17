"""A head-end database as a fleet of 10,000 meters leaves it, written in bulk: the
inventory in 20 groups and 50 cells, 14 days of profile completeness, today's
sessions (most ok, some failed, some not yet), open alarms, and one meter with a
week of load profile, clock offsets and events. For the web page's tests and bench
(what the aggregating endpoints cost does not depend on how the rows got there)."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import insert

from openamr.headend import schema
from openamr.headend.store import Store

DAY = 86400
PROFILE = "1.0.99.1.0.255/"


def serial_of(i: int) -> str:
    return f"{10000001 + i}"


async def seed(store: Store, now: int, meters: int = 10_000, days: int = 14) -> dict[str, Any]:
    rng = random.Random(7)
    today = (now - 1) // DAY
    inventory = [
        {"id": i + 1, "serial": serial_of(i), "url": f"tcp://127.1.{i // 250}.{i % 250 + 1}:4059",
         "client": 1, "auth": "high", "cell": 1000 + i % 50, "group_name": f"feeder-{i % 20:02d}",
         "logical_device_name": f"ISK{10000001 + i:013d}", "firmware": "MT372-1004",
         "created": now - days * DAY, "updated": now - days * DAY}
        for i in range(meters)
    ]  # fmt: skip
    completeness = [
        {"meter_id": i + 1, "day": today - d,
         "received": 96 if rng.random() > 0.05 else rng.randrange(0, 96)}
        for i in range(meters) for d in range(1, days)
    ]  # fmt: skip
    sessions, alarms = [], []
    failed = collected = 0
    for i in range(meters):
        roll = rng.random()
        if roll < 0.9:
            outcome, collected = "ok", collected + 1
        elif roll < 0.95:
            outcome, failed = "failed", failed + 1
        else:
            continue  # not reached yet today
        started = now - rng.randrange(60, 3600)
        sessions.append({"meter_id": i + 1, "started": started, "ended": started + 2,
                         "bytes_sent": 900, "bytes_received": 9000, "outcome": outcome,
                         "reason": "" if outcome == "ok" else "connection refused",
                         "readings": 200, "clock_offset_s": None})  # fmt: skip
    for k in range(300):
        i = rng.randrange(meters)
        alarms.append({"meter_id": i + 1, "sender": serial_of(i), "ts": now - k * 60,
                       "code": 0x8010, "name": "meter cover opened", "received": now - k * 60,
                       "state": "open"})  # fmt: skip
    one = 1  # the meter with a week of load profile
    readings = []
    energy = {"1.0.1.8.0.255": 1_000_000.0, "1.0.2.8.0.255": 50_000.0}
    for k in range(7 * 96):
        ts = (now // 900 - 7 * 96 + k + 1) * 900
        for obis in energy:
            energy[obis] += rng.uniform(50, 400) if obis.startswith("1.0.1") else rng.uniform(0, 60)
            readings.append({"meter_id": one, "channel": f"{PROFILE}{obis}:2", "ts": ts,
                             "value": energy[obis], "unit": "Wh", "status": 0,
                             "quality": 0})  # fmt: skip
    for d in range(1, days):  # a session a day, its clock drifting 0.4 s a day
        at = now - d * DAY - 7200
        sessions.append({"meter_id": one, "started": at, "ended": at + 2,
                         "bytes_sent": 900, "bytes_received": 9000, "outcome": "ok",
                         "reason": "", "readings": 96,
                         "clock_offset_s": 0.4 * (days - d)})  # fmt: skip
    async with store.engine.begin() as conn:
        await conn.execute(insert(schema.meters), inventory)
        await conn.execute(insert(schema.profile_days), completeness)
        await conn.execute(insert(schema.sessions), sessions)
        await conn.execute(insert(schema.alarms), alarms)
        await conn.execute(insert(schema.readings), readings)
    return {"meters": meters, "collected": collected, "failed": failed, "alarms": len(alarms)}
