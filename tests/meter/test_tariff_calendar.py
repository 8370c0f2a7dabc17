"""The activity calendar engine: rates at instants, switch instants, seasons,
special days, DST, passive activation and refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from openamr.codec import (
    Array,
    Data,
    LongUnsigned,
    OctetString,
    Structure,
    Unsigned,
    decode,
    encode,
)
from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.cosem.classes.clock import Clock
from openamr.meter.tariff.calendar import (
    Calendar,
    CalendarPlan,
    RateSegment,
    activation_instant,
    parse_calendar,
)
from openamr.meter.tariff.defaults import (
    CalendarData,
    day,
    mt372_calendar,
    season,
    special_day,
    week,
)
from openamr.meter.tariff.localtime import FixedOffset, local, zone_pieces
from openamr.meter.tariff.model import Refusal

UTC = dt.UTC
LJ = ZoneInfo("Europe/Ljubljana")


class ZoneRules:
    """Local time rules from the tz database (an independent oracle for the Clock)."""

    def zone(self, instant: dt.datetime) -> dt.tzinfo:
        offset = instant.astimezone(LJ).utcoffset()
        assert offset is not None
        return dt.timezone(offset)


def meter_clock() -> Clock:
    at = dt.datetime(2024, 1, 1, tzinfo=UTC)
    return Clock("0.0.1.0.0.255", lambda: at, lambda _: None)


CLOCK = meter_clock()
DEFAULT = mt372_calendar().parse()


def lj(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An instant given in Ljubljana local time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=LJ).astimezone(UTC)


def build(
    seasons: list[Structure],
    weeks: list[Structure],
    days: list[Structure],
    specials: list[Structure] | None = None,
) -> Calendar:
    found = parse_calendar(Array(seasons), Array(weeks), Array(days), Array(specials or []))
    assert isinstance(found, Calendar), found
    return found


def t(hour: int, minute: int = 0) -> dt.time:
    return dt.time(hour, minute)


# -- the clock's local time ------------------------------------------------------------------


def test_clock_rules_agree_with_tz_database_over_a_year() -> None:
    oracle = ZoneRules()
    instant = dt.datetime(2024, 1, 1, tzinfo=UTC)
    while instant < dt.datetime(2025, 1, 1, tzinfo=UTC):
        assert local(CLOCK, instant) == local(oracle, instant), instant
        instant += dt.timedelta(minutes=30)


def test_zone_pieces_cut_exactly_at_the_dst_changes() -> None:
    pieces = zone_pieces(CLOCK, lj(2024, 3, 30), lj(2024, 11, 1))
    assert [p.start for p in pieces[1:]] == [
        dt.datetime(2024, 3, 31, 1, tzinfo=UTC),
        dt.datetime(2024, 10, 27, 1, tzinfo=UTC),
    ]
    assert [p.offset.total_seconds() / 3600 for p in pieces] == [1, 2, 1]


# -- the MT372 defaults -------------------------------------------------------------------------


def test_default_calendar_parses_from_the_bytes_a_client_writes() -> None:
    data = mt372_calendar()
    wire = [encode(v) for v in (data.season_profile, data.week_profile_table,
                                data.day_profile_table, data.special_days)]  # fmt: skip
    assert wire[1].hex(" ").startswith("01 01 02 08 09 08 77 6f 72 6b 77 65 65 6b 11 01")
    calendar = parse_calendar(decode(wire[0]), decode(wire[1]), decode(wire[2]), decode(wire[3]))
    assert isinstance(calendar, Calendar)
    assert [s.name for s in calendar.parts.seasons] == [b"winter", b"summer"]
    assert len(calendar.parts.special_days) == 12


@pytest.mark.parametrize(
    ("when", "rate"),
    [
        pytest.param(lj(2024, 1, 8, 5, 59), 2, id="monday-before-six"),
        pytest.param(lj(2024, 1, 8, 6, 0), 1, id="monday-six"),
        pytest.param(lj(2024, 1, 8, 21, 59), 1, id="monday-before-ten"),
        pytest.param(lj(2024, 1, 8, 22, 0), 2, id="monday-ten-pm"),
        pytest.param(lj(2024, 1, 13, 12, 0), 2, id="saturday-noon"),
        pytest.param(lj(2024, 1, 14, 12, 0), 2, id="sunday-noon"),
        pytest.param(lj(2024, 5, 1, 12, 0), 2, id="labour-day-wednesday"),
        pytest.param(lj(2024, 7, 10, 12, 0), 1, id="summer-wednesday"),
        pytest.param(lj(2024, 12, 25, 12, 0), 2, id="christmas-wednesday"),
    ],
)
def test_default_calendar_rates(when: dt.datetime, rate: int) -> None:
    assert DEFAULT.rate_at(when, CLOCK) == rate


def test_default_switches_follow_local_time_across_dst() -> None:
    # Friday 29 March (CET) and Monday 1 April (CEST): 06:00 and 22:00 local
    switches = DEFAULT.switches(lj(2024, 3, 29), lj(2024, 4, 2), CLOCK)
    assert switches == [
        dt.datetime(2024, 3, 29, 5, tzinfo=UTC),
        dt.datetime(2024, 3, 29, 21, tzinfo=UTC),
        dt.datetime(2024, 4, 1, 4, tzinfo=UTC),
        dt.datetime(2024, 4, 1, 20, tzinfo=UTC),
    ]


# -- seasons --------------------------------------------------------------------------------


def two_seasons() -> Calendar:
    """Winter T1 06-22, summer T1 07-23 (both every year)."""
    return build(
        [season(b"winter", 10, 1, b"w"), season(b"summer", 4, 1, b"s")],
        [week(b"w", [1] * 7), week(b"s", [2] * 7)],
        [day(1, [(t(0), 2), (t(6), 1), (t(22), 2)]), day(2, [(t(0), 2), (t(7), 1), (t(23), 2)])],
    )


def test_season_changes_at_its_wildcard_date_every_year() -> None:
    cal = two_seasons()
    for year in (2023, 2024, 2025):
        assert cal.rate_at(lj(year, 3, 31, 22, 30), CLOCK) == 2  # winter: after 22:00
        assert cal.rate_at(lj(year, 4, 1, 22, 30), CLOCK) == 1  # summer: until 23:00
        assert cal.rate_at(lj(year, 9, 30, 6, 30), CLOCK) == 2  # summer: from 07:00
        assert cal.rate_at(lj(year, 10, 1, 6, 30), CLOCK) == 1  # winter: from 06:00
    # January belongs to the winter season that started the October before
    assert cal.season_at(dt.datetime(2024, 1, 15)).name == b"winter"


def test_season_starting_mid_day_switches_at_its_start() -> None:
    start = CosemDateTime(CosemDate(0xFFFF, 6, 1, 0xFF), CosemTime(12, 0, 0, 0)).to_bytes()
    midday = Structure((OctetString(b"noon"), OctetString(start), OctetString(b"b")))
    cal = build(
        [season(b"a", 1, 1, b"a"), midday],
        [week(b"a", [1] * 7), week(b"b", [2] * 7)],
        [day(1, [(t(0), 1)]), day(2, [(t(0), 3)])],
    )
    segments = cal.rate_segments(lj(2024, 6, 1), lj(2024, 6, 2), CLOCK)
    assert [(s.start, s.rate) for s in segments] == [(lj(2024, 6, 1), 1), (lj(2024, 6, 1, 12), 3)]


def test_season_on_the_last_sunday_of_march() -> None:
    start = CosemDateTime(CosemDate(0xFFFF, 3, 0xFE, 7), CosemTime(0, 0, 0, 0)).to_bytes()
    last_sunday = Structure((OctetString(b"spring"), OctetString(start), OctetString(b"b")))
    cal = build(
        [season(b"a", 1, 1, b"a"), last_sunday],
        [week(b"a", [1] * 7), week(b"b", [2] * 7)],
        [day(1, [(t(0), 1)]), day(2, [(t(0), 4)])],
    )
    assert cal.switches(lj(2024, 3, 1), lj(2024, 4, 1), CLOCK) == [lj(2024, 3, 31)]
    assert cal.switches(lj(2025, 3, 1), lj(2025, 4, 1), CLOCK) == [lj(2025, 3, 30)]


# -- DST ----------------------------------------------------------------------------------------


def dst_calendar() -> Calendar:
    """T2 from midnight, T1 at 02:30, T3 at 04:00, every day."""
    return build(
        [season(b"all", 1, 1, b"w")],
        [week(b"w", [1] * 7)],
        [day(1, [(t(0), 2), (t(2, 30), 1), (t(4), 3)])],
    )


def test_action_in_the_skipped_hour_takes_effect_at_the_jump() -> None:
    # 31 March 2024: 02:00 CET becomes 03:00 CEST at 01:00 UTC; 02:30 never shows
    segments = dst_calendar().rate_segments(lj(2024, 3, 31), lj(2024, 3, 31, 6), CLOCK)
    assert segments == [
        RateSegment(lj(2024, 3, 31), dt.datetime(2024, 3, 31, 1, tzinfo=UTC), 2),
        RateSegment(dt.datetime(2024, 3, 31, 1, tzinfo=UTC), lj(2024, 3, 31, 4), 1),
        RateSegment(lj(2024, 3, 31, 4), lj(2024, 3, 31, 6), 3),
    ]


def test_repeated_hour_repeats_the_schedule() -> None:
    # 27 October 2024: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 shows twice
    segments = dst_calendar().rate_segments(lj(2024, 10, 27), lj(2024, 10, 27, 6), CLOCK)
    at = [(s.start.time(), s.rate) for s in segments]
    assert at == [(dt.time(22), 2), (dt.time(0, 30), 1), (dt.time(1), 2), (dt.time(1, 30), 1),
                  (dt.time(3), 3)]  # fmt: skip


def test_fixed_offset_rules_have_no_dst() -> None:
    rules = FixedOffset(dt.timedelta(hours=1))
    switches = DEFAULT.switches(lj(2024, 7, 1), lj(2024, 7, 2), rules)
    assert switches == [
        dt.datetime(2024, 7, 1, 5, tzinfo=UTC),
        dt.datetime(2024, 7, 1, 21, tzinfo=UTC),
    ]


# -- special days -----------------------------------------------------------------------------


def test_special_day_overrides_the_week() -> None:
    cal = build(
        [season(b"all", 1, 1, b"w")],
        [week(b"w", [1] * 7)],
        [day(1, [(t(0), 1)]), day(2, [(t(0), 2)]), day(3, [(t(0), 3)])],
        [
            special_day(1, 12, 24, 2),  # every year
            special_day(2, 0xFF, 0xFE, 3),  # the last day of every month
            Structure((LongUnsigned(3), OctetString(CosemDate(0xFFFF, 0xFF, 0xFF, 5).to_bytes()),
                       Unsigned(2))),  # every Friday
        ],
    )  # fmt: skip
    assert cal.rate_at(lj(2024, 12, 24, 10), CLOCK) == 2
    assert cal.rate_at(lj(2024, 2, 29, 10), CLOCK) == 3  # leap year: the 29th is the last
    assert cal.rate_at(lj(2023, 2, 28, 10), CLOCK) == 3
    assert cal.rate_at(lj(2024, 2, 28, 10), CLOCK) == 1
    assert cal.rate_at(lj(2024, 5, 3, 10), CLOCK) == 2  # a Friday
    assert cal.rate_at(lj(2024, 5, 31, 10), CLOCK) == 3  # Friday and last day: lowest index
    assert cal.rate_at(lj(2024, 5, 2, 10), CLOCK) == 1
    switches = cal.switches(lj(2024, 12, 23, 12), lj(2024, 12, 26), CLOCK)
    assert switches == [lj(2024, 12, 24), lj(2024, 12, 25)]


def test_rate_before_the_first_action_carries_over_from_the_day_before() -> None:
    cal = build(
        [season(b"all", 1, 1, b"w")],
        [week(b"w", [1, 1, 1, 1, 1, 2, 2])],
        [day(1, [(t(8), 1), (t(20), 3)]), day(2, [(t(12), 4)])],
    )
    assert cal.rate_at(lj(2024, 1, 9, 7), CLOCK) == 3  # Tuesday before 08:00: Monday's 20:00
    assert cal.rate_at(lj(2024, 1, 13, 11), CLOCK) == 3  # Saturday before noon: Friday's last
    assert cal.rate_at(lj(2024, 1, 15, 7), CLOCK) == 4  # Monday before 08:00: Sunday's last


def test_a_calendar_without_tariff_actions_gives_rate_one() -> None:
    other = Obis(0, 0, 10, 0, 106, 255)
    cal = build([season(b"a", 1, 1, b"w")], [week(b"w", [1] * 7)], [day(1, [(t(6), 9)], other)])
    assert cal.rate_at(lj(2024, 3, 3, 12), CLOCK) == 1
    segments = cal.segments(lj(2024, 3, 3), lj(2024, 3, 4), CLOCK, other)
    assert [(s.start, s.value) for s in segments] == [(lj(2024, 3, 3), 9)]
    segments = cal.segments(lj(2024, 1, 1), lj(2024, 1, 1, 12), CLOCK, other)
    assert [(s.start, s.value) for s in segments] == [(lj(2024, 1, 1), 9)]


# -- interval boundaries --------------------------------------------------------------------


def test_switch_exactly_at_the_interval_boundary() -> None:
    six = lj(2024, 1, 8, 6)
    assert DEFAULT.switches(six, six + dt.timedelta(minutes=15), CLOCK) == [six]
    assert DEFAULT.switches(six - dt.timedelta(minutes=15), six, CLOCK) == []
    before = DEFAULT.rate_segments(six - dt.timedelta(minutes=15), six, CLOCK)
    after = DEFAULT.rate_segments(six, six + dt.timedelta(minutes=15), CLOCK)
    assert [s.rate for s in before] == [2] and [s.rate for s in after] == [1]
    assert before[-1].end == after[0].start == six
    assert DEFAULT.rate_segments(six, six, CLOCK) == []


# -- passive calendar ---------------------------------------------------------------------------


def test_passive_calendar_takes_over_at_its_activation_time() -> None:
    passive = build([season(b"p", 1, 1, b"w")], [week(b"w", [1] * 7)], [day(1, [(t(0), 4)])])
    when = lj(2024, 1, 8, 12)
    plan = CalendarPlan(DEFAULT, passive, when)
    segments = plan.rate_segments(lj(2024, 1, 8), lj(2024, 1, 9), CLOCK)
    assert [(s.start, s.rate) for s in segments] == [
        (lj(2024, 1, 8), 2), (lj(2024, 1, 8, 6), 1), (when, 4),
    ]  # fmt: skip
    assert plan.switches(when, lj(2024, 1, 9), CLOCK) == [when]
    assert plan.rate_at(when - dt.timedelta(microseconds=1), CLOCK) == 1
    assert plan.activated(when - dt.timedelta(seconds=1)) is plan
    after = plan.activated(when)
    assert after.active is passive and after.passive is None
    assert after.rate_at(lj(2024, 1, 8, 6), CLOCK) == 4


@pytest.mark.parametrize(
    ("octets", "expected"),
    [
        pytest.param("07e8 01 08 01 0c 00 00 00 8000 00", lj(2024, 1, 8, 12), id="local-winter"),
        pytest.param("07e8 07 01 01 0c 00 00 00 8000 00", lj(2024, 7, 1, 12), id="local-summer"),
        pytest.param("07e8 07 01 01 0c 00 00 00 0000 00",
                     dt.datetime(2024, 7, 1, 12, tzinfo=UTC), id="deviation-utc"),
        pytest.param("07e8 03 1f 07 02 1e 00 00 8000 00",
                     dt.datetime(2024, 3, 31, 1, tzinfo=UTC), id="skipped-comes-at-the-jump"),
        pytest.param("07e8 0a 1b 07 02 1e 00 00 8000 00",
                     dt.datetime(2024, 10, 27, 0, 30, tzinfo=UTC), id="repeated-first-time"),
        pytest.param("ffff ff ff ff ff ff ff ff 8000 ff", None, id="wildcards-switch-off"),
        pytest.param("07e8 01 08", None, id="too-short"),
    ],
)  # fmt: skip
def test_activation_instant(octets: str, expected: dt.datetime | None) -> None:
    assert activation_instant(OctetString(bytes.fromhex(octets)), CLOCK) == expected


# -- refusals -----------------------------------------------------------------------------------


def _default_with(**parts: Data) -> tuple[Data, ...]:
    data = mt372_calendar()
    values: dict[str, Data] = {
        "season_profile": data.season_profile, "week_profile_table": data.week_profile_table,
        "day_profile_table": data.day_profile_table, "special_days": data.special_days,
    }  # fmt: skip
    values.update(parts)
    return tuple(values.values())


def _bad_start(octets: str) -> Array:
    return Array([Structure((OctetString(b"s"), OctetString(bytes.fromhex(octets)),
                             OctetString(b"workweek")))])  # fmt: skip


REFUSED = [
    pytest.param({"season_profile": Unsigned(1)}, "must be an array", id="not-an-array"),
    pytest.param({"season_profile": Array()}, "season_profile: 0 entries", id="no-season"),
    pytest.param({"season_profile": Array([season(b"s%d" % i, i + 1, 1, b"workweek")
                                           for i in range(5)])},
                 "season_profile: 5 entries", id="five-seasons"),
    pytest.param({"season_profile": Array([season(b"s", 1, 1, b"nope")])},
                 "no week profile", id="unknown-week"),
    pytest.param({"season_profile": Array([season(b"s", 1, 1, b"workweek"),
                                           season(b"s", 2, 1, b"workweek")])},
                 "names must be unique", id="duplicate-season"),
    pytest.param({"season_profile": Array([season(b"s", 2, 29, b"workweek")])},
                 "names no single day", id="29-february-every-year"),
    pytest.param({"season_profile": _bad_start("ffff ff 01 ff 00 00 00 00 8000 ff")},
                 "names no single day", id="any-month"),
    pytest.param({"season_profile": _bad_start("ffff 01 01 ff 19 00 00 00 8000 ff")},
                 "names no single day", id="hour-25"),
    pytest.param({"season_profile": _bad_start("ffff 01 01")},
                 "12 octets", id="short-season-start"),
    pytest.param({"week_profile_table": Array([week(b"workweek", [1, 1, 1, 1, 1, 2, 7])])},
                 "sunday names no day profile 7", id="unknown-day"),
    pytest.param({"day_profile_table": Array([day(1, [(t(0), 5)]), day(2, [(t(0), 1)])])},
                 "rate 5 is not in 1..4", id="rate-5"),
    pytest.param({"day_profile_table": Array([day(1, [(t(0), 0)]), day(2, [(t(0), 1)])])},
                 "rate 0 is not in 1..4", id="rate-0"),
    pytest.param({"day_profile_table": Array([day(1, [(t(h), 1) for h in range(11)]),
                                              day(2, [(t(0), 1)])])},
                 "more than 10 actions", id="eleven-actions"),
    pytest.param({"day_profile_table": Array([day(i, [(t(0), 1)]) for i in range(9)])},
                 "day_profile_table: 9 entries", id="nine-days"),
    pytest.param({"day_profile_table": Array([
        Structure((Unsigned(1), Array([Structure((OctetString(bytes.fromhex("18 00 00 00")),
                   OctetString(bytes.fromhex("00 00 0a 00 64 ff")), LongUnsigned(1)))]))),
        day(2, [(t(0), 1)])])}, "not a time of day", id="hour-24"),
    pytest.param({"day_profile_table": Array([
        Structure((Unsigned(1), Array([Structure((OctetString(bytes.fromhex("ff 00 00 00")),
                   OctetString(bytes.fromhex("00 00 0a 00 64 ff")), LongUnsigned(1)))]))),
        day(2, [(t(0), 1)])])}, "not a time of day", id="wildcard-hour"),
    pytest.param({"day_profile_table": Array([Structure((Unsigned(1), Unsigned(2)))])},
                 "must be a structure", id="schedule-not-array"),
    pytest.param({"special_days": Array([special_day(1, 1, 1, 9)])},
                 "no day profile 9", id="special-unknown-day"),
    pytest.param({"special_days": Array([special_day(1, 13, 1, 2)])},
                 "not a date pattern", id="special-month-13"),
    pytest.param({"special_days": Array([special_day(1, 1, 1, 2), special_day(1, 1, 2, 2)])},
                 "names must be unique", id="special-duplicate-index"),
    pytest.param({"week_profile_table": Array([Structure((OctetString(b"workweek"),
                                                          Unsigned(1)))])},
                 "must be a structure of 8 fields", id="short-week"),
]  # fmt: skip


@pytest.mark.parametrize(("parts", "reason"), REFUSED)
def test_bad_calendars_are_refused_with_a_reason(parts: dict[str, Data], reason: str) -> None:
    season_profile, weeks, days, special_days = _default_with(**parts)
    found = parse_calendar(season_profile, weeks, days, special_days)
    assert isinstance(found, Refusal)
    assert reason in found.reason


def test_calendar_data_parse_raises_on_a_bad_default() -> None:
    bad = CalendarData(Array(), Array(), Array(), Array())
    with pytest.raises(ValueError, match="calendar refused"):
        bad.parse()
