"""Register monitor (class 21)."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec import Array, DoubleLongUnsigned, Structure, Tag, Unsigned
from openamr.codec.obis import Obis
from openamr.cosem.classes.register_monitor import (
    RegisterMonitor,
    action_item,
    fits,
    value_definition,
)

from .test_extended_register import assert_types

UP1, DOWN1 = (
    action_item(Obis.parse("0.0.10.0.100.255"), 1),
    action_item(Obis.parse("0.0.10.0.100.255"), 2),
)
UP2, DOWN2 = (
    action_item(Obis.parse("0.0.10.0.100.255"), 3),
    action_item(Obis.parse("0.0.10.0.100.255"), 4),
)


def monitor() -> RegisterMonitor:
    return RegisterMonitor(
        "0.0.16.0.1.255",
        value_definition(3, Obis.parse("1.0.1.7.0.255"), 2),
        Array([DoubleLongUnsigned(1000), DoubleLongUnsigned(5000)]),
        Array([Structure((UP1, DOWN1)), Structure((UP2, DOWN2))]),
    )


def test_types() -> None:
    rm = monitor()
    assert_types(rm, {2: Tag.ARRAY, 3: Tag.STRUCTURE, 4: Tag.ARRAY})
    assert rm.set(3, Structure((Unsigned(3),))) is DataAccessResult.TYPE_UNMATCHED
    assert rm.set(4, Array([Structure((UP1,))])) is DataAccessResult.TYPE_UNMATCHED
    assert rm.set(4, Array([Structure((UP1, DOWN1))])) is DataAccessResult.SUCCESS


def test_crossings_run_up_and_down_actions() -> None:
    rm = monitor()
    assert rm.evaluate(500) == []
    assert rm.evaluate(1200) == [UP1]
    assert rm.evaluate(1300) == []
    assert rm.evaluate(6000) == [UP2]
    assert rm.evaluate(1000) == [DOWN1, DOWN2]  # in threshold order; "above" is strictly greater
    assert monitor().evaluate(7000) == [UP1, UP2]  # from the start: not exceeded


def test_fits() -> None:
    assert fits(Array([Unsigned(1)]), [Tag.UNSIGNED]) and not fits(Array([1.5]), [Tag.UNSIGNED])
    assert fits(None, None) and not fits(Unsigned(1), (Tag.UNSIGNED,))
