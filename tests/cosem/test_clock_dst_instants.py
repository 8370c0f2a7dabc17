"""Clock.dst_active compares instants against the year's window in UTC (the twin asks
it for every load-profile period): it answers as the comparison in local standard
time does, for any zone, window, hemisphere and instant, after writes too."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec.types import Long
from openamr.cosem.classes.clock import Clock

NORTH = (bytes.fromhex("ffff 03 fe 07 02 00 00 00 8000 ff"),
         bytes.fromhex("ffff 0a fe 07 03 00 00 00 8000 ff"))  # fmt: skip
INSTANTS = st.datetimes(
    min_value=dt.datetime(2001, 1, 1), max_value=dt.datetime(2040, 12, 31),
    timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5)),
                               dt.timezone(dt.timedelta(hours=-9, minutes=-30))]),
)  # fmt: skip


def clock() -> Clock:
    return Clock("0.0.1.0.0.255", lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC), lambda _: None)


@settings(max_examples=300, deadline=None)
@given(
    zone=st.integers(-720, 720),
    southern=st.booleans(),
    deviation=st.sampled_from([30, 60, 120]),
    instants=st.lists(INSTANTS, min_size=1, max_size=20),
)
def test_as_in_standard_time(
    zone: int, southern: bool, deviation: int, instants: list[dt.datetime]
) -> None:
    c = clock()
    c.time_zone = Long(zone)
    c.daylight_savings_deviation = Long(deviation)
    begin, end = NORTH[::-1] if southern else NORTH
    c.daylight_savings_begin, c.daylight_savings_end = begin, end
    for t in instants:
        assert c.dst_active(t) == c._dst_active_standard(t)


def test_a_write_takes_effect_at_once() -> None:
    c = clock()
    july = dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)
    assert c.dst_active(july)
    c.daylight_savings_begin, c.daylight_savings_end = NORTH[::-1]
    assert not c.dst_active(july)
    c.daylight_savings_enabled = False
    assert not c.dst_active(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_at_the_edges_of_the_window() -> None:
    c = clock()  # CET, summer time from the last Sunday of March 02:00 standard time
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)  # 02:00 CET
    end = dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.UTC)  # 03:00 CEST = 02:00 CET
    second = dt.timedelta(seconds=1)
    assert [c.dst_active(t) for t in (start - second, start, end - second, end)] == [
        False, True, True, False,
    ]  # fmt: skip
    for t in (dt.datetime(1, 1, 1, tzinfo=dt.UTC), dt.datetime(9999, 12, 31, 22, tzinfo=dt.UTC)):
        assert c.dst_active(t) == c._dst_active_standard(t)
