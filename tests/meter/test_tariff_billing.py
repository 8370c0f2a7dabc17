"""End of billing: schedules with wildcards, billing rows, maximum demand reset,
counter; and a full year at 15-minute steps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from openamr.codec import Array, Data, OctetString, Structure, Unsigned, decode, encode
from openamr.codec.datetime import CosemDateTime
from openamr.cosem.classes.clock import Clock
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.meter.tariff.billing import (
    DAILY_COLUMNS,
    EVENT_BILLING_RESET,
    LP_STATUS_BILLING_RESET,
    MONTHLY_COLUMNS,
    NOT_SPECIFIED_STAMP,
    BillingEngine,
    Due,
    Trigger,
)
from openamr.meter.tariff.demand import DemandEngine
from openamr.meter.tariff.localtime import CachedLocalTime
from openamr.meter.tariff.model import Refusal
from openamr.meter.tariff.registers import RateRegisters, RateSnapshot
from openamr.meter.tariff.schedule import FIRST_OF_MONTH, Schedule, monthly, parse_schedule

UTC = dt.UTC
LJ = ZoneInfo("Europe/Ljubljana")
_AT = dt.datetime(2024, 1, 1, tzinfo=UTC)
CLOCK = Clock("0.0.1.0.0.255", lambda: _AT, lambda _: None)


def lj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LJ).astimezone(UTC)


def execution_time(*pairs: tuple[str, str]) -> Array:
    """execution_time as a client writes it: {time octet-string(4), date octet-string(5)}."""
    return Array(
        Structure((OctetString(bytes.fromhex(t)), OctetString(bytes.fromhex(d)))) for t, d in pairs
    )


def parsed(value: Data) -> Schedule:
    found = parse_schedule(decode(encode(value)))
    assert isinstance(found, Schedule), found
    return found


# -- schedules -------------------------------------------------------------------------------


def test_first_of_month_from_the_wire_over_a_year() -> None:
    schedule = parsed(execution_time(("00 00 00 00", "ffff ff 01 ff")))
    assert schedule == FIRST_OF_MONTH
    found = schedule.occurrences(lj(2024, 1, 1), lj(2025, 1, 1), CLOCK)
    assert found == [lj(2024, m, 1) for m in range(2, 13)] + [lj(2025, 1, 1)]
    assert found[2] == dt.datetime(2024, 3, 31, 22, tzinfo=UTC)  # 1 April, summer time
    assert schedule.to_data() == execution_time(("00 00 00 00", "ffff ff 01 ff"))


def test_last_day_of_the_month_includes_29_february() -> None:
    schedule = parsed(execution_time(("17 3b 3b ff", "ffff ff fe ff")))  # 23:59:59, last day
    found = schedule.occurrences(lj(2023, 1, 1), lj(2025, 1, 1), CLOCK)
    feb = [f.astimezone(LJ).date() for f in found if f.astimezone(LJ).month == 2]
    assert feb == [dt.date(2023, 2, 28), dt.date(2024, 2, 29)]
    assert len(found) == 24


def test_billing_in_the_skipped_hour_runs_at_the_jump() -> None:
    schedule = parsed(execution_time(("02 1e 00 00", "ffff 03 1f ff")))  # 31 March 02:30
    found = schedule.occurrences(lj(2024, 3, 30), lj(2024, 4, 1), CLOCK)
    assert found == [dt.datetime(2024, 3, 31, 1, tzinfo=UTC)]
    for minutes in (1, 15, 60):  # stepping finds it once, in the step that ends at the jump
        steps, t = [], lj(2024, 3, 31)
        while t < lj(2024, 3, 31, 5):
            steps += schedule.occurrences(t, t + dt.timedelta(minutes=minutes), CLOCK)
            t += dt.timedelta(minutes=minutes)
        assert steps == found


def test_billing_in_the_repeated_hour_runs_once() -> None:
    schedule = parsed(execution_time(("02 1e 00 00", "ffff 0a 1b ff")))  # 27 October 02:30
    found = schedule.occurrences(lj(2024, 10, 26), lj(2024, 10, 28), CLOCK)
    assert found == [dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC)]
    # stepping through the night one minute at a time finds it exactly once too
    for minutes in (1, 15, 60):
        steps, t = [], lj(2024, 10, 27)
        while t < lj(2024, 10, 27, 5):
            steps += schedule.occurrences(t, t + dt.timedelta(minutes=minutes), CLOCK)
            t += dt.timedelta(minutes=minutes)
        assert steps == found


def test_occurrences_are_in_the_half_open_interval() -> None:
    first = lj(2024, 2, 1)
    assert FIRST_OF_MONTH.occurrences(first - dt.timedelta(minutes=15), first, CLOCK) == [first]
    assert FIRST_OF_MONTH.occurrences(first, first + dt.timedelta(minutes=15), CLOCK) == []


def test_wildcard_hour_runs_every_hour() -> None:
    schedule = parsed(execution_time(("ff 00 00 ff", "ffff ff ff 01")))  # Mondays, every hour
    found = schedule.occurrences(lj(2024, 1, 7), lj(2024, 1, 9), CLOCK)
    assert found == [lj(2024, 1, 8, h) for h in range(24)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(Unsigned(1), "must be an array", id="not-array"),
        pytest.param(Array([Unsigned(1)]), "must be a structure", id="not-structure"),
        pytest.param(execution_time(("00 00 00", "ffff ff 01 ff")), "4 octets", id="short-time"),
        pytest.param(execution_time(("18 00 00 00", "ffff ff 01 ff")), "time pattern", id="h24"),
        pytest.param(execution_time(("00 00 00 00", "ffff 0d 01 ff")), "date pattern", id="m13"),
        pytest.param(execution_time(("00 00 00 00", "ffff ff 01 08")), "weekday 8", id="wd8"),
    ],
)
def test_bad_schedules_are_refused(value: Data, reason: str) -> None:
    found = parse_schedule(value)
    assert isinstance(found, Refusal) and reason in found.reason


# -- billing records ------------------------------------------------------------------------


def snapshot(total: int) -> RateSnapshot:
    rates = (total // 2, total // 4, total // 8, total - total // 2 - total // 4 - total // 8)
    return RateSnapshot(total, rates)


def test_end_of_billing_row_reset_and_counter() -> None:
    billing = BillingEngine(CLOCK, counter=255)
    demand = DemandEngine(lj(2024, 1, 31, 12))
    demand.add(1000.0, 2, lj(2024, 1, 31, 12, 15))  # 4 kW in T2, captured at 12:15
    at = lj(2024, 2, 1)
    reset = billing.end_of_billing(at, snapshot(123_456), snapshot(789), demand)
    assert reset.counter == 0 and billing.counter == 0  # unsigned wraps at 256
    assert reset.event_code == EVENT_BILLING_RESET == 0x0010
    assert reset.lp_status == LP_STATUS_BILLING_RESET == 0x10
    assert reset.trigger is Trigger.SCHEDULE
    row = reset.row
    assert len(row) == len(MONTHLY_COLUMNS) == 22
    stamp = CosemDateTime.from_bytes(row[0])
    assert (stamp.date.month, stamp.date.day, stamp.time.hour, stamp.deviation) == (2, 1, 0, -60)
    assert row[2:12] == (123_456, 61_728, 30_864, 15_432, 15_432, 789, 394, 197, 98, 100)
    assert row[12] == 4000 and row[16] == 4000  # total and T2
    captured = CosemDateTime.from_bytes(row[13])
    assert (captured.date.day, captured.time.hour, captured.time.minute) == (31, 12, 15)
    assert row[14] == 0 and row[15] == NOT_SPECIFIED_STAMP  # T1 never captured
    assert demand.maximum(2) is not None and demand.maximum(2).value == 0  # type: ignore[union-attr]
    assert demand.maximum(2).captured_at == at  # type: ignore[union-attr]
    again = billing.end_of_billing(at, snapshot(0), snapshot(0), demand, Trigger.COMMAND)
    assert again.counter == 1 and again.row[12] == 0 and again.row[13] != NOT_SPECIFIED_STAMP


def test_rows_fit_the_billing_profiles() -> None:
    billing = BillingEngine(CLOCK)
    monthly_profile = ProfileGeneric("1.0.98.1.0.255", MONTHLY_COLUMNS, 0, 15)
    daily_profile = ProfileGeneric("1.0.98.2.0.255", DAILY_COLUMNS, 86_400, 40)
    demand = DemandEngine(lj(2024, 7, 31))
    demand.add(500.0, 1, lj(2024, 7, 31, 0, 15))
    reset = billing.end_of_billing(lj(2024, 8, 1), snapshot(2**32 + 5), snapshot(7), demand)
    assert reset.row[2] == 5  # double-long-unsigned wraps
    monthly_profile.append_row(reset.row)
    daily_profile.append_row(billing.daily_capture(lj(2024, 8, 1), snapshot(1), snapshot(2)).row)
    for profile, columns in ((monthly_profile, MONTHLY_COLUMNS), (daily_profile, DAILY_COLUMNS)):
        buffer = profile.get(2)
        wire = encode(buffer)
        assert wire[:4] == bytes([1, 1, 2, len(columns)])  # array of 1 structure of N
        assert decode(wire) == buffer
    names = [(str(d.logical_name), d.attribute_index) for d, _ in MONTHLY_COLUMNS]
    assert names[:3] == [("0.0.1.0.0.255", 2), ("0.0.0.1.0.255", 2), ("1.0.1.8.0.255", 2)]
    assert names[12:14] == [("1.0.1.6.0.255", 2), ("1.0.1.6.0.255", 5)]
    assert names[-1] == ("1.0.1.6.4.255", 5)
    assert [str(d.logical_name) for d, _ in DAILY_COLUMNS][-1] == "1.0.2.8.4.255"


def test_due_orders_billing_before_the_daily_capture() -> None:
    billing = BillingEngine(CLOCK, schedule=monthly(day=0xFE, at=dt.time(0)))
    found = billing.due(lj(2024, 2, 28, 23), lj(2024, 3, 1, 0, 30))
    assert found == [
        (lj(2024, 2, 29), Due.END_OF_BILLING), (lj(2024, 2, 29), Due.DAILY),
        (lj(2024, 3, 1), Due.DAILY),
    ]  # fmt: skip


# -- a year --------------------------------------------------------------------------------------


def watts_at(instant: dt.datetime) -> float:
    """A deterministic household: base load, a day shape, an evening peak on the 10th."""
    local = instant.astimezone(LJ)
    hour = local.hour + local.minute / 60
    shape = 300 + (1200 if 7 <= hour < 21 else 0) + (local.day % 7) * 50
    return shape + (5000 if local.day == 10 and 19 <= hour < 19.25 else 0)


def test_a_year_at_15_minute_steps() -> None:
    from openamr.meter.tariff.defaults import mt372_calendar

    calendar = mt372_calendar().parse()
    rules = CachedLocalTime(CLOCK)  # what the twin passes: the Clock, remembered
    start, end = lj(2024, 1, 1), lj(2025, 1, 1)
    a_plus, a_minus = RateRegisters(), RateRegisters()
    demand = DemandEngine(start)
    billing = BillingEngine(rules)
    monthly_rows, daily_rows, given = [], [], 0.0
    step, t = dt.timedelta(minutes=15), start
    while t < end:
        t2 = t + step
        watts = watts_at(t)
        for seg in calendar.rate_segments(t, t2, rules):
            energy = watts * (seg.end - seg.start).total_seconds() / 3600
            a_plus.add(energy, seg.rate)
            demand.add(energy, seg.rate, seg.end)
            given += energy
        for when, due in billing.due(t, t2):
            assert when == t2  # local midnights fall on quarter hours
            if due is Due.END_OF_BILLING:
                monthly_rows.append(
                    billing.end_of_billing(when, a_plus.snapshot(), a_minus.snapshot(), demand)
                )
            else:
                daily_rows.append(
                    billing.daily_capture(when, a_plus.snapshot(), a_minus.snapshot())
                )
        t = t2
    assert len(monthly_rows) == 12 and len(daily_rows) == 366
    assert [r.counter for r in monthly_rows] == list(range(1, 13))
    assert a_plus.total == sum(a_plus.rates) and 0 <= given - a_plus.total < 1
    assert a_plus.rate(3) == a_plus.rate(4) == 0 and a_plus.rate(1) > 0 and a_plus.rate(2) > 0
    for reset in monthly_rows:
        local = reset.at.astimezone(LJ)
        assert (local.day, local.hour, local.minute) == (1, 0, 0)
        peak = reset.maxima[0]
        assert peak is not None and peak.value == pytest.approx(5000 + 1500 + (10 % 7) * 50)
        peak_local = peak.captured_at.astimezone(LJ)
        assert (peak_local.day, peak_local.hour, peak_local.minute) == (10, 19, 15)
        assert peak_local.month == (local.month - 2) % 12 + 1  # the month just billed
        rate = calendar.rate_at(peak.captured_at - dt.timedelta(microseconds=1), CLOCK)
        in_rate = reset.maxima[rate]
        assert in_rate is not None and in_rate == peak
        assert reset.row[12] == round(peak.value) == reset.row[12 + 2 * rate]
        assert reset.row[2] == sum(reset.row[3:7])  # A+ total == T1..T4
    totals = [r.row[2] for r in monthly_rows]
    assert totals == sorted(totals) and totals[-1] == daily_rows[-1].row[1]
