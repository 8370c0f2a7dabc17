"""The engine against a year of reference output (issue 9, section 6): registers,
profiles and log-book bit for bit equal to those of the exact Fraction engine of
commit ee8800e (the fixture; :mod:`tests.meter.twin_reference` explains it)."""

from __future__ import annotations

import json

import pytest

from tests.meter.twin_reference import FIXTURE, SCENARIOS, scenario

REFERENCE = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_year_equals_the_reference_bit_for_bit(name: str) -> None:
    expected, got = REFERENCE[name], scenario(*SCENARIOS[name])
    for profile, digest in expected["profiles"].items():
        assert got["profiles"][profile] == digest, profile  # type: ignore[index]
    assert got["final"] == expected["final"]
    assert got["steps"] == expected["steps"]
