"""Scenarios on a stepped clock: a feeder outage makes every affected meter push
exactly one power-failure and one power-return alarm; a cell outage refuses calls."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from openamr.fleet.config import Network
from openamr.fleet.identity import MeterIdentity
from openamr.meter.clock import SteppedTime
from openamr.meter.events import EventCode
from openamr.meter.peripherals import PushMessage
from tests.fleet.conftest import START, fleet_on, small


def test_a_feeder_outage_pushes_one_failure_and_one_return_per_meter() -> None:
    config = small(6, network=replace(Network(), meters_per_group=3))
    pushed: list[tuple[str, int | None]] = []

    def sink(meter: MeterIdentity, message: PushMessage) -> None:
        pushed.append((meter.serial, message.event))

    base = SteppedTime(START)
    fleet = fleet_on(config, base, on_push=sink, push_destination="127.0.0.1:4070")
    fleet.app(4)  # a meter of the other feeder, awake: it must push nothing
    outage = fleet.feeder_outage("feeder-01", 600)
    assert outage.meters == (0, 1, 2) and all(fleet.in_outage(i) is None for i in range(6))
    for _ in range(8):  # the fleet's housekeeping sweeps every few minutes here
        base.step(120)
        fleet.sweep()
    assert fleet.outages == [] and all(fleet.awake[i].pinned == 0 for i in (0, 1, 2))
    counts = Counter(pushed)
    serials = [fleet.meter(i).serial for i in (0, 1, 2)]
    assert counts == Counter(
        {
            (s, code): 1
            for s in serials
            for code in (EventCode.POWER_FAILURE, EventCode.POWER_RETURNED)
        }
    )
    assert fleet.stats.alarms == 6


def test_no_push_without_a_destination() -> None:
    pushed: list[object] = []
    base = SteppedTime(START)
    fleet = fleet_on(small(2), base, on_push=lambda m, p: pushed.append(p))
    fleet.feeder_outage("feeder-01", 60)
    base.step(120)
    fleet.sweep()
    assert pushed == []


def test_a_cell_outage_refuses_its_meters_and_ends() -> None:
    config = small(4, network=replace(Network(), meters_per_cell=2))
    base = SteppedTime(START)
    fleet = fleet_on(config, base)
    fleet.cell_outage(fleet.meter(2).cell, 300)
    out = "cell out of service"
    assert [fleet.refusal(i) for i in range(4)] == [None, None, out, out]
    base.step(301)
    fleet.sweep()
    assert [fleet.refusal(i) for i in range(4)] == [None] * 4 and fleet.outages == []


def test_next_dst_change() -> None:
    import datetime as dt

    from openamr.fleet.meters import next_dst_change

    utc = dt.UTC
    assert next_dst_change(START) == dt.datetime(2026, 3, 29, 1, tzinfo=utc)
    assert next_dst_change(dt.datetime(2026, 3, 29, 1, tzinfo=utc)) == dt.datetime(
        2026, 10, 25, 1, tzinfo=utc
    )
    assert next_dst_change(dt.datetime(2026, 11, 1, tzinfo=utc)) == dt.datetime(
        2027, 3, 28, 1, tzinfo=utc
    )


def test_the_dst_scenario_makes_every_meter_log_the_change() -> None:
    import datetime as dt

    base = SteppedTime(START)
    fleet = fleet_on(small(3), base)
    fleet.app(0)  # awake before the skip; 1 hibernated; 2 never reached
    fleet.app(1)
    fleet.hibernate(1)
    change = fleet.dst_change(before_s=60)
    assert fleet.now() == change - dt.timedelta(seconds=60)
    base.step(120)
    for i in range(3):
        twin = fleet.reach(i).twin
        assert twin is not None
        codes = [row[1] for row in twin.objects.event_log.rows]
        assert codes.count(EventCode.DST_CHANGE) == 1, i
        assert twin.objects.clock.dst_active(twin.position)
