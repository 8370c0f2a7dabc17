"""A logical device: the objects of one server, and what each association sees.

Every GET, SET and ACTION goes through an :class:`AssociationView`, which resolves
the object, checks the class and the association's access rights, then asks the
object. The current association (0.0.40.0.0.255) resolves to the view's own
Association LN object (Blue Book 4.4.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.association.handler import Negotiated
from openamr.codec.obis import Obis
from openamr.codec.types import Data
from openamr.cosem.access import AccessPolicy, ObjectAccess, attribute_rights
from openamr.cosem.base import CosemObject, MethodResult

CURRENT_ASSOCIATION = Obis(0, 0, 40, 0, 0, 255)


class LogicalDevice:
    """The objects of one logical device, by logical name."""

    def __init__(self, objects: Iterable[CosemObject] = ()) -> None:
        self.objects: dict[Obis, CosemObject] = {}
        self.add(*objects)

    def add(self, *objects: CosemObject) -> None:
        for obj in objects:
            if obj.logical_name in self.objects:
                raise ValueError(f"{obj.logical_name} is declared twice")
            self.objects[obj.logical_name] = obj

    def find(self, logical_name: Obis) -> CosemObject | None:
        return self.objects.get(logical_name)

    def __iter__(self) -> Iterator[CosemObject]:
        return iter(self.objects.values())

    def __len__(self) -> int:
        return len(self.objects)


@dataclass
class AssociationView:
    """The device as one association sees it.

    ``association`` is the Association LN object of this association (it answers
    for 0.0.40.0.0.255); ``authenticated`` is true when the APDUs of the
    association are authenticated (HLS with ciphering), which the
    ``authenticated_*`` access modes require."""

    device: LogicalDevice
    policy: AccessPolicy
    association: CosemObject | None = None
    authenticated: bool = False
    #: the xDLMS context agreed; the association's own Association LN object shows it
    negotiated: Negotiated | None = None

    def resolve(self, logical_name: Obis) -> tuple[CosemObject, ObjectAccess] | None:
        obj = (
            self.association
            if logical_name == CURRENT_ASSOCIATION and self.association is not None
            else self.device.find(logical_name)
        )
        if obj is None:
            return None
        access = self.policy.access(obj)
        if access is None:
            return None
        return obj, access

    def visible(self) -> Iterator[tuple[CosemObject, ObjectAccess]]:
        """The objects of this association's object_list, with their access."""
        for obj in self.device:
            access = self.policy.access(obj)
            if access is not None:
                yield obj, access

    def get(
        self,
        class_id: int,
        logical_name: Obis,
        index: int,
        selector: int | None = None,
        parameters: Data = None,
    ) -> Data | DataAccessResult:
        found = self.resolve(logical_name)
        if found is None:
            return DataAccessResult.OBJECT_UNDEFINED
        obj, access = found
        if class_id != obj.CLASS_ID:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        if obj.attribute(index) is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if not attribute_rights(obj, access, index).can_read(self.authenticated):
            return DataAccessResult.READ_WRITE_DENIED
        if obj is self.association and self.negotiated is not None and selector is None:
            current = obj.in_association(index, self.negotiated)
            if current is not None:
                return current
        return obj.get(index, selector, parameters)

    def may_set(self, class_id: int, logical_name: Obis, index: int) -> DataAccessResult:
        """SUCCESS when a SET of the attribute would reach the object (access rights,
        Blue Book 4.4.3 attribute_access_mode), else the refusal."""
        found = self.resolve(logical_name)
        if found is None:
            return DataAccessResult.OBJECT_UNDEFINED
        obj, access = found
        if class_id != obj.CLASS_ID:
            return DataAccessResult.OBJECT_CLASS_INCONSISTENT
        if obj.attribute(index) is None:
            return DataAccessResult.OBJECT_UNDEFINED
        if not attribute_rights(obj, access, index).can_write(self.authenticated):
            return DataAccessResult.READ_WRITE_DENIED
        return DataAccessResult.SUCCESS

    def set(
        self,
        class_id: int,
        logical_name: Obis,
        index: int,
        value: Data,
        selector: int | None = None,
        parameters: Data = None,
    ) -> DataAccessResult:
        allowed = self.may_set(class_id, logical_name, index)
        if allowed is not DataAccessResult.SUCCESS:
            return allowed
        if selector is not None:
            return DataAccessResult.SCOPE_OF_ACCESS_VIOLATED
        obj = self.resolve(logical_name)
        assert obj is not None
        return obj[0].set(index, value)

    def may_act(self, class_id: int, logical_name: Obis, index: int) -> ActionResult:
        """SUCCESS when the method may be invoked (method_access_mode)."""
        found = self.resolve(logical_name)
        if found is None:
            return ActionResult.OBJECT_UNDEFINED
        obj, access = found
        if class_id != obj.CLASS_ID:
            return ActionResult.OBJECT_CLASS_INCONSISTENT
        if obj.method(index) is None:
            return ActionResult.OBJECT_UNDEFINED
        if not access.method(index).can_invoke(self.authenticated):
            return ActionResult.READ_WRITE_DENIED
        return ActionResult.SUCCESS

    def action(
        self, class_id: int, logical_name: Obis, index: int, parameters: Data = None
    ) -> MethodResult:
        allowed = self.may_act(class_id, logical_name, index)
        if allowed is not ActionResult.SUCCESS:
            return allowed, None
        obj = self.resolve(logical_name)
        assert obj is not None
        return obj[0].action(index, parameters)
