"""Profile generic (class 7): attributes, capture, sort methods, the fast buffer."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.apdu.selective_access import CaptureObjectDefinition, EntryDescriptor
from openamr.codec import (
    Array,
    CosemDateTime,
    Data,
    DoubleLongUnsigned,
    Enum,
    Integer,
    Long,
    LongUnsigned,
    OctetString,
    Structure,
    Table,
    Tag,
    Unsigned,
    decode,
    encode,
)
from openamr.codec.obis import Obis
from openamr.codec.table import Field
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.data import Data as DataObject
from openamr.cosem.classes.profile_generic import (
    NO_SORT_OBJECT,
    ProfileGeneric,
    SortMethod,
    device_source,
)
from openamr.cosem.classes.register import Register

CLOCK = CaptureObjectDefinition(8, Obis.parse("0.0.1.0.0.255"), 2, 0)
STATUS = CaptureObjectDefinition(1, Obis.parse("1.0.96.240.0.255"), 2, 0)
A_PLUS = CaptureObjectDefinition(3, Obis.parse("1.0.1.8.0.255"), 2, 0)
A_MINUS = CaptureObjectDefinition(3, Obis.parse("1.0.2.8.0.255"), 2, 0)
LP1_COLUMNS = (
    (CLOCK, Field(Tag.OCTET_STRING, 12)),
    (STATUS, Field(Tag.UNSIGNED)),
    (A_PLUS, Field(Tag.DOUBLE_LONG_UNSIGNED)),
    (A_MINUS, Field(Tag.DOUBLE_LONG_UNSIGNED)),
)
CET = dt.timezone(dt.timedelta(hours=1))
START = dt.datetime(2024, 1, 1, 0, 15, tzinfo=CET)


def stamp(t: dt.datetime) -> bytes:
    return CosemDateTime.from_datetime(t).to_bytes()


def lp1(n: int = 0, capacity: int = 19680) -> ProfileGeneric:
    pg = ProfileGeneric("1.0.99.1.0.255", LP1_COLUMNS, 900, capacity)
    for i in range(n):
        pg.append_row((stamp(START + dt.timedelta(minutes=15 * i)), 0, 1000 + i, i))
    return pg


# -- attributes ---------------------------------------------------------------------------


ATTRIBUTE_TAGS = {
    2: Tag.ARRAY,
    3: Tag.ARRAY,
    4: Tag.DOUBLE_LONG_UNSIGNED,
    5: Tag.ENUM,
    6: Tag.STRUCTURE,
    7: Tag.DOUBLE_LONG_UNSIGNED,
    8: Tag.DOUBLE_LONG_UNSIGNED,
}


@pytest.mark.parametrize("index", sorted(ATTRIBUTE_TAGS))
def test_get_returns_the_declared_type(index: int) -> None:
    from openamr.codec.axdr import tag_of

    value = lp1(3).get(index)
    assert not isinstance(value, DataAccessResult)
    assert tag_of(value) == ATTRIBUTE_TAGS[index]
    decode(encode(value))  # and it encodes


@pytest.mark.parametrize("index", sorted(ATTRIBUTE_TAGS))
def test_set_with_the_wrong_type_is_type_unmatched(index: int) -> None:
    wrong: Data = Unsigned(1) if ATTRIBUTE_TAGS[index] != Tag.UNSIGNED else Long(1)
    assert lp1(3).set(index, wrong) is DataAccessResult.TYPE_UNMATCHED


def test_attribute_values() -> None:
    pg = lp1(3, capacity=10)
    assert pg.get(3) == Array(d.to_data() for d, _ in LP1_COLUMNS)
    assert pg.get(4) == DoubleLongUnsigned(900)
    assert pg.get(5) == Enum(1)
    assert pg.get(6) == NO_SORT_OBJECT.to_data()
    assert pg.get(7) == 3 and pg.get(8) == 10
    assert isinstance(pg.get(2), Table)
    assert pg.get(2)[0] == Structure(  # type: ignore[index]
        (OctetString(stamp(START)), Unsigned(0), DoubleLongUnsigned(1000), DoubleLongUnsigned(0))
    )


def test_buffer_and_entries_in_use_are_not_writable() -> None:
    pg = lp1(2)
    assert pg.set(2, Array()) is DataAccessResult.READ_WRITE_DENIED
    assert pg.set(7, DoubleLongUnsigned(0)) is DataAccessResult.READ_WRITE_DENIED
    assert pg.get(7) == 2


def test_reset_empties_the_buffer() -> None:
    pg = lp1(5)
    assert pg.action(1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert pg.get(7) == 0 and pg.get(2) == Array()
    assert encode(pg.get(2)) == bytes.fromhex("01 00")


def test_fifo_drops_the_oldest_at_capacity() -> None:
    pg = lp1(7, capacity=5)
    assert pg.get(7) == 5
    assert [r[2] for r in pg.rows] == [1002, 1003, 1004, 1005, 1006]


def test_smaller_profile_entries_keeps_the_newest_for_fifo() -> None:
    pg = lp1(6)
    assert pg.set(8, DoubleLongUnsigned(2)) is DataAccessResult.SUCCESS
    assert [r[2] for r in pg.rows] == [1004, 1005]


def test_append_row_refuses_rows_that_do_not_fit() -> None:
    pg = lp1()
    with pytest.raises(ValueError):
        pg.append_row((b"short", 0, 1, 2))
    with pytest.raises(ValueError):
        pg.append_row((stamp(START), 256, 1, 2))  # unsigned overflow
    with pytest.raises(ValueError):
        pg.append_row((stamp(START), 0, 1))


# -- capture through the injected source ------------------------------------------------------


def metering_device() -> LogicalDevice:
    return LogicalDevice(
        [
            DataObject("1.0.96.240.0.255", Unsigned(0x40)),
            Register("1.0.1.8.0.255", DoubleLongUnsigned(1234)),
            Register("1.0.2.8.0.255", DoubleLongUnsigned(56)),
            DataObject("0.0.96.99.0.255", Structure((Unsigned(1), LongUnsigned(77)))),
        ]
    )


def test_capture_reads_the_capture_objects() -> None:
    device = metering_device()
    columns = LP1_COLUMNS[1:]
    pg = ProfileGeneric("1.0.99.2.0.255", columns, 86400, 10, capture_source=device_source(device))
    assert pg.action(2, Integer(0)) == (ActionResult.SUCCESS, None)
    assert pg.rows == [(0x40, 1234, 56)]
    assert pg.get(2) == Array(
        [Structure((Unsigned(0x40), DoubleLongUnsigned(1234), DoubleLongUnsigned(56)))]
    )


def test_capture_without_source_is_refused() -> None:
    assert lp1().action(2, Integer(0))[0] is ActionResult.TEMPORARY_FAILURE


def test_capture_of_a_missing_object_gives_null_and_the_generic_path() -> None:
    missing = CaptureObjectDefinition(3, Obis.parse("1.0.3.8.0.255"), 2, 0)
    columns = (
        (A_PLUS, Field(Tag.DOUBLE_LONG_UNSIGNED)),
        (missing, Field(Tag.DOUBLE_LONG_UNSIGNED)),
    )
    pg = ProfileGeneric(
        "1.0.99.2.0.255", columns, 0, 5, capture_source=device_source(metering_device())
    )
    assert pg.action(2, Integer(0))[0] is ActionResult.SUCCESS
    buffer = pg.get(2)
    assert not isinstance(buffer, Table)
    assert buffer == Array([Structure((DoubleLongUnsigned(1234), None))])
    assert encode(buffer) == bytes.fromhex("01 01 02 02 06 00 00 04 d2 00")


def test_data_index_picks_an_element() -> None:
    element = CaptureObjectDefinition(1, Obis.parse("0.0.96.99.0.255"), 2, 2)
    source = device_source(metering_device())
    assert source(element) == LongUnsigned(77)
    assert source(CaptureObjectDefinition(1, Obis.parse("0.0.96.99.0.255"), 2, 3)) is (
        DataAccessResult.OBJECT_UNDEFINED
    )


def test_set_capture_objects_learns_the_columns_and_clears_the_buffer() -> None:
    device = metering_device()
    pg = ProfileGeneric(
        "1.0.99.2.0.255", LP1_COLUMNS[2:], 0, 5, capture_source=device_source(device)
    )
    pg.action(2, Integer(0))
    new = Array([STATUS.to_data(), A_PLUS.to_data()])
    assert pg.set(3, new) is DataAccessResult.SUCCESS
    assert pg.get(7) == 0 and pg.get(3) == new
    assert pg.fields == (Field(Tag.UNSIGNED), Field(Tag.DOUBLE_LONG_UNSIGNED))
    pg.action(2, Integer(0))
    assert pg.rows == [(0x40, 1234)]
    unknown = Array([CaptureObjectDefinition(3, Obis.parse("9.9.9.9.9.9"), 2, 0).to_data()])
    assert pg.set(3, unknown) is DataAccessResult.OBJECT_UNAVAILABLE
    assert pg.set(3, Array([Unsigned(1)])) is DataAccessResult.TYPE_UNMATCHED


def test_sort_method_and_object_writes() -> None:
    pg = lp1(3)
    assert pg.set(5, Enum(7)) is DataAccessResult.OTHER_REASON
    assert pg.set(5, Enum(SortMethod.LARGEST)) is DataAccessResult.SUCCESS
    assert pg.get(7) == 0  # changing the sort method empties the buffer
    outsider = CaptureObjectDefinition(3, Obis.parse("1.0.3.8.0.255"), 2, 0)
    assert pg.set(6, outsider.to_data()) is DataAccessResult.OTHER_REASON
    assert pg.set(6, A_PLUS.to_data()) is DataAccessResult.SUCCESS
    assert pg.set(6, Unsigned(0)) is DataAccessResult.TYPE_UNMATCHED


# -- sort methods against a reference -----------------------------------------------------------


def reference_buffer(values: list[int], method: SortMethod, capacity: int) -> list[int]:
    """What the buffer holds after appending ``values`` one by one, entry 1 first."""
    if capacity == 0:
        return []
    if method is SortMethod.FIFO:
        return values[-capacity:]
    if method is SortMethod.LIFO:
        return values if len(values) <= capacity else values[: capacity - 1] + values[-1:]
    key = {
        SortMethod.LARGEST: lambda v: -v,
        SortMethod.SMALLEST: lambda v: v,
        SortMethod.NEAREST_TO_ZERO: abs,
        SortMethod.FARTHEST_FROM_ZERO: lambda v: -abs(v),
    }[method]
    return sorted(values, key=key)[:capacity]  # stable: earlier entries first among equals


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(-1000, 1000), max_size=30),
    method=st.sampled_from(SortMethod),
    capacity=st.integers(0, 8),
)
def test_sort_methods_match_the_reference(
    values: list[int], method: SortMethod, capacity: int
) -> None:
    value = CaptureObjectDefinition(3, Obis.parse("1.0.16.7.0.255"), 2, 0)
    seq = CaptureObjectDefinition(1, Obis.parse("0.0.96.98.0.255"), 2, 0)
    pg = ProfileGeneric(
        "1.0.99.3.0.255",
        ((seq, Field(Tag.LONG_UNSIGNED)), (value, Field(Tag.DOUBLE_LONG))),
        0, capacity, method, value,
    )  # fmt: skip
    for i, v in enumerate(values):
        pg.append_row((i, v))
    assert [v for _, v in pg.rows] == reference_buffer(values, method, capacity)
    assert pg.get(7) == len(pg.rows) <= capacity


# -- the fast path ---------------------------------------------------------------------------------


def test_a_year_of_quarter_hours_encodes_as_a_table_fast() -> None:
    pg = lp1(17520)
    t0 = time.perf_counter()
    buffer = pg.get(2)
    data = encode(buffer)
    elapsed = time.perf_counter() - t0
    assert isinstance(buffer, Table) and len(buffer) == 17520
    assert len(data) == 4 + 17520 * (2 + 14 + 2 + 5 + 5)  # 01 82 44 70, then 28-byte rows
    assert data[:4] == bytes.fromhex("01 82 44 70")
    back = decode(data)
    assert isinstance(back, Table) and back.rows == pg.rows
    assert elapsed < 0.5, f"17,520 rows took {elapsed:.3f} s"


def test_a_year_by_entry_is_a_table_too() -> None:
    pg = lp1(17520)
    got = pg.get(2, 2, EntryDescriptor(17000, 0, 3, 0).to_data())
    assert isinstance(got, Table) and len(got) == 521  # entries 17000..17520, both included
    assert got.rows[0] == (1000 + 16999, 16999)
