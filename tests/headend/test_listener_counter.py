"""The push listener's invocation counter past the alert threshold: one alarm
``invocation counter near end (push)`` beside the meter's own, over real sockets."""

from __future__ import annotations

import asyncio

from openamr.headend.counters import COUNTER_ALARM
from openamr.headend.listener import AlarmListener, ListenerPolicy
from openamr.headend.store import Store
from tests.headend.conftest import KEK
from tests.headend.test_listener import (
    POWER_FAILURE,
    POWER_RETURNED,
    add_twin_meter,
    cipher,
    send,
    stored_alarms,
    twin_power_failure,
    utc_now,
)


async def test_a_push_counter_near_its_end_is_alarmed_once(sqlite_store: Store) -> None:
    store = sqlite_store
    await add_twin_meter(store)
    probe = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    failure, back = await twin_power_failure(probe.sockets[0].getsockname()[1])
    probe.close()
    listener = AlarmListener(store, KEK, utc_now, None, ListenerPolicy(counter_alert=1000))
    _, port = await listener.start("127.0.0.1", 0)
    try:
        await send(port, cipher(failure, 999))
        await asyncio.sleep(0.1)
        await listener.drain()
        assert [a[2] for a in await stored_alarms(store)] == [POWER_FAILURE]
        await send(port, cipher(back, 1000))
        await asyncio.sleep(0.1)
        await listener.drain()
    finally:
        await listener.close()
    codes = sorted(a[2] for a in await stored_alarms(store))
    assert codes == sorted([POWER_FAILURE, POWER_RETURNED, COUNTER_ALARM["push"]])
