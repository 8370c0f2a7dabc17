"""Which attribute of a register class holds its ``scaler_unit``, and which of its
attributes it scales (``value = raw * 10**scaler``), read from the class
declarations: Register (Blue Book 4.3.2) and Extended register (4.3.3) keep it in
attribute 3 and scale attribute 2; Demand register (4.3.4) keeps it in attribute 4
and scales attributes 2 and 3 (current and last average).

One place for client, CLI and the meter's readout::

    scaling(5)  ->  Scaling(scaler_unit=4, scaled=frozenset({2, 3}))
    scaling(1)  ->  None (Data has no scaler)
"""

from __future__ import annotations

from typing import NamedTuple

from openamr.cosem.base import CosemObject
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.register import Register


class Scaling(NamedTuple):
    """The attribute holding scaler_unit and the attributes it scales."""

    scaler_unit: int
    scaled: frozenset[int]


def _of(cls: type[CosemObject]) -> Scaling:
    attributes = cls.attributes()
    (scaler,) = (a.index for a in attributes if a.name == "scaler_unit")
    return Scaling(scaler, frozenset(a.index for a in attributes if a.scaled))


#: class_id -> its scaling, for the classes that declare a scaler_unit.
SCALING: dict[int, Scaling] = {
    cls.CLASS_ID: _of(cls) for cls in (Register, ExtendedRegister, DemandRegister)
}


def scaling(class_id: int) -> Scaling | None:
    """How ``class_id`` scales its values; None when it has no scaler_unit."""
    return SCALING.get(class_id)


def scaler_attribute(class_id: int, attribute: int = 2) -> int | None:
    """The attribute holding the scaler_unit that applies to ``attribute`` of an
    object of ``class_id``; None when that attribute is not scaled."""
    found = SCALING.get(class_id)
    return found.scaler_unit if found is not None and attribute in found.scaled else None
