"""Script table, class_id 9, version 0 (Blue Book 4.5.2): named lists of actions
(attribute writes and method invocations) run by ``execute``.

``scripts`` (2): array of script::

    script ::= structure { script_identifier long-unsigned,
                           actions array of action_specification }
    action_specification ::= structure { service_id enum (1 write attribute,
        2 execute method), class_id long-unsigned, logical_name octet-string,
        index integer, parameter CHOICE }

Method 1 ``execute(long-unsigned script_identifier)`` runs the script's actions
in order through the injected :data:`Executor` (``device_executor`` runs them on
a logical device). Script 0 is the empty script. An unknown script, or an
action that fails, answers OTHER_REASON (the other actions still run).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import (
    Array,
    Data,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
)
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult

if TYPE_CHECKING:
    from openamr.cosem.device import LogicalDevice


class ServiceId(enum.IntEnum):
    WRITE_ATTRIBUTE = 1
    EXECUTE_METHOD = 2


@dataclass(frozen=True, slots=True)
class ActionSpecification:
    service_id: ServiceId
    class_id: int
    logical_name: Obis
    index: int
    parameter: Data = None

    def to_data(self) -> Structure:
        return Structure(
            (
                Enum(self.service_id), LongUnsigned(self.class_id),
                OctetString(self.logical_name.to_bytes()), Integer(self.index), self.parameter,
            )
        )  # fmt: skip

    @classmethod
    def from_data(cls, value: Data) -> ActionSpecification | None:
        if not isinstance(value, tuple) or len(value) != 5:
            return None
        service, class_id, ln, index, parameter = value
        if not (
            isinstance(service, Enum) and service in (1, 2)
            and isinstance(class_id, LongUnsigned) and isinstance(index, Integer)
            and isinstance(ln, bytes) and len(ln) == 6
        ):  # fmt: skip
            return None
        return cls(ServiceId(service), int(class_id), Obis(*ln), int(index), parameter)


#: Runs one action; True when it succeeded.
Executor = Callable[[ActionSpecification], bool]
Scripts = dict[int, tuple[ActionSpecification, ...]]


def device_executor(device: LogicalDevice) -> Executor:
    """Run actions directly on the objects of ``device`` (no access rights: the
    meter runs its own scripts)."""

    def run(a: ActionSpecification) -> bool:
        obj = device.find(a.logical_name)
        if obj is None or a.class_id != obj.CLASS_ID:
            return False
        if a.service_id is ServiceId.WRITE_ATTRIBUTE:
            return obj.set(a.index, a.parameter) is DataAccessResult.SUCCESS
        return obj.action(a.index, a.parameter)[0] is ActionResult.SUCCESS

    return run


def parse_scripts(value: Data) -> Scripts | None:
    if not is_array(value):
        return None
    scripts: Scripts = {}
    for script in value:
        if not isinstance(script, tuple) or len(script) != 2:
            return None
        sid, actions = script
        if not isinstance(sid, LongUnsigned) or not is_array(actions):
            return None
        parsed = [ActionSpecification.from_data(a) for a in actions]
        if any(p is None for p in parsed):
            return None
        scripts[int(sid)] = tuple(p for p in parsed if p is not None)
    return scripts


def check_scripts(value: Data) -> DataAccessResult | None:
    return None if parse_scripts(value) is not None else DataAccessResult.TYPE_UNMATCHED


class ScriptTable(CosemObject, class_id=9, version=0):
    """Scripts by identifier, run through an injected executor."""

    ATTRIBUTES = (Attribute(2, "scripts", Tag.ARRAY, check=check_scripts),)
    METHODS = (Method(1, "execute", Tag.LONG_UNSIGNED),)

    def __init__(
        self,
        logical_name: Obis | str,
        scripts: Scripts | None = None,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(logical_name)
        self.scripts: Scripts = dict(scripts or {})
        self.executor = executor

    def get_scripts(self) -> Data:
        return Array(
            Structure((LongUnsigned(sid), Array(a.to_data() for a in actions)))
            for sid, actions in sorted(self.scripts.items())
        )

    def set_scripts(self, value: Data) -> None:
        parsed = parse_scripts(value)
        assert parsed is not None  # checked
        self.scripts = parsed

    def execute(self, parameters: Data) -> MethodResult:
        assert isinstance(parameters, int)
        if parameters == 0:
            return SUCCESS
        actions = self.scripts.get(int(parameters))
        if actions is None or self.executor is None:
            return ActionResult.OTHER_REASON, None
        results = [self.executor(a) for a in actions]
        return SUCCESS if all(results) else (ActionResult.OTHER_REASON, None)
