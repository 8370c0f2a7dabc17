"""as_timestamp: the seconds of as_datetime (naive read as UTC) for any 12 octets,
wildcards, impossible dates and deviations included."""

from __future__ import annotations

import datetime as dt
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.client.values import as_datetime, as_timestamp
from openamr.codec.datetime import CosemDateTime

FIELD = {
    "year": st.one_of(st.integers(1, 9999), st.just(0xFFFF), st.integers(0, 0xFFFF)),
    "month": st.one_of(st.integers(1, 12), st.sampled_from([0, 13, 0xFD, 0xFE, 0xFF])),
    "day": st.one_of(st.integers(1, 31), st.sampled_from([0, 32, 0xFD, 0xFE, 0xFF])),
    "hour": st.one_of(st.integers(0, 23), st.sampled_from([24, 0xFF])),
    "minute": st.one_of(st.integers(0, 59), st.sampled_from([60, 0xFF])),
    "second": st.one_of(st.integers(0, 59), st.sampled_from([60, 0xFF])),
    "hundredths": st.one_of(st.integers(0, 99), st.sampled_from([100, 0xFF])),
    "deviation": st.one_of(st.integers(-840, 840), st.sampled_from([-0x8000, 1440, -1440])),
}


def reference(value: object) -> int | None:
    when = as_datetime(value)
    if when is None:
        return None
    return int((when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp())


@settings(max_examples=500, deadline=None)
@given(st.fixed_dictionaries(FIELD), st.integers(0, 0xFF), st.integers(0, 0xFF))
def test_as_the_datetime_says(f: dict[str, int], weekday: int, status: int) -> None:
    octets = struct.pack(
        ">HBBBBBBBhB", f["year"], f["month"], f["day"], weekday, f["hour"], f["minute"],
        f["second"], f["hundredths"], f["deviation"], status,
    )  # fmt: skip
    assert as_timestamp(octets) == reference(octets)


def test_other_values() -> None:
    stamp = CosemDateTime.from_datetime(dt.datetime(2026, 3, 29, 2, 15, tzinfo=dt.UTC))
    assert as_timestamp(stamp) == reference(stamp) == 1774750500
    for value in (None, 0, b"", b"\x00" * 11, "2026-01-01"):
        assert as_timestamp(value) is None and reference(value) is None
