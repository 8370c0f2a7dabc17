"""Register activation, class_id 6, version 0 (Blue Book 4.3.5): which registers
count (e.g. in which tariff rate), by named masks over a list of registers.

=====  ==================  ===========================================
index  attribute           type
=====  ==================  ===========================================
2      register_assignment array of {class_id long-unsigned, logical_name octet-string}
3      mask_list           array of {mask_name octet-string, index_list array of unsigned}
4      active_mask         octet-string (a mask_name)
=====  ==================  ===========================================

Methods: 1 ``add_register(object_definition)`` appends to register_assignment;
2 ``add_mask(register_act_mask)`` adds a mask, replacing one of the same name;
3 ``delete_mask(octet-string mask_name)``. index_list counts registers from 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.table import is_array
from openamr.codec.types import Array, Data, LongUnsigned, OctetString, Structure, Tag, Unsigned
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult

REFUSED: MethodResult = (ActionResult.OTHER_REASON, None)


def is_object_definition(value: Data) -> bool:
    """structure {class_id long-unsigned, logical_name octet-string(6)}."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], LongUnsigned)
        and isinstance(value[1], bytes)
        and len(value[1]) == 6
    )


def is_mask(value: Data) -> bool:
    """structure {mask_name octet-string, index_list array of unsigned}."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], bytes)
        and isinstance(value[1], list)
        and all(isinstance(i, int) and not isinstance(i, bool) for i in value[1])
    )


def check_assignment(value: Data) -> DataAccessResult | None:
    ok = is_array(value) and all(is_object_definition(v) for v in value)
    return None if ok else DataAccessResult.TYPE_UNMATCHED


def check_masks(value: Data) -> DataAccessResult | None:
    ok = is_array(value) and all(is_mask(v) for v in value)
    return None if ok else DataAccessResult.TYPE_UNMATCHED


class RegisterActivation(CosemObject, class_id=6, version=0):
    """Registers and the masks that activate some of them."""

    ATTRIBUTES = (
        Attribute(2, "register_assignment", Tag.ARRAY, check=check_assignment),
        Attribute(3, "mask_list", Tag.ARRAY, check=check_masks),
        Attribute(4, "active_mask", Tag.OCTET_STRING),
    )
    METHODS = (
        Method(1, "add_register", Tag.STRUCTURE),
        Method(2, "add_mask", Tag.STRUCTURE),
        Method(3, "delete_mask", Tag.OCTET_STRING),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        registers: Sequence[tuple[int, Obis]] = (),
        masks: Sequence[tuple[bytes, Sequence[int]]] = (),
        active_mask: bytes = b"",
    ) -> None:
        super().__init__(logical_name)
        self.registers: list[tuple[int, Obis]] = list(registers)
        self.masks: dict[bytes, tuple[int, ...]] = {n: tuple(i) for n, i in masks}
        self.active_mask: Data = OctetString(active_mask)

    def active_registers(self) -> list[Obis]:
        """The logical names the active mask switches on (unknown indices skipped)."""
        assert isinstance(self.active_mask, bytes)
        indices = self.masks.get(bytes(self.active_mask), ())
        regs = self.registers
        return [regs[i - 1][1] for i in indices if 1 <= i <= len(regs)]

    def get_register_assignment(self) -> Data:
        return Array(object_definition(c, ln) for c, ln in self.registers)

    def set_register_assignment(self, value: Data) -> None:
        assert is_array(value)
        self.registers = [_definition(v) for v in value]

    def get_mask_list(self) -> Data:
        return Array(mask_data(name, indices) for name, indices in self.masks.items())

    def set_mask_list(self, value: Data) -> None:
        assert is_array(value)
        self.masks = dict(_mask(v) for v in value)

    def add_register(self, parameters: Data) -> MethodResult:
        if not is_object_definition(parameters):
            return ActionResult.TYPE_UNMATCHED, None
        self.registers.append(_definition(parameters))
        return SUCCESS

    def add_mask(self, parameters: Data) -> MethodResult:
        if not is_mask(parameters):
            return ActionResult.TYPE_UNMATCHED, None
        name, indices = _mask(parameters)
        self.masks.pop(name, None)
        self.masks[name] = indices
        return SUCCESS

    def delete_mask(self, parameters: Data) -> MethodResult:
        assert isinstance(parameters, bytes)
        if self.masks.pop(bytes(parameters), None) is None:
            return REFUSED
        return SUCCESS


def object_definition(class_id: int, logical_name: Obis) -> Structure:
    return Structure((LongUnsigned(class_id), OctetString(logical_name.to_bytes())))


def mask_data(name: bytes, indices: Sequence[int]) -> Structure:
    return Structure((OctetString(name), Array(Unsigned(i) for i in indices)))


def _definition(value: Data) -> tuple[int, Obis]:
    assert isinstance(value, tuple) and isinstance(value[0], int) and isinstance(value[1], bytes)
    return int(value[0]), Obis(*value[1])


def _mask(value: Data) -> tuple[bytes, tuple[int, ...]]:
    assert isinstance(value, tuple) and isinstance(value[0], bytes)
    assert isinstance(value[1], list)
    return bytes(value[0]), tuple(i for i in value[1] if isinstance(i, int))
