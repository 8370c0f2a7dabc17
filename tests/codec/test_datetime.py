"""COSEM date, time and date-time (Blue Book 4.1.6.1): wire form, wildcards,
conversion to and from :mod:`datetime`, the deviation sign and the DST bit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from openamr.codec import (
    ClockStatus,
    CosemDate,
    CosemDateTime,
    CosemTime,
    DecodeError,
    OctetString,
    decode,
    encode,
)
from openamr.codec.datetime import (
    DEVIATION_NOT_SPECIFIED,
    DST_BEGIN,
    DST_END,
    LAST_DAY,
    NOT_SPECIFIED,
    SECOND_LAST_DAY,
)
from tests.vector_files import Vectors, read_hex

CODEC = Vectors("codec")

CET = dt.timezone(dt.timedelta(hours=1))
LJUBLJANA = ZoneInfo("Europe/Ljubljana")


def test_kaifa_capture_reads_as_cest() -> None:
    data = read_hex(CODEC.path / "datetime-kaifa-cest.hex")
    value = CosemDateTime.from_bytes(data)
    assert value.deviation == -120
    assert value.status == ClockStatus.DAYLIGHT_SAVING_ACTIVE
    assert value.date.weekday == 6
    when = value.to_datetime()
    assert when.utcoffset() == dt.timedelta(hours=2)
    assert when.astimezone(dt.UTC) == dt.datetime(2024, 6, 15, 18, 23, 45, tzinfo=dt.UTC)
    assert value.to_bytes() == data
    assert CosemDateTime.from_datetime(when.astimezone(LJUBLJANA)) == value


@pytest.mark.parametrize(
    ("when", "deviation"),
    [
        pytest.param(dt.datetime(2026, 1, 5, 12, 0, tzinfo=CET), -60, id="cet"),
        pytest.param(dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC), 0, id="utc"),
        pytest.param(
            dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            300,
            id="est",
        ),
        pytest.param(
            dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
            -330,
            id="ist-half-hour",
        ),
    ],
)
def test_deviation_is_utc_minus_local(when: dt.datetime, deviation: int) -> None:
    value = CosemDateTime.from_datetime(when)
    assert value.deviation == deviation
    assert value.clock_status == 0
    back = value.to_datetime()
    assert back == when and back.utcoffset() == when.utcoffset()
    assert CosemDateTime.from_bytes(value.to_bytes()) == value


def test_cet_on_the_wire() -> None:
    value = CosemDateTime.from_datetime(dt.datetime(2026, 11, 24, 12, 0, tzinfo=CET))
    assert value.to_bytes() == bytes.fromhex("07 ea 0b 18 02 0c 00 00 00 ff c4 00")


def test_naive_datetime_leaves_deviation_unspecified() -> None:
    when = dt.datetime(2026, 3, 1, 0, 15, 30, 120_000)
    value = CosemDateTime.from_datetime(when)
    assert value.deviation == DEVIATION_NOT_SPECIFIED
    assert value.to_bytes()[9:11] == bytes.fromhex("80 00")
    assert value.time == CosemTime(0, 15, 30, 12)
    assert value.date.weekday == 7  # Sunday: Blue Book weekday 1 is Monday
    back = value.to_datetime()
    assert back.tzinfo is None and back == when


def test_hundredths_truncate_microseconds() -> None:
    value = CosemTime.from_time(dt.time(1, 2, 3, 999_999))
    assert value == CosemTime(1, 2, 3, 99)


@pytest.mark.parametrize(
    ("when", "status"),
    [
        pytest.param(dt.datetime(2026, 7, 1, 12, 0, tzinfo=LJUBLJANA), 0x80, id="summer"),
        pytest.param(dt.datetime(2026, 1, 1, 12, 0, tzinfo=LJUBLJANA), 0x00, id="winter"),
    ],
)
def test_dst_bit_follows_the_zone(when: dt.datetime, status: int) -> None:
    value = CosemDateTime.from_datetime(when)
    assert value.clock_status == status
    assert value.deviation == (-120 if status else -60)
    assert bool(value.status and value.status & ClockStatus.DAYLIGHT_SAVING_ACTIVE) == bool(status)
    assert value.to_datetime() == when


def test_explicit_status_is_kept() -> None:
    when = dt.datetime(2026, 7, 1, 12, 0, tzinfo=LJUBLJANA)
    doubtful = ClockStatus.DOUBTFUL_VALUE
    assert CosemDateTime.from_datetime(when, doubtful).clock_status == doubtful
    assert CosemDateTime.from_datetime(when, 0).clock_status == 0


def test_status_unspecified() -> None:
    value = CosemDateTime(CosemDate(2026, 1, 1, 4), CosemTime(0, 0, 0, 0))
    assert value.clock_status == NOT_SPECIFIED and value.status is None
    assert value.to_bytes()[-1] == 0xFF


@pytest.mark.parametrize(
    ("date", "text", "wire"),
    [
        pytest.param(CosemDate(), "*-*-*", "ff ff ff ff ff", id="all-wildcards"),
        pytest.param(CosemDate(0xFFFF, 3, LAST_DAY, 7), "*-03-last", "ff ff 03 fe 07",
                     id="last-sunday-of-march"),
        pytest.param(CosemDate(0xFFFF, 10, SECOND_LAST_DAY), "*-10-last-1", "ff ff 0a fd ff",
                     id="second-last-day"),
        pytest.param(CosemDate(2026, DST_BEGIN, 1), "2026-DSTb-01", "07 ea fe 01 ff",
                     id="dst-begin-month"),
        pytest.param(CosemDate(2026, DST_END, 1), "2026-DSTe-01", "07 ea fd 01 ff",
                     id="dst-end-month"),
        pytest.param(CosemDate(2026, 12, 24, 4), "2026-12-24", "07 ea 0c 18 04", id="plain"),
    ],
)  # fmt: skip
def test_date_wildcards(date: CosemDate, text: str, wire: str) -> None:
    data = bytes.fromhex(wire)
    assert date.to_bytes() == data
    assert CosemDate.from_bytes(data) == date
    assert str(date) == text
    assert encode(date) == bytes.fromhex("1a") + data
    assert decode(bytes.fromhex("1a") + data) == date


@pytest.mark.parametrize(
    "date",
    [
        CosemDate(),
        CosemDate(0xFFFF, 3, 31),
        CosemDate(2026, NOT_SPECIFIED, 1),
        CosemDate(2026, DST_BEGIN, 1),
        CosemDate(2026, 3, LAST_DAY),
        CosemDate(2026, 3, NOT_SPECIFIED),
    ],
    ids=str,
)
def test_wildcard_date_is_not_one_date(date: CosemDate) -> None:
    with pytest.raises(ValueError, match="wildcards"):
        date.to_date()


def test_time_wildcards() -> None:
    assert str(CosemTime()) == "*:*:*"
    assert CosemTime().to_bytes() == bytes.fromhex("ff ff ff ff")
    every_hour = CosemTime(NOT_SPECIFIED, 0, 0, 0)
    assert str(every_hour) == "*:00:00"
    with pytest.raises(ValueError, match="wildcards"):
        every_hour.to_time()
    with pytest.raises(ValueError, match="wildcards"):
        CosemTime(6, NOT_SPECIFIED, 0, 0).to_time()
    # unspecified seconds and hundredths read as zero
    assert CosemTime(6, 30, NOT_SPECIFIED, NOT_SPECIFIED).to_time() == dt.time(6, 30)
    assert CosemTime.from_bytes(bytes.fromhex("06 1e ff ff")) == CosemTime(6, 30)
    assert encode(CosemTime(6, 30, 0, 0)) == bytes.fromhex("1b 06 1e 00 00")


def test_str() -> None:
    value = CosemDateTime.from_bytes(bytes.fromhex("07 ea 0b 18 02 0c 00 00 00 ff c4 00"))
    assert str(value) == "2026-11-24 12:00:00 dev=-60"
    wild = CosemDateTime(CosemDate(0xFFFF, 0xFF, 1), CosemTime(0, 0, 0, 0))
    assert str(wild) == "*-*-01 00:00:00"


def test_date_time_as_octet_string_and_as_tag_25() -> None:
    raw = bytes.fromhex("07 ea 0b 18 02 0c 00 00 00 ff c4 00")
    value = CosemDateTime.from_bytes(raw)
    assert encode(value) == bytes.fromhex("19") + raw
    assert decode(bytes.fromhex("19") + raw) == value
    # most objects carry it as octet-string(12): decoded as bytes, converted on demand
    as_octets = decode(bytes.fromhex("09 0c") + raw)
    assert isinstance(as_octets, OctetString)
    assert CosemDateTime.from_bytes(as_octets) == value


@pytest.mark.parametrize(
    ("cls", "size"), [(CosemDateTime, 12), (CosemDate, 5), (CosemTime, 4)], ids=str
)
def test_wrong_size_is_a_decode_error(cls: type[CosemDateTime], size: int) -> None:
    for n in (0, size - 1, size + 1):
        with pytest.raises(DecodeError, match=f"needs {size} bytes"):
            cls.from_bytes(bytes(n))


def test_every_byte_pattern_round_trips() -> None:
    for b in range(256):
        raw = bytes((b,)) * 12
        assert CosemDateTime.from_bytes(raw).to_bytes() == raw
