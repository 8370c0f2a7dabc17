"""The twin's local time follows a client's write of the Clock's rules (Blue Book
4.5.1: time_zone, daylight_savings_*): its remembered offsets (CachedLocalTime) are
forgotten when one of those attributes changes, not only on a clock set."""

from __future__ import annotations

import datetime as dt

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Long
from openamr.meter.clock import SteppedTime
from openamr.meter.mt372 import build_mt372

WINTER = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


def test_a_written_time_zone_moves_the_twins_local_time_at_once() -> None:
    time = SteppedTime(WINTER)
    meter = build_mt372(time_base=time, history_days=1)
    twin = meter.twin
    assert twin.rules.offset(WINTER) == dt.timedelta(hours=1)  # CET, remembered
    clock = twin.objects.clock
    assert clock.set(3, Long(-120)) is DataAccessResult.SUCCESS  # EET: UTC+2
    assert twin.rules.offset(WINTER) == dt.timedelta(hours=2)
    time.step(3600)
    meter.refresh()
    assert twin.rules.offset(time()) == dt.timedelta(hours=2)
    assert clock.set(8, False) is DataAccessResult.SUCCESS  # DST off: no change in winter
    summer = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    assert twin.rules.offset(summer) == dt.timedelta(hours=2)
