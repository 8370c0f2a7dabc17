"""ProfileGeneric.extend_rows checks a batch column by column; it takes exactly the
rows append_row takes, and refuses a batch with the message append_row gives for
its first bad row (nothing of a refused batch is kept)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec.types import OctetString
from tests.cosem.test_profile_generic import START, lp1, stamp

GOOD = [(stamp(START + dt.timedelta(minutes=15 * i)), 0, 1000 + i, i) for i in range(8)]
BAD = [
    (b"short", 0, 1, 1),  # an octet-string of 5, not 12
    ("not octets", 0, 1, 1),
    (GOOD[0][0], 256, 1, 1),  # unsigned out of range
    (GOOD[0][0], 0, -1, 1),
    (GOOD[0][0], 0, 1),  # a value short
    (GOOD[0][0], 0, 1.5, 1),
]
CELLS = st.one_of(st.sampled_from(GOOD), st.sampled_from(BAD), st.just((None, 0, None, 3)))


def outcome(rows: list[tuple[object, ...]], batch: bool) -> tuple[str, list[object]]:
    pg = lp1(2)
    try:
        if batch:
            pg.extend_rows(rows)
        else:
            for row in rows:
                pg._check_row(row)
            pg.extend_rows(rows)
    except ValueError as e:
        return str(e), list(pg.rows)
    return "", list(pg.rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(CELLS, max_size=6))
def test_a_batch_fits_as_its_rows_do(rows: list[tuple[object, ...]]) -> None:
    assert outcome(rows, batch=True) == outcome(rows, batch=False)


def test_octet_string_cells_and_a_bad_row_named() -> None:
    pg = lp1()
    pg.extend_rows([(OctetString(GOOD[0][0]), 0, 1, 1), GOOD[1]])
    assert len(pg.rows) == 2
    with pytest.raises(ValueError, match="octet-string of 12"):
        pg.extend_rows([GOOD[2], (b"short", 0, 1, 1)])
    assert len(pg.rows) == 2
