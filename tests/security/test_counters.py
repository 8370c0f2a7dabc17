"""Invocation counters: increasing, no wrap, replay refused, state kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openamr.errors import SecurityError
from openamr.security.counters import MAX_IC, IncomingCounter, OutgoingCounter


def test_outgoing_counts_up_from_its_state() -> None:
    out = OutgoingCounter(41)
    assert [out.next(), out.next(), out.next()] == [41, 42, 43]
    assert out.value == 44
    assert OutgoingCounter(out.value).next() == 44  # restored from persisted state


def test_outgoing_refuses_to_wrap() -> None:
    out = OutgoingCounter(MAX_IC - 1)
    assert out.next() == MAX_IC - 1
    assert out.next() == MAX_IC
    assert out.exhausted
    with pytest.raises(SecurityError, match="exhausted"):
        out.next()
    with pytest.raises(SecurityError):
        out.next()
    assert out.value == MAX_IC + 1


@pytest.mark.parametrize("bad", [-1, MAX_IC + 2])
def test_outgoing_range(bad: int) -> None:
    with pytest.raises(SecurityError):
        OutgoingCounter(bad)


def test_incoming_accepts_increasing() -> None:
    inc = IncomingCounter()
    assert inc.last is None
    inc.accept(0)
    inc.accept(5)
    inc.accept(6)
    assert inc.last == 6


@pytest.mark.parametrize("replay", [6, 5, 0])
def test_incoming_refuses_replay(replay: int) -> None:
    inc = IncomingCounter(6)
    with pytest.raises(SecurityError, match=f"replayed invocation counter: received {replay}"):
        inc.check(replay)
    with pytest.raises(SecurityError):
        inc.accept(replay)
    assert inc.last == 6  # a refused IC leaves the state alone


def test_check_does_not_record() -> None:
    inc = IncomingCounter(1)
    inc.check(9)
    assert inc.last == 1
    inc.check(2)  # still fine: 9 was only checked, not accepted


@pytest.mark.parametrize("bad", [-1, MAX_IC + 1])
def test_incoming_range(bad: int) -> None:
    with pytest.raises(SecurityError):
        IncomingCounter().check(bad)
    with pytest.raises(SecurityError):
        IncomingCounter(bad)


def test_max_then_nothing() -> None:
    inc = IncomingCounter(MAX_IC)
    with pytest.raises(SecurityError):
        inc.check(MAX_IC)


@given(st.lists(st.integers(0, MAX_IC), max_size=30))
def test_incoming_accepts_exactly_strictly_increasing(ics: list[int]) -> None:
    inc = IncomingCounter()
    accepted: list[int] = []
    for ic in ics:
        try:
            inc.accept(ic)
            accepted.append(ic)
        except SecurityError:
            assert accepted and ic <= accepted[-1]
    assert accepted == sorted(set(accepted))
    assert inc.last == (accepted[-1] if accepted else None)
