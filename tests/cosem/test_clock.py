"""Clock (class 8) over an injected, stepped time source."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import CosemDateTime, Data, Integer, Long, OctetString, Structure, Tag, Unsigned
from openamr.codec.axdr import tag_of
from openamr.codec.datetime import ClockStatus
from openamr.cosem.classes.clock import Clock, resolve

UTC = dt.UTC


class FakeTime:
    """The one simulated clock, stepped by the test."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def set(self, instant: dt.datetime) -> None:
        self.at = instant


def make(at: dt.datetime) -> tuple[Clock, FakeTime]:
    source = FakeTime(at)
    return Clock("0.0.1.0.0.255", source.now, source.set), source


def read_time(clock: Clock) -> CosemDateTime:
    value = clock.get(2)
    assert isinstance(value, bytes)
    return CosemDateTime.from_bytes(value)


ATTRIBUTE_TAGS = {
    2: Tag.OCTET_STRING,
    3: Tag.LONG,
    4: Tag.UNSIGNED,
    5: Tag.OCTET_STRING,
    6: Tag.OCTET_STRING,
    7: Tag.INTEGER,
    8: Tag.BOOLEAN,
    9: Tag.ENUM,
}


@pytest.mark.parametrize("index", sorted(ATTRIBUTE_TAGS))
def test_get_returns_the_declared_type(index: int) -> None:
    clock, _ = make(dt.datetime(2024, 1, 1, tzinfo=UTC))
    assert tag_of(clock.get(index)) == ATTRIBUTE_TAGS[index]


@pytest.mark.parametrize("index", sorted(ATTRIBUTE_TAGS))
def test_set_with_the_wrong_type_is_type_unmatched(index: int) -> None:
    clock, _ = make(dt.datetime(2024, 1, 1, tzinfo=UTC))
    wrong: Data = Unsigned(1) if ATTRIBUTE_TAGS[index] != Tag.UNSIGNED else Long(1)
    assert clock.set(index, wrong) is DataAccessResult.TYPE_UNMATCHED
    if ATTRIBUTE_TAGS[index] == Tag.OCTET_STRING:
        assert clock.set(index, OctetString(bytes(11))) is DataAccessResult.TYPE_UNMATCHED


def test_winter_and_summer_time_in_central_europe() -> None:
    clock, source = make(dt.datetime(2024, 1, 15, 11, 0, tzinfo=UTC))
    winter = read_time(clock)
    assert (winter.time.hour, winter.deviation, winter.clock_status) == (12, -60, 0)
    source.at = dt.datetime(2024, 6, 15, 18, 23, 45, tzinfo=UTC)
    # the Kaifa capture of codec's tests: 2024-06-15 20:23:45, deviation -120, DST
    assert clock.get(2) == bytes.fromhex("07e8 06 0f 06 14 17 2d 00 ff88 80")
    assert clock.get(4) == ClockStatus.DAYLIGHT_SAVING_ACTIVE


@pytest.mark.parametrize(
    "utc, active",
    [
        pytest.param(dt.datetime(2024, 3, 31, 0, 59, 59, tzinfo=UTC), False, id="before-begin"),
        pytest.param(dt.datetime(2024, 3, 31, 1, 0, 0, tzinfo=UTC), True, id="at-begin"),
        pytest.param(dt.datetime(2024, 10, 27, 0, 59, 59, tzinfo=UTC), True, id="before-end"),
        pytest.param(dt.datetime(2024, 10, 27, 1, 0, 0, tzinfo=UTC), False, id="at-end"),
    ],
)
def test_dst_switches_at_the_eu_instants(utc: dt.datetime, active: bool) -> None:
    clock, _ = make(utc)
    assert clock.dst_active(utc) is active


def test_dst_disabled_and_southern_hemisphere() -> None:
    clock, source = make(dt.datetime(2024, 7, 1, tzinfo=UTC))
    assert clock.set(8, False) is DataAccessResult.SUCCESS
    assert read_time(clock).deviation == -60
    clock.set(8, True)
    clock.set(3, Long(-600))  # Sydney standard time, UTC+10
    clock.set(5, OctetString(bytes.fromhex("ffff 0a 01 07 02 00 00 00 8000 ff")))  # 1st Sun Oct
    clock.set(6, OctetString(bytes.fromhex("ffff 04 01 07 03 00 00 00 8000 ff")))  # 1st Sun Apr
    assert not clock.dst_active(source.at)  # July: winter down under
    assert clock.dst_active(dt.datetime(2024, 1, 10, tzinfo=UTC))


@pytest.mark.parametrize(
    "spec, year, expected",
    [
        pytest.param("ffff 03 fe 07", 2024, dt.datetime(2024, 3, 31, 2), id="last-sunday-march"),
        pytest.param("ffff 0a fe 07", 2023, dt.datetime(2023, 10, 29, 2), id="last-sunday-oct"),
        pytest.param("ffff 03 19 07", 2024, dt.datetime(2024, 3, 31, 2), id="sunday-from-25th"),
        pytest.param("ffff 02 fe ff", 2024, dt.datetime(2024, 2, 29, 2), id="last-day-leap"),
        pytest.param("ffff 02 fd ff", 2023, dt.datetime(2023, 2, 27, 2), id="second-last-day"),
        pytest.param("07e5 03 fe 07", 2024, dt.datetime(2021, 3, 28, 2), id="fixed-year"),
        pytest.param("ffff ff 01 ff", 2024, None, id="month-wildcard"),
    ],
)
def test_resolve_wildcard_dates(spec: str, year: int, expected: dt.datetime | None) -> None:
    stamp = CosemDateTime.from_bytes(bytes.fromhex(spec + "02 00 00 00 8000 ff"))
    assert resolve(stamp, year) == expected


def test_set_time_with_and_without_deviation() -> None:
    clock, source = make(dt.datetime(2024, 1, 15, 11, 0, tzinfo=UTC))
    clock.flags = int(ClockStatus.INVALID_VALUE)
    target = dt.datetime(2024, 2, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert clock.set(2, OctetString(CosemDateTime.from_datetime(target).to_bytes())) is (
        DataAccessResult.SUCCESS
    )
    assert source.at == target and clock.get(4) == 0  # valid again
    local = bytes.fromhex("07e8 02 01 04 0c 00 00 00 8000 ff")  # 12:00 meter time, CET
    assert clock.set(2, OctetString(local)) is DataAccessResult.SUCCESS
    assert source.at == dt.datetime(2024, 2, 1, 11, 0, tzinfo=UTC)
    wildcard = bytes.fromhex("ffff 02 01 04 0c 00 00 00 8000 ff")
    assert clock.set(2, OctetString(wildcard)) is DataAccessResult.OTHER_REASON


def test_status_flags_are_writable_but_dst_follows_the_calendar() -> None:
    clock, _ = make(dt.datetime(2024, 1, 15, tzinfo=UTC))
    assert clock.set(4, Unsigned(0x82)) is DataAccessResult.SUCCESS
    assert clock.get(4) == 0x02  # doubtful kept, DST bit not in winter
    assert read_time(clock).clock_status == 0x02


@pytest.mark.parametrize(
    "method, start, expected",
    [
        pytest.param(1, (10, 7, 29), (10, 0, 0), id="quarter-down"),
        pytest.param(1, (10, 7, 30), (10, 15, 0), id="quarter-half-up"),
        pytest.param(1, (23, 53, 0), (24, 0, 0), id="quarter-to-midnight"),
        pytest.param(2, (10, 23, 0), (10, 30, 0), id="measuring-period-900"),
        pytest.param(3, (10, 7, 29), (10, 7, 0), id="minute-down"),
        pytest.param(3, (10, 7, 30), (10, 8, 0), id="minute-up"),
    ],
)
def test_adjust_methods(
    method: int, start: tuple[int, int, int], expected: tuple[int, int, int]
) -> None:
    cet = dt.timezone(dt.timedelta(hours=1))
    clock, source = make(dt.datetime(2024, 1, 15, *start, tzinfo=cet))
    assert clock.action(method, Integer(0)) == (ActionResult.SUCCESS, None)
    h, m, s = expected
    assert source.at == dt.datetime(2024, 1, 15, tzinfo=cet) + dt.timedelta(
        hours=h, minutes=m, seconds=s
    )


@settings(max_examples=50, deadline=None)
@given(seconds=st.integers(0, 86400 * 365))
def test_adjust_to_quarter_moves_at_most_seven_and_a_half_minutes(seconds: int) -> None:
    clock, source = make(dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=seconds))
    before = source.at
    clock.action(1, Integer(0))
    local = clock.local_now()
    assert local.minute % 15 == 0 and local.second == 0
    assert abs((source.at - before).total_seconds()) <= 450


def test_shift_time() -> None:
    clock, source = make(dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC))
    assert clock.action(6, Long(-900)) == (ActionResult.SUCCESS, None)
    assert source.at == dt.datetime(2024, 1, 15, 9, 45, tzinfo=UTC)
    assert clock.action(6, Long(901))[0] is ActionResult.OTHER_REASON
    assert clock.action(6, Integer(5))[0] is ActionResult.TYPE_UNMATCHED
    assert source.at == dt.datetime(2024, 1, 15, 9, 45, tzinfo=UTC)


def test_preset_then_adjust_to_preset_time() -> None:
    clock, source = make(dt.datetime(2024, 1, 15, 10, 0, tzinfo=UTC))

    def stamp(t: dt.datetime) -> OctetString:
        return OctetString(CosemDateTime.from_datetime(t).to_bytes())

    assert clock.action(4, Integer(0))[0] is ActionResult.OTHER_REASON  # nothing preset
    preset = dt.datetime(2024, 1, 15, 10, 5, tzinfo=UTC)
    window = (
        dt.datetime(2024, 1, 15, 10, 1, tzinfo=UTC),
        dt.datetime(2024, 1, 15, 10, 9, tzinfo=UTC),
    )
    params = Structure((stamp(preset), stamp(window[0]), stamp(window[1])))
    assert clock.action(5, params) == (ActionResult.SUCCESS, None)
    assert clock.action(4, Integer(0))[0] is ActionResult.OTHER_REASON  # 10:00: too early
    source.at = dt.datetime(2024, 1, 15, 10, 3, tzinfo=UTC)
    assert clock.action(4, Integer(0)) == (ActionResult.SUCCESS, None)
    assert source.at == preset
    assert clock.action(5, Structure((stamp(preset),)))[0] is ActionResult.TYPE_UNMATCHED
    assert clock.action(5, Unsigned(1))[0] is ActionResult.TYPE_UNMATCHED
