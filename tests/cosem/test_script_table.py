"""Script table (class 9) executing through an injected executor."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import Array, DoubleLongUnsigned, Integer, LongUnsigned, Structure, Tag
from openamr.codec.obis import Obis
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.register import Register
from openamr.cosem.classes.script_table import (
    ActionSpecification,
    ScriptTable,
    ServiceId,
    device_executor,
)

from .test_extended_register import assert_types

ENERGY = Obis.parse("1.0.1.8.0.255")
RESET = ActionSpecification(ServiceId.EXECUTE_METHOD, 3, ENERGY, 1, Integer(0))
WRITE = ActionSpecification(ServiceId.WRITE_ATTRIBUTE, 3, ENERGY, 2, DoubleLongUnsigned(42))


def test_types_and_round_trip() -> None:
    table = ScriptTable("0.0.10.0.1.255", {1: (RESET,), 2: (WRITE, RESET)})
    assert_types(table, {2: Tag.ARRAY})
    scripts = table.get(2)
    assert table.set(2, scripts) is DataAccessResult.SUCCESS and table.get(2) == scripts
    assert table.set(2, Array([Structure((LongUnsigned(1),))])) is DataAccessResult.TYPE_UNMATCHED


def test_execute_runs_the_actions_in_order() -> None:
    device = LogicalDevice([Register(ENERGY, DoubleLongUnsigned(7))])
    table = ScriptTable("0.0.10.0.1.255", {1: (RESET,), 2: (RESET, WRITE)}, device_executor(device))
    assert table.action(1, LongUnsigned(2)) == (ActionResult.SUCCESS, None)
    assert device.objects[ENERGY].get(2) == 42
    assert table.action(1, LongUnsigned(1)) == (ActionResult.SUCCESS, None)
    assert device.objects[ENERGY].get(2) == 0


def test_execute_refusals() -> None:
    seen: list[ActionSpecification] = []

    def failing(action: ActionSpecification) -> bool:
        seen.append(action)
        return False

    table = ScriptTable("0.0.10.0.1.255", {1: (WRITE,)}, failing)
    assert table.action(1, LongUnsigned(0)) == (ActionResult.SUCCESS, None)  # the empty script
    assert table.action(1, LongUnsigned(9))[0] is ActionResult.OTHER_REASON
    assert table.action(1, LongUnsigned(1))[0] is ActionResult.OTHER_REASON  # action failed
    assert seen == [WRITE]
    assert table.action(1, Integer(1))[0] is ActionResult.TYPE_UNMATCHED
    wrong_class = ActionSpecification(ServiceId.WRITE_ATTRIBUTE, 1, ENERGY, 2, None)
    device = LogicalDevice([Register(ENERGY, DoubleLongUnsigned(7))])
    assert device_executor(device)(wrong_class) is False
