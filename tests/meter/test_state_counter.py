"""The reserved outgoing invocation counter: no IC is handed out before a ceiling
above it is committed, and a restart continues from that ceiling."""

from __future__ import annotations

from pathlib import Path

import pytest

from openamr.errors import LocalProtocolError, SecurityError
from openamr.meter.state import OUTGOING_IC, ReservedCounter, StateStore
from openamr.security.counters import MAX_IC, OutgoingCounter


def test_a_fresh_counter_starts_at_one_and_reserves_a_block(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        counter = ReservedCounter(store, block=10)
        assert isinstance(counter, OutgoingCounter)
        assert store.get(OUTGOING_IC) is None  # nothing reserved before an IC is used
        assert counter.next() == 1
        assert store.get_int(OUTGOING_IC) == 11 == counter.reserved_until


def test_every_ic_handed_out_is_below_the_committed_ceiling(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        counter = ReservedCounter(store, block=7)
        for _ in range(100):
            ic = counter.next()
            assert ic < store.get_int(OUTGOING_IC)
        assert counter.value == 101 and store.get_int(OUTGOING_IC) == 106


def test_a_restart_continues_from_the_ceiling_and_never_reuses(tmp_path: Path) -> None:
    used: list[int] = []
    for _ in range(4):  # four lives, each closing without any goodbye
        with StateStore.open(tmp_path / "s") as store:
            counter = ReservedCounter(store, block=10)
            used += [counter.next() for _ in range(13)]
    assert len(set(used)) == len(used) and used == sorted(used)
    assert used[13] == 21  # life 1 used 1..13, reserved up to 11 at IC 1, up to 21 at IC 11


def test_reservation_inside_a_transaction_is_refused(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        counter = ReservedCounter(store, block=4)
        with store.transaction():
            with pytest.raises(LocalProtocolError):
                counter.next()
            store.put("other", 1)
        assert counter.value == 1  # the refused call used nothing
        counter.top_up()  # outside: the durable moment
        with store.transaction():
            assert [counter.next() for _ in range(4)] == [1, 2, 3, 4]


def test_top_up_reserves_only_when_half_a_block_is_left(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        counter = ReservedCounter(store, block=10)
        counter.top_up()
        assert counter.reserved_until == 11
        for _ in range(4):
            counter.next()
        counter.top_up()
        assert counter.reserved_until == 11  # 6 left
        counter.next()
        counter.top_up()
        assert counter.reserved_until == 16  # 5 left: a new block from IC 6


def test_the_ceiling_stops_at_the_end_of_the_counter(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        store.put(OUTGOING_IC, MAX_IC - 1)
        counter = ReservedCounter(store, block=1000)
        assert [counter.next(), counter.next()] == [MAX_IC - 1, MAX_IC]
        assert store.get_int(OUTGOING_IC) == MAX_IC + 1
        with pytest.raises(SecurityError, match="exhausted"):
            counter.next()


def test_a_stored_ceiling_that_is_not_a_counter_is_refused(tmp_path: Path) -> None:
    with StateStore.open(tmp_path / "s") as store:
        store.put(OUTGOING_IC, "12")
        with pytest.raises(TypeError):
            ReservedCounter(store)
        with pytest.raises(ValueError, match="positive"):
            ReservedCounter(StateStore.memory(), block=0)
