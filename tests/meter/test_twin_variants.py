"""The engine against the variants' reference (:mod:`tests.meter.twin_variants`):
clock errors, LP1 periods, field disturbances and PV, bit for bit as the engine of
commit 197f446 computed them."""

from __future__ import annotations

import json

import pytest

from tests.meter.twin_variants import FIXTURE, METERS, variant

REFERENCE = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("n", range(METERS))
def test_a_variant_equals_the_reference_bit_for_bit(n: int) -> None:
    expected, got = REFERENCE[f"{7000 + n:08d}"], variant(n)
    assert got["profiles"] == expected["profiles"]
    assert got["steps"] == expected["steps"]
    assert got["period"] == expected["period"]
