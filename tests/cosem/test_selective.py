"""Selective access to a Profile generic buffer, by range and by entry, checked
against a naive reference (aware datetimes from the codec, plain slicing) and
against the requests of dlms-cosem (test oracle)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.apdu.results import DataAccessResult
from openamr.apdu.selective_access import (
    CaptureObjectDefinition,
    EntryDescriptor,
    RangeDescriptor,
)
from openamr.codec import (
    Array,
    CosemDateTime,
    Data,
    DoubleLongUnsigned,
    OctetString,
    Structure,
    Table,
    Unsigned,
    decode,
    encode,
)
from openamr.codec.obis import Obis
from openamr.cosem import selective
from openamr.cosem.classes.profile_generic import ProfileGeneric

from .test_profile_generic import A_MINUS, A_PLUS, CLOCK, LP1_COLUMNS, STATUS, lp1, stamp

UTC = dt.UTC
ZONES = [dt.timezone(dt.timedelta(minutes=m)) for m in (0, 60, 120, -300, 330)]
EPOCH = dt.datetime(2024, 3, 30, 0, 0, tzinfo=UTC)


def by_range(
    lo: dt.datetime, hi: dt.datetime, columns: tuple[CaptureObjectDefinition, ...] = ()
) -> Data:
    return RangeDescriptor(CLOCK, stamp(lo), stamp(hi), columns).to_data()


def plain_rows(value: Data | DataAccessResult) -> list[tuple[Any, ...]]:
    """Any answer (Table or Array) as plain tuples, after an encode/decode trip."""
    assert not isinstance(value, DataAccessResult), value
    back = decode(encode(value))
    if isinstance(back, Table):
        return [tuple(r) for r in back.rows]
    assert isinstance(back, list)
    return [tuple(v for v in s) for s in back]  # type: ignore[union-attr]


# -- the naive reference ------------------------------------------------------------------------


def reference_times(pg: ProfileGeneric) -> list[dt.datetime | None]:
    """Each entry's time: its stamp, or for a null the previous one + period."""
    out: list[dt.datetime | None] = []
    previous = None
    for row in pg.rows:
        cell = row[0]
        when = (
            CosemDateTime.from_bytes(cell).to_datetime()
            if cell is not None
            else (None if previous is None else previous + dt.timedelta(seconds=pg.period))
        )
        out.append(when)
        previous = when
    return out


def reference_range(
    pg: ProfileGeneric, lo: dt.datetime, hi: dt.datetime, columns: list[int]
) -> list[tuple[Any, ...]]:
    out, taken = [], False
    for row, when in zip(pg.rows, reference_times(pg), strict=True):
        if when is not None and lo <= when <= hi:
            if row[0] is None and not taken:  # the answer dates an orphan null
                row = (stamp(when), *row[1:])
            out.append(tuple(row[c] for c in columns))
            taken = True
        else:
            taken = False
    return out


def reference_entries(
    pg: ProfileGeneric, first: int, last: int, first_col: int, last_col: int
) -> list[tuple[Any, ...]]:
    n, width = len(pg.rows), len(pg.fields)
    start = max(first, 1) - 1
    rows = pg.rows[start : (n if last == 0 else last)]
    when = reference_times(pg)[start] if rows else None
    if rows and rows[0][0] is None and when is not None:  # the answer dates an orphan null
        rows[0] = (stamp(when), *rows[0][1:])
    cols = slice(max(first_col, 1) - 1, width if last_col == 0 else last_col)
    return [tuple(r[cols]) for r in rows]


@st.composite
def profiles(draw: st.DrawFn) -> ProfileGeneric:
    """A load profile of up to 40 quarter-hour entries, with zone changes, clock
    adjustments and null time stamps."""
    pg = ProfileGeneric("1.0.99.1.0.255", LP1_COLUMNS, 900, 1000)
    t = EPOCH
    for i in range(draw(st.integers(0, 40))):
        t += dt.timedelta(seconds=draw(st.sampled_from([900, 900, 900, -3600, 1800])))
        zone = draw(st.sampled_from(ZONES))
        cell = None if i and draw(st.integers(0, 5)) == 0 else stamp(t.astimezone(zone))
        pg.append_row((cell, draw(st.integers(0, 255)), 1000 + i, i))
    return pg


instants = st.integers(-20, 60 * 15).map(lambda m: EPOCH + dt.timedelta(minutes=m))
column_choices = st.lists(st.sampled_from([CLOCK, STATUS, A_PLUS, A_MINUS]), max_size=4)


@settings(max_examples=150, deadline=None)
@given(pg=profiles(), lo=instants, hi=instants, zone=st.sampled_from(ZONES), cols=column_choices)
def test_range_matches_the_reference(
    pg: ProfileGeneric,
    lo: dt.datetime,
    hi: dt.datetime,
    zone: dt.timezone,
    cols: list[CaptureObjectDefinition],
) -> None:
    lo, hi = lo.astimezone(zone), hi.astimezone(zone)  # bounds in any zone
    got = pg.get(2, 1, by_range(lo, hi, tuple(cols)))
    indices = [pg.definitions.index(c) for c in cols] or [0, 1, 2, 3]
    assert plain_rows(got) == reference_range(pg, lo, hi, indices)


@settings(max_examples=150, deadline=None)
@given(
    pg=profiles(),
    first=st.integers(0, 45),
    last=st.integers(0, 45),
    first_col=st.integers(0, 5),
    last_col=st.integers(0, 5),
)
def test_entries_match_the_reference(
    pg: ProfileGeneric, first: int, last: int, first_col: int, last_col: int
) -> None:
    got = pg.get(2, 2, EntryDescriptor(first, last, first_col, last_col).to_data())
    width = 4 if last_col == 0 else min(last_col, 4)
    if max(first_col, 1) > width:
        assert got is DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
    else:
        assert plain_rows(got) == reference_entries(pg, first, last, first_col, last_col)


# -- edge cases, spelled out ------------------------------------------------------------


def test_range_bounds_are_inclusive() -> None:
    pg = lp1(8)  # 00:15 .. 02:00 CET
    start = dt.datetime(2024, 1, 1, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    got = plain_rows(pg.get(2, 1, by_range(start, start + dt.timedelta(minutes=30))))
    assert [r[2] for r in got] == [1000, 1001, 1002]


def test_range_ending_between_entries() -> None:
    pg = lp1(8)
    start = dt.datetime(2024, 1, 1, 0, 20, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    got = plain_rows(pg.get(2, 1, by_range(start, start + dt.timedelta(minutes=20))))
    assert [r[2] for r in got] == [1001]  # 00:30 only: 00:15 is before, 00:45 after


def test_range_in_another_zone_is_the_same_instants() -> None:
    pg = lp1(8)
    utc_start = dt.datetime(2023, 12, 31, 23, 15, tzinfo=UTC)  # = 00:15 CET
    got = plain_rows(pg.get(2, 1, by_range(utc_start, utc_start)))
    assert [r[2] for r in got] == [1000]


def test_empty_range_is_an_empty_array() -> None:
    pg = lp1(8)
    start = dt.datetime(2024, 1, 1, 1, 0, tzinfo=UTC)
    got = pg.get(2, 1, by_range(start, start - dt.timedelta(hours=1)))
    assert got == Array() and encode(got) == bytes.fromhex("01 00")
    before = dt.datetime(2020, 1, 1, tzinfo=UTC)
    assert pg.get(2, 1, by_range(before, before)) == Array()


def test_range_with_selected_columns_in_request_order() -> None:
    pg = lp1(3)
    start = dt.datetime(2024, 1, 1, tzinfo=UTC) - dt.timedelta(hours=2)
    got = pg.get(2, 1, by_range(start, start + dt.timedelta(days=1), (A_MINUS, CLOCK)))
    assert isinstance(got, Table)
    assert got.rows[1] == (
        1,
        stamp(dt.datetime(2024, 1, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    )


def test_range_on_a_numeric_column() -> None:
    pg = lp1(10)
    rd = RangeDescriptor(A_PLUS, DoubleLongUnsigned(1003), DoubleLongUnsigned(1005), (A_PLUS,))
    assert plain_rows(pg.get(2, 1, rd.to_data())) == [(1003,), (1004,), (1005,)]


def test_null_timestamps_are_previous_plus_period() -> None:
    pg = ProfileGeneric("1.0.99.1.0.255", LP1_COLUMNS, 900, 10)
    t0 = dt.datetime(2024, 1, 1, 0, 15, tzinfo=UTC)
    pg.append_row((stamp(t0), 0, 1, 1))
    pg.append_row((None, 0, 2, 2))  # 00:30
    pg.append_row((None, 0, 3, 3))  # 00:45
    got = pg.get(2, 1, by_range(t0 + dt.timedelta(minutes=15), t0 + dt.timedelta(minutes=30)))
    assert got == Array(  # the first is dated for the client, the second follows it
        [
            Structure(
                (
                    OctetString(stamp(t0 + dt.timedelta(minutes=15))),
                    Unsigned(0),
                    DoubleLongUnsigned(2),
                    DoubleLongUnsigned(2),
                )
            ),
            Structure((None, Unsigned(0), DoubleLongUnsigned(3), DoubleLongUnsigned(3))),
        ]
    )
    whole = pg.get(2)
    assert isinstance(whole, list) and whole[1][0] is None  # type: ignore[index]


def test_entry_edge_cases() -> None:
    pg = lp1(5)
    assert len(plain_rows(pg.get(2, 2, EntryDescriptor(1, 0).to_data()))) == 5  # 0 = last
    assert plain_rows(pg.get(2, 2, EntryDescriptor(4, 99).to_data()))[0][2] == 1003  # clipped
    assert pg.get(2, 2, EntryDescriptor(6, 0).to_data()) == Array()  # beyond the last
    assert pg.get(2, 2, EntryDescriptor(4, 2).to_data()) == Array()  # inverted
    assert plain_rows(pg.get(2, 2, EntryDescriptor(5, 5, 2, 2).to_data())) == [(0,)]
    assert pg.get(2, 2, EntryDescriptor(1, 0, 5, 0).to_data()) is (
        DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
    )


@pytest.mark.parametrize(
    "selector, parameters, refusal",
    [
        pytest.param(3, None, DataAccessResult.SCOPE_OF_ACCESS_VIOLATED, id="unknown-selector"),
        pytest.param(1, Unsigned(1), DataAccessResult.TYPE_UNMATCHED, id="range-not-a-structure"),
        pytest.param(
            2, Structure((Unsigned(1),)), DataAccessResult.TYPE_UNMATCHED, id="entry-short"
        ),
        pytest.param(
            1,
            RangeDescriptor(
                CaptureObjectDefinition(3, Obis.parse("1.0.3.8.0.255"), 2, 0), b"", b""
            ).to_data(),
            DataAccessResult.SCOPE_OF_ACCESS_VIOLATED,
            id="restricting-object-not-captured",
        ),
        pytest.param(
            1,
            RangeDescriptor(CLOCK, bytes(12), bytes(12)).to_data(),
            DataAccessResult.SCOPE_OF_ACCESS_VIOLATED,
            id="bound-not-an-instant",
        ),
        pytest.param(
            1,
            RangeDescriptor(
                CLOCK,
                stamp(EPOCH),
                stamp(EPOCH),
                (CaptureObjectDefinition(3, Obis.parse("1.0.3.8.0.255"), 2, 0),),
            ).to_data(),
            DataAccessResult.SCOPE_OF_ACCESS_VIOLATED,
            id="selected-value-not-captured",
        ),
    ],
)
def test_refusals(selector: int, parameters: Data, refusal: DataAccessResult) -> None:
    assert lp1(3).get(2, selector, parameters) is refusal


def test_datetime_seconds_respects_the_deviation() -> None:
    summer = bytes.fromhex("07e8 06 0f 06 14 17 2d 00 ff88 80")  # Kaifa capture, UTC+2
    expected = dt.datetime(2024, 6, 15, 18, 23, 45, tzinfo=UTC).timestamp()
    assert selective.datetime_seconds(summer) == expected
    no_deviation = summer[:9] + bytes.fromhex("80 00 00")
    assert selective.datetime_seconds(no_deviation, naive_offset=7200) == expected
    assert selective.datetime_seconds(bytes.fromhex("ffff 06 0f 06 14 17 2d 00 ff88 80")) is None


# -- peers ---------------------------------------------------------------------------------


def test_dlms_cosem_range_request_works_against_us() -> None:
    from dlms_cosem import cosem, enumerations
    from dlms_cosem.cosem import selective_access as dc

    rd = dc.RangeDescriptor(
        restricting_object=dc.CaptureObject(
            cosem_attribute=cosem.CosemAttribute(
                interface=enumerations.CosemInterface.CLOCK,
                instance=cosem.Obis(0, 0, 1, 0, 0, 255),
                attribute=2,
            ),
            data_index=0,
        ),
        from_value=dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        to_value=dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC),
    )
    raw = rd.to_bytes()
    assert raw[0] == 1  # access selector, then the parameters as Data
    pg = lp1(8)  # 00:15 .. 02:00 CET = 23:15 .. 01:00 UTC
    got = plain_rows(pg.get(2, raw[0], decode(raw[1:])))
    assert [r[2] for r in got] == [1000, 1001, 1002, 1003]  # 23:15 .. 00:00 UTC


def test_dlms_cosem_reads_our_null_timestamps_like_us() -> None:
    from dlms_cosem import cosem, enumerations
    from dlms_cosem.parsers import ProfileGenericBufferParser

    pg = ProfileGeneric("1.0.99.1.0.255", LP1_COLUMNS, 900, 10)
    t0 = dt.datetime(2024, 1, 1, 0, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    for i, cell in enumerate([stamp(t0), None, None, stamp(t0 + dt.timedelta(hours=2)), None]):
        pg.append_row((cell, 0, i, i))
    attrs = [
        cosem.CosemAttribute(
            enumerations.CosemInterface(d.class_id),
            cosem.Obis(*d.logical_name.to_bytes()),
            d.attribute_index,
        )
        for d in pg.definitions
    ]
    parser = ProfileGenericBufferParser(capture_objects=attrs, capture_period=15)  # minutes
    theirs = [e[0].value.timestamp() for e in parser.parse_bytes(encode(pg.get(2)))]
    ours = selective.column_keys(pg.rows, 0, pg.fields[0], pg.period)
    assert ours == theirs


def test_range_over_a_year_is_fast() -> None:
    pg = lp1(17520)
    lo = dt.datetime(2024, 3, 1, tzinfo=UTC)  # the buffer runs to the end of June
    t0 = time.perf_counter()
    got = pg.get(2, 1, by_range(lo, lo + dt.timedelta(days=31)))
    data = encode(got)
    elapsed = time.perf_counter() - t0
    assert isinstance(got, Table) and len(got) == 31 * 96 + 1
    assert len(data) == 4 + 2977 * 28
    assert elapsed < 0.5, f"range over 17,520 rows took {elapsed:.3f} s"
