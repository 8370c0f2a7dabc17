"""SecurityControl: every bit both ways (Green Book 9.2.7.2.4)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import EncodeError
from openamr.security.control_byte import (
    AUTHENTICATED,
    AUTHENTICATED_ENCRYPTED,
    ENCRYPTED,
    SecurityControl,
)


@pytest.mark.parametrize(
    ("sc", "control"),
    [
        pytest.param(0x00, SecurityControl(), id="none"),
        pytest.param(0x10, AUTHENTICATED, id="authenticated"),
        pytest.param(0x20, ENCRYPTED, id="encrypted"),
        pytest.param(0x30, AUTHENTICATED_ENCRYPTED, id="authenticated-encrypted"),
        pytest.param(0x70, SecurityControl(0, True, True, broadcast=True), id="broadcast"),
        pytest.param(0x80, SecurityControl(compression=True), id="compression"),
        pytest.param(0x31, SecurityControl(1, True, True), id="suite-1"),
        pytest.param(0xFF, SecurityControl(15, True, True, True, True), id="all-bits"),
    ],
)
def test_both_ways(sc: int, control: SecurityControl) -> None:
    assert SecurityControl.parse(sc) == control
    assert control.format() == sc
    assert int(control) == sc


@given(st.integers(0, 255))
def test_round_trip_every_byte(sc: int) -> None:
    assert SecurityControl.parse(sc).format() == sc


@pytest.mark.parametrize("bad", [-1, 256, 0x1000])
def test_parse_refuses_non_bytes(bad: int) -> None:
    with pytest.raises(EncodeError):
        SecurityControl.parse(bad)


@pytest.mark.parametrize("suite", [-1, 16])
def test_suite_range(suite: int) -> None:
    with pytest.raises(EncodeError):
        SecurityControl(suite=suite)


def test_str_names_the_flags() -> None:
    text = str(SecurityControl.parse(0x70))
    assert text == "SC 0x70 (suite 0, authenticated, encrypted, broadcast key)"
