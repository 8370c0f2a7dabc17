"""The alert when an invocation counter nears the end of its space: a suite 0
invocation counter is 32 bits (Green Book 9.2.7.2.4.2: the last 4 bytes of the
IV) and must never repeat under one key. When a counter stored for a meter
(``invocation_counters``: ours, the meter's, its pushes') passes the threshold, an
alarm is stored once per meter and counter (``invocation counter near end``,
state open): rotate the meter's keys (:mod:`openamr.headend.keys`), which starts a
new space.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from openamr.headend import schema
from openamr.headend.store import Store

COUNTER_END = 0xFFFFFFFF
#: alarm codes of the head-end's own alerts (above the meters' 16-bit event codes)
COUNTER_ALARM = {"client": 0x10001, "server": 0x10002, "push": 0x10003}
DEFAULT_COUNTER_ALERT = 0xF0000000  # 15/16 of the space used


async def counter_alerts(
    store: Store,
    serial: str,
    meter_id: int | None,
    counters: dict[str, int],
    now: int,
    threshold: int = DEFAULT_COUNTER_ALERT,
) -> list[str]:
    """Store an alarm for each counter past ``threshold`` (once per meter and
    counter: an open one is not repeated); the counters alerted now."""
    a = schema.alarms
    alerted = []
    for key, value in counters.items():
        code = COUNTER_ALARM.get(key)
        if code is None or value < threshold:
            continue
        open_one = await store._rows(
            select(a.c.id).where(a.c.sender == serial, a.c.code == code, a.c.state == "open")
        )
        if open_one:
            continue
        payload = json.dumps(
            {"counter": key, "value": value, "end": COUNTER_END, "hint": "rotate the meter's keys"}
        ).encode()
        if await store.add_alarm(
            serial, now, code, f"invocation counter near end ({key})", now, meter_id, payload
        ):
            alerted.append(key)
    return alerted
