"""Register, class_id 3, version 0 (Blue Book 4.3.2): a value with scaler and unit."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data, Tag
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult

NO_UNIT = ScalerUnit(0, Unit.COUNT)


def check_scaler_unit(value: Data) -> DataAccessResult | None:
    """scaler_unit is structure {integer scaler, enum unit}."""
    try:
        ScalerUnit.from_data(value)
    except (ValueError, TypeError):
        return DataAccessResult.TYPE_UNMATCHED
    return None


class Register(CosemObject, class_id=3, version=0):
    """``value`` (2), ``scaler_unit`` (3, static); method ``reset`` (1) sets the
    value to its default (zero of the same type)."""

    ATTRIBUTES = (
        Attribute(2, "value", scaled=True),
        Attribute(3, "scaler_unit", Tag.STRUCTURE, static=True, check=check_scaler_unit),
    )
    METHODS = (Method(1, "reset", Tag.INTEGER),)

    def __init__(
        self,
        logical_name: Obis | str,
        value: Data = None,
        scaler_unit: ScalerUnit = NO_UNIT,
    ) -> None:
        super().__init__(logical_name)
        self.value = value
        self.scaler_unit: Data = scaler_unit.to_data()

    def reset(self, parameters: Data) -> MethodResult:
        self.value = zero_like(self.value)
        return SUCCESS


def zero_like(value: Data) -> Data:
    """The zero of ``value``'s type (a typed int or float), else unchanged."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return type(value)(0)
    return value
