"""The fleet process's garbage collector (:class:`openamr.fleet.serve.Garbage`):
rare full passes, and one when enough twins hibernated, which frees them."""

from __future__ import annotations

import gc
import weakref

from openamr.fleet.serve import Garbage
from openamr.meter.clock import SteppedTime
from tests.fleet.conftest import START, fleet_on, small


def test_a_full_pass_when_a_quarter_of_the_awake_twins_hibernated() -> None:
    garbage = Garbage()
    assert not garbage.hibernated(0, 0)
    assert not garbage.hibernated(Garbage.FLOOR - 1, 0)  # a small fleet: FLOOR at least
    assert garbage.hibernated(1, 0) and garbage.dropped == 0
    assert not garbage.hibernated(200, 1000)
    assert garbage.hibernated(50, 1000)  # 250 of 1,000 awake


def test_the_pass_frees_a_hibernated_twin() -> None:
    fleet = fleet_on(small(2), SteppedTime(START))
    twin = weakref.ref(fleet.reach(0).twin)
    thresholds = gc.get_threshold()
    gc.disable()
    try:
        assert fleet.hibernate(0)
        assert twin() is not None  # its objects are cycles: only a full pass frees them
        assert Garbage().hibernated(Garbage.FLOOR, len(fleet.awake))
        assert twin() is None
    finally:
        gc.enable()
        gc.set_threshold(*thresholds)


def test_start_freezes_what_exists_and_raises_the_thresholds() -> None:
    thresholds = gc.get_threshold()
    try:
        Garbage(young=20_000).start()
        assert gc.get_threshold() == (20_000, 20, 10) and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
