"""Properties of the calendar engine over random calendars and intervals, checked
against a plain reference implementation (local time from the tz database)."""

from __future__ import annotations

import datetime as dt
import itertools
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import Array, Structure
from openamr.cosem.classes.clock import Clock, resolve
from openamr.meter.tariff.calendar import Calendar, RateSegment, parse_calendar
from openamr.meter.tariff.defaults import day, season, special_day, week
from openamr.meter.tariff.model import TARIFF_SCRIPT
from openamr.meter.tariff.registers import RateRegisters

UTC = dt.UTC
LJ = ZoneInfo("Europe/Ljubljana")
_AT = dt.datetime(2024, 1, 1, tzinfo=UTC)
CLOCK = Clock("0.0.1.0.0.255", lambda: _AT, lambda _: None)
MICRO = dt.timedelta(microseconds=1)


def reference_rate(cal: Calendar, instant: dt.datetime) -> int:
    """The rate by the rules of calendar.py, written the plain way."""
    when = instant.astimezone(LJ).replace(tzinfo=None)
    for back in range(400):
        probe = (
            when
            if back == 0
            else dt.datetime.combine(when.date() - dt.timedelta(back), dt.time.max)
        )
        starts = sorted(
            (start, i)
            for i, s in enumerate(cal.parts.seasons)
            for y in (probe.year - 1, probe.year)
            if (start := resolve(s.start, y)) is not None
        )
        before = [i for start, i in starts if start <= probe]
        season = cal.parts.seasons[before[-1] if before else starts[0][1]]
        specials = [s for s in cal.parts.special_days if s.matches(probe.date())]
        if specials:
            day_id = specials[0].day_id
        else:
            weeks = {w.name: w for w in cal.parts.weeks}
            day_id = weeks[season.week_name].day_ids[probe.weekday()]
        profile = next(d for d in cal.parts.days if d.day_id == day_id)
        acts = [a for a in profile.actions if a.script == TARIFF_SCRIPT and a.start <= probe.time()]
        if acts:
            return acts[-1].selector
    return 1


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    day_ids = draw(st.lists(st.integers(0, 255), min_size=1, max_size=8, unique=True))
    action = st.tuples(st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59])),
                       st.integers(1, 4))  # fmt: skip
    days = [day(i, draw(st.lists(action, max_size=5))) for i in day_ids]
    names = [b"w%d" % i for i in range(draw(st.integers(1, 4)))]
    weeks = [
        week(n, draw(st.lists(st.sampled_from(day_ids), min_size=7, max_size=7))) for n in names
    ]
    starts = draw(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 28)), min_size=1,
                           max_size=4, unique=True))  # fmt: skip
    seasons = [
        season(b"s%d" % i, m, d, draw(st.sampled_from(names))) for i, (m, d) in enumerate(starts)
    ]
    specials = [
        special_day(i, m, d, draw(st.sampled_from(day_ids)))
        for i, (m, d) in enumerate(draw(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 28)),
                                                 max_size=4)))
    ]  # fmt: skip
    found = parse_calendar(Array(seasons), Array(weeks), Array(days), Array(specials))
    assert isinstance(found, Calendar), found
    return found


DST_DAYS = [
    dt.datetime(y, m, d, tzinfo=UTC) for y, m, d in ((2024, 3, 30), (2024, 10, 26), (2023, 3, 25))
]
starts = st.one_of(
    st.datetimes(dt.datetime(2023, 1, 1), dt.datetime(2025, 12, 31), timezones=st.just(UTC)),
    st.builds(lambda d, s: d + dt.timedelta(seconds=s), st.sampled_from(DST_DAYS),
              st.integers(0, 3 * 86_400)),
)  # fmt: skip
durations = st.integers(0, 6 * 86_400).map(lambda s: dt.timedelta(seconds=s))


def check_cover(segments: list[RateSegment], t0: dt.datetime, t1: dt.datetime) -> None:
    if t1 <= t0:
        assert segments == []
        return
    assert segments[0].start == t0 and segments[-1].end == t1
    for a, b in itertools.pairwise(segments):
        assert a.end == b.start and a.rate != b.rate
    assert all(s.start < s.end for s in segments)


@settings(max_examples=60, deadline=None)
@given(calendars(), starts, durations, st.lists(st.floats(0, 1, exclude_max=True), max_size=4))
def test_segments_cover_the_interval_and_match_the_reference(
    cal: Calendar, t0: dt.datetime, span: dt.timedelta, probes: list[float]
) -> None:
    t1 = t0 + span
    segments = cal.rate_segments(t0, t1, CLOCK)
    check_cover(segments, t0, t1)
    for s in segments:
        assert reference_rate(cal, s.start) == s.rate, s
        assert reference_rate(cal, s.end - MICRO) == s.rate, s
        for p in probes:
            inside = min(s.start + (s.end - s.start) * p, s.end - MICRO)  # rounding to 1 us
            assert reference_rate(cal, inside) == s.rate
    switches = cal.switches(t0, t1, CLOCK)
    assert switches == sorted(switches)
    inner = [s.start for s in segments[1:]]
    assert [x for x in switches if x != t0] == inner
    if t1 > t0:
        changes_at_t0 = reference_rate(cal, t0 - MICRO) != reference_rate(cal, t0)
        assert (t0 in switches) == changes_at_t0


@settings(max_examples=40, deadline=None)
@given(calendars(), starts, durations, st.floats(0, 1))
def test_segments_compose(cal: Calendar, t0: dt.datetime, span: dt.timedelta, cut: float) -> None:
    t1 = t0 + span
    tm = t0 + span * cut
    joined = cal.rate_segments(t0, tm, CLOCK) + cal.rate_segments(tm, t1, CLOCK)
    merged: list[RateSegment] = []
    for s in joined:
        if merged and merged[-1].rate == s.rate:
            merged[-1] = RateSegment(merged[-1].start, s.end, s.rate)
        else:
            merged.append(s)
    assert merged == cal.rate_segments(t0, t1, CLOCK)


def energy(
    power: tuple[Fraction, Fraction], t0: dt.datetime, a: dt.datetime, b: dt.datetime
) -> Fraction:
    """Wh of p(s) = p0 + p1 * s W (s in hours since t0) over [a, b]: exact."""
    p0, p1 = power
    ha, hb = (Fraction((x - t0) // MICRO, 3_600_000_000) for x in (a, b))
    return p0 * (hb - ha) + p1 * (hb * hb - ha * ha) / 2


@settings(max_examples=40, deadline=None)
@given(calendars(), starts, durations, st.integers(0, 20_000), st.integers(-100, 100))
def test_rate_split_energy_sums_to_the_whole(
    cal: Calendar, t0: dt.datetime, span: dt.timedelta, p0: int, p1: int
) -> None:
    t1 = t0 + span
    power = (Fraction(p0), Fraction(p1))
    segments = cal.rate_segments(t0, t1, CLOCK)
    per_rate = [Fraction(0)] * 4
    for s in segments:
        per_rate[s.rate - 1] += energy(power, t0, s.start, s.end)
    whole = energy(power, t0, t0, t1)
    assert sum(per_rate) == whole
    registers = RateRegisters()
    for s in segments:
        registers.add(float(max(energy(power, t0, s.start, s.end), Fraction(0))), s.rate)
    assert registers.total == sum(registers.rates)


def test_reference_agrees_on_a_structure_built_calendar() -> None:
    # a sanity anchor for the reference itself: the default calendar on known instants
    from openamr.meter.tariff.defaults import mt372_calendar

    cal = mt372_calendar().parse()
    monday_noon = dt.datetime(2024, 1, 8, 12, tzinfo=LJ)
    assert reference_rate(cal, monday_noon) == 1
    assert reference_rate(cal, monday_noon.replace(hour=23)) == 2
    assert isinstance(Array([Structure(())]), list)
