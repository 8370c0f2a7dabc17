"""The fast text of profile cells (cli/profile.py, cli/output.py) is the text of the
way it replaced: time stamps through CosemDateTime and ``as_datetime``, integers
through ``Decimal.scaleb``; a whole CSV of the twin's load profiles, formatted a
column at a time, is byte for byte the CSV of that reference, cell by cell."""

from __future__ import annotations

import csv
import io
import struct
from contextlib import suppress
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.cli.output import csv_text, iso_octets, text
from openamr.cli.profile import Column, cells, csv_body, scaled
from openamr.client.values import as_datetime
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.errors import DecodeError
from tests.cli.conftest import LLS, Twin, invoke

DATE_TIME = struct.Struct(">HBBBBBBBhB")


def reference_stamp(value: bytes) -> str | None:
    when = as_datetime(value)
    return None if when is None else when.isoformat()


def reference_cell(column: Column, value: Any) -> str:
    """A cell as cli/profile.py printed it before it was made fast."""
    su = column.scaler_unit
    if su is not None and isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int):
            return format(Decimal(value).scaleb(su.scaler), "f")
        return repr(float(su.apply(value)))
    if isinstance(value, bytes) and len(value) == CosemDateTime.SIZE:
        stamp = reference_stamp(value)
        if stamp is not None:
            return stamp
        with suppress(ValueError, DecodeError):
            return str(CosemDateTime.from_bytes(value))
    return text(value)


def wild(values: st.SearchStrategy[int], *wildcards: int) -> st.SearchStrategy[int]:
    return st.one_of(values, st.sampled_from(wildcards))


#: date-times near and at the edges of every field, wildcards included
DATE_TIMES = st.builds(
    DATE_TIME.pack,
    wild(st.integers(0, 10_000), 0xFFFF, 1, 9999),
    wild(st.integers(0, 14), 0xFD, 0xFE, 0xFF),
    wild(st.integers(0, 32), 0xFD, 0xFE, 0xFF),
    st.integers(0, 0xFF),
    wild(st.integers(0, 25), 0xFF),
    wild(st.integers(0, 61), 0xFF),
    wild(st.integers(0, 61), 0xFF),
    wild(st.integers(0, 101), 0xFF, 0xFE),
    wild(st.integers(-1500, 1500), -0x8000, -0x7FFF, 0x7FFF, 0),
    st.integers(0, 0xFF),
)


@given(st.one_of(DATE_TIMES, st.binary(min_size=12, max_size=12)))
@example(bytes.fromhex("07ea 01 01 04 00 00 00 00 ffc4 00"))  # CET
@example(bytes.fromhex("07ea 07 01 03 0c 1e 00 ff ff88 80"))  # CEST
@example(bytes.fromhex("07ea 02 1e 01 00 00 00 00 ffc4 00"))  # 30 February
@example(bytes.fromhex("07ea 01 01 04 00 00 00 32 8000 00"))  # naive, hundredths
def test_iso_octets_is_the_text_of_as_datetime(value: bytes) -> None:
    assert iso_octets(value) == reference_stamp(value)
    assert iso_octets(value) == reference_stamp(value)  # and again, from the caches


@given(st.integers(-(2**63), 2**64 - 1), st.integers(-128, 127))
@example(0, 0)
@example(0, -3)
@example(-5, -3)
@example(12345, -2)
@example(0, 2)
def test_scaled_is_the_text_of_decimal_scaleb(value: int, scaler: int) -> None:
    assert scaled(value, scaler) == format(Decimal(value).scaleb(scaler), "f")


def column(obis: str, scaler: int | None, class_id: int = 3) -> Column:
    capture = CaptureObjectDefinition(class_id, Obis.parse(obis), 2)
    return Column(capture, None if scaler is None else ScalerUnit(scaler, Unit(30)))


@given(
    st.lists(
        st.tuples(
            st.one_of(DATE_TIMES, st.none(), st.just(0)),
            st.integers(0, 255),
            st.one_of(st.integers(0, 2**32 - 1), st.floats(allow_nan=False), st.booleans()),
            st.one_of(st.integers(-(2**31), 2**31 - 1), st.none(), st.binary(max_size=8)),
        ),
        max_size=20,
    ),
    st.integers(-6, 3),
)
def test_cells_are_the_reference_cells(rows: list[tuple[Any, ...]], scaler: int) -> None:
    columns = [column("0.0.1.0.0.255", None, 8), column("1.0.96.240.0.255", None, 1),
               column("1.0.1.8.0.255", scaler), column("1.0.2.8.0.255", 0)]  # fmt: skip
    expected = [tuple(reference_cell(c, v) for c, v in zip(columns, row, strict=True))
                for row in rows]  # fmt: skip
    assert cells(columns, rows) == expected


@given(
    st.lists(
        st.tuples(
            st.one_of(DATE_TIMES, DATE_TIMES, st.just(0)),
            st.integers(0, 255),
            st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 9), st.booleans()),
            st.one_of(st.integers(-(2**63), 2**64 - 1), st.binary(min_size=12, max_size=12)),
        ),
        max_size=30,
    ),
    st.integers(-6, 3),
    st.sampled_from([None, 0, -2]),
)
@example([(bytes.fromhex("07ea 07 01 03 0c 1e 00 ff ff88 80"), 8, 52, 0)], 0, None)
def test_the_fast_csv_body_is_the_csv_of_the_cells(
    rows: list[tuple[Any, ...]], scaler: int, clock_scaler: int | None
) -> None:
    """csv_body, when it answers, is byte for byte the CSV of :func:`cells`."""
    columns = [column("0.0.1.0.0.255", clock_scaler, 8), column("1.0.96.240.0.255", None, 1),
               column("1.0.1.8.0.255", scaler), column("1.0.2.8.0.255", 0)]  # fmt: skip
    body = csv_body(columns, rows)
    load_profile = clock_scaler is None and all(
        isinstance(r[0], bytes)
        and reference_stamp(r[0]) is not None
        and type(r[2]) is int
        and type(r[3]) is int
        for r in rows
    )
    assert body is not None or not rows or not load_profile  # a load profile is fast
    if body is not None:
        headers = [c.header for c in columns]
        assert csv_text(headers, []) + body == csv_text(headers, cells(columns, rows))


def test_the_fast_csv_body_leaves_rows_of_other_widths_to_the_cells() -> None:
    columns = [column("1.0.1.8.0.255", 0), column("1.0.2.8.0.255", 0)]
    assert csv_body(columns, [(1, 2), (3, 4)]) == "1,2\n3,4\n"
    for rows in ([(1, 2), (1, 2, 3)], [(1, 2, 3), (1, 2)], [(1, 2, 3)], [(1,), (2,)]):
        assert csv_body(columns, rows) is None
    assert csv_body([], [(), ()]) is None  # no columns: the cells' CSV, the header alone


def test_a_row_of_the_wrong_width_is_an_error_not_a_traceback() -> None:
    import click

    with pytest.raises(click.ClickException, match="3 values for 2 columns"):
        cells([column("1.0.1.8.0.255", 0), column("1.0.2.8.0.255", 0)], [(1, 2), (1, 2, 3)])


@pytest.mark.parametrize("obis", ["1.0.99.1.0.255", "1.0.99.2.0.255"])
def test_the_csv_of_the_twin_is_the_reference_csv(twin: Twin, obis: str) -> None:
    result = invoke(["profile", twin.url, obis, *LLS, "--csv"])
    assert result.exit_code == 0, result.output
    profile = twin.app.device.find(Obis.parse(obis))
    assert isinstance(profile, ProfileGeneric)
    header, *body = list(csv.reader(io.StringIO(result.stdout)))
    captured = [CaptureObjectDefinition.from_data(c) for c in profile.get_capture_objects()]
    columns = [Column(c, scaler_of(twin, c)) for c in captured]
    assert header == [c.header for c in columns]
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(
        [reference_cell(c, v) for c, v in zip(columns, row, strict=True)] for row in profile.rows
    )
    assert len(body) == len(profile.rows) > 0
    assert result.stdout.split("\n", 1)[1] == expected.getvalue()


def scaler_of(twin: Twin, capture: CaptureObjectDefinition) -> ScalerUnit | None:
    """The scaler_unit of a register column, as the twin declares it."""
    obj = twin.app.device.find(capture.logical_name)
    attribute = {3: 3, 4: 3, 5: 4}.get(capture.class_id)
    if obj is None or attribute is None or capture.attribute_index != 2:
        return None
    return ScalerUnit.from_data(obj.get(attribute))


CELLS = st.one_of(
    st.text(alphabet=st.sampled_from('ab1.-:+T ,"\r\n'), max_size=6),
    st.integers(-5, 5),
    st.none(),
)


@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), max_size=6),
       st.lists(st.text(alphabet="ab ,", max_size=3), min_size=1, max_size=4))  # fmt: skip
@example([["2026-01-01T00:00:00+01:00", "8", "52", "0"]], ["a", "b", "c", "d"])
@example([[""]], ["a"])
@example([["", ""]], ["a", "b"])
def test_csv_text_is_what_csv_writer_writes(rows: list[list[Any]], headers: list[str]) -> None:
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    assert csv_text(headers, rows) == expected.getvalue()
