"""The object model: every GET/SET/ACTION decided by the association's rights."""

from __future__ import annotations

from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec import DoubleLongUnsigned, Integer, OctetString, Unsigned, VisibleString
from openamr.codec.obis import Obis
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import (
    CURRENT_ASSOCIATION,
    READ_WRITE,
    AccessPolicy,
    AssociationView,
    AttributeAccess,
    LogicalDevice,
    MethodAccess,
    ObjectAccess,
)
from openamr.cosem.classes.association_ln import AssociationLN
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.register import Register

SERIAL = Obis.parse("0.0.96.1.0.255")
ENERGY = Obis.parse("1.0.1.8.0.255")
HIDDEN = Obis.parse("0.0.96.2.0.255")


def make_view(policy: AccessPolicy, authenticated: bool = False) -> AssociationView:
    device = LogicalDevice(
        [
            Data(SERIAL, VisibleString("12345678")),
            Register(ENERGY, DoubleLongUnsigned(1234), ScalerUnit(0, Unit.WATT_HOUR)),
            Data(HIDDEN, Unsigned(3)),
        ]
    )
    association = AssociationLN("0.0.40.0.2.255", device, policy, client_sap=16)
    device.add(association)
    return AssociationView(device, policy, association, authenticated)


PUBLIC = AccessPolicy(entries={HIDDEN: None})


def test_read_value_and_logical_name() -> None:
    view = make_view(PUBLIC)
    assert view.get(1, SERIAL, 2) == VisibleString("12345678")
    assert view.get(3, ENERGY, 1) == OctetString(ENERGY.to_bytes())
    assert view.get(3, ENERGY, 3) == ScalerUnit(0, Unit.WATT_HOUR).to_data()


def test_refusals_are_values() -> None:
    view = make_view(PUBLIC)
    assert view.get(1, HIDDEN, 2) is DataAccessResult.OBJECT_UNDEFINED
    assert view.get(1, Obis.parse("9.9.9.9.9.9"), 2) is DataAccessResult.OBJECT_UNDEFINED
    assert view.get(3, SERIAL, 2) is DataAccessResult.OBJECT_CLASS_INCONSISTENT
    assert view.get(1, SERIAL, 9) is DataAccessResult.OBJECT_UNDEFINED
    assert view.set(1, SERIAL, 2, VisibleString("x")) is DataAccessResult.READ_WRITE_DENIED
    assert view.action(3, ENERGY, 1, Integer(0)) == (ActionResult.READ_WRITE_DENIED, None)


def test_write_and_method_with_rights() -> None:
    view = make_view(AccessPolicy(default=READ_WRITE))
    assert view.set(3, ENERGY, 2, DoubleLongUnsigned(5)) is DataAccessResult.SUCCESS
    assert view.get(3, ENERGY, 2) == 5
    assert view.set(3, ENERGY, 3, Unsigned(1)) is DataAccessResult.TYPE_UNMATCHED
    assert view.set(3, ENERGY, 1, OctetString(bytes(6))) is DataAccessResult.READ_WRITE_DENIED
    assert view.action(3, ENERGY, 1, Integer(0)) == (ActionResult.SUCCESS, None)
    assert view.get(3, ENERGY, 2) == 0
    assert view.action(3, ENERGY, 1, Unsigned(0))[0] is ActionResult.TYPE_UNMATCHED
    assert view.action(3, ENERGY, 7, None)[0] is ActionResult.OBJECT_UNDEFINED


def test_authenticated_modes_need_authentication() -> None:
    auth_only = ObjectAccess(
        AttributeAccess.AUTHENTICATED_READ_ONLY, MethodAccess.AUTHENTICATED_ACCESS
    )
    policy = AccessPolicy(default=auth_only)
    plain, secured = make_view(policy), make_view(policy, authenticated=True)
    assert plain.get(1, SERIAL, 2) is DataAccessResult.READ_WRITE_DENIED
    assert secured.get(1, SERIAL, 2) == VisibleString("12345678")
    assert plain.get(1, SERIAL, 1) == OctetString(SERIAL.to_bytes())  # always readable


def test_object_list_is_derived_from_declarations_and_rights() -> None:
    view = make_view(PUBLIC)
    object_list = view.get(15, CURRENT_ASSOCIATION, 2)
    assert isinstance(object_list, list)
    names = {bytes(e[2]) for e in object_list}  # type: ignore[index, arg-type]
    assert SERIAL.to_bytes() in names and ENERGY.to_bytes() in names
    assert HIDDEN.to_bytes() not in names
    register = next(e for e in object_list if bytes(e[2]) == ENERGY.to_bytes())  # type: ignore[index, arg-type]
    assert register[0] == 3 and register[1] == 0  # type: ignore[index]
    attribute_access, method_access = register[3]  # type: ignore[index, misc]
    assert [(a[0], a[1]) for a in attribute_access] == [(1, 1), (2, 1), (3, 1)]
    assert [(m[0], m[1]) for m in method_access] == [(1, 0)]


def test_secret_is_never_readable() -> None:
    view = make_view(AccessPolicy(default=READ_WRITE))
    assert view.get(15, CURRENT_ASSOCIATION, 7) is DataAccessResult.READ_WRITE_DENIED
