"""Names for what an object list gives as numbers: interface classes (Blue Book
4.3-4.5, by class_id), their attributes and methods (from :mod:`openamr.cosem`'s
declarations), access modes (Blue Book 4.4.3, Association LN), and the objects and
profile columns of the MT372 (from its device profile, :mod:`openamr.devices.mt372`)."""

from __future__ import annotations

import functools
import importlib
from typing import TYPE_CHECKING

from openamr.codec.obis import Obis
from openamr.cosem.access import AttributeAccess, MethodAccess
from openamr.cosem.names import CLASS_NAMES as CLASS_NAMES  # re-exported
from openamr.cosem.names import class_name as class_name

if TYPE_CHECKING:
    from openamr.cosem.base import CosemObject
    from openamr.devices.profile import DeviceProfile

#: The declared interface classes by class_id, as "module:Class" of
#: :mod:`openamr.cosem.classes`. A class is imported when one of its names is first
#: asked for: ``openamr read`` of a register loads the Register class, not all 28.
DECLARED: dict[int, str] = {
    1: "data:Data",
    3: "register:Register",
    4: "extended_register:ExtendedRegister",
    5: "demand_register:DemandRegister",
    6: "register_activation:RegisterActivation",
    7: "profile_generic:ProfileGeneric",
    8: "clock:Clock",
    9: "script_table:ScriptTable",
    11: "special_days:SpecialDaysTable",
    15: "association_ln:AssociationLN",
    17: "sap_assignment:SapAssignment",
    18: "image_transfer:ImageTransfer",
    19: "iec_local_port_setup:IecLocalPortSetup",
    20: "activity_calendar:ActivityCalendar",
    21: "register_monitor:RegisterMonitor",
    22: "single_action_schedule:SingleActionSchedule",
    23: "iec_hdlc_setup:IecHdlcSetup",
    27: "modem_configuration:ModemConfiguration",
    28: "auto_answer:AutoAnswer",
    29: "auto_connect:AutoConnect",
    40: "push_setup:PushSetup",
    41: "tcp_udp_setup:TcpUdpSetup",
    42: "ipv4_setup:Ipv4Setup",
    45: "gprs_modem_setup:GprsModemSetup",
    47: "gsm_diagnostic:GsmDiagnostic",
    64: "security_setup:SecuritySetup",
    70: "disconnect_control:DisconnectControl",
    71: "limiter:Limiter",
}


@functools.cache
def declared_class(class_id: int) -> type[CosemObject] | None:
    """The class declaration of ``class_id`` (None: not declared), imported once."""
    where = DECLARED.get(class_id)
    if where is None:
        return None
    module, name = where.split(":")
    declared: type[CosemObject] = getattr(
        importlib.import_module(f"openamr.cosem.classes.{module}"), name
    )
    return declared


#: Short forms of the access modes for tables ("auth" = authenticated).
ATTRIBUTE_ACCESS: dict[AttributeAccess, str] = {
    AttributeAccess.NO_ACCESS: "-", AttributeAccess.READ_ONLY: "r",
    AttributeAccess.WRITE_ONLY: "w", AttributeAccess.READ_AND_WRITE: "rw",
    AttributeAccess.AUTHENTICATED_READ_ONLY: "auth r",
    AttributeAccess.AUTHENTICATED_WRITE_ONLY: "auth w",
    AttributeAccess.AUTHENTICATED_READ_AND_WRITE: "auth rw",
}  # fmt: skip
METHOD_ACCESS: dict[MethodAccess, str] = {
    MethodAccess.NO_ACCESS: "-", MethodAccess.ACCESS: "x",
    MethodAccess.AUTHENTICATED_ACCESS: "auth x",
}  # fmt: skip


def attribute_name(class_id: int, index: int) -> str:
    """``"scaler_unit"`` for (3, 3); ``"attribute 9"`` when the class is unknown."""
    declared = declared_class(class_id)
    attribute = declared.attribute(index) if declared is not None else None
    return attribute.name if attribute is not None else f"attribute {index}"


def method_name(class_id: int, index: int) -> str:
    declared = declared_class(class_id)
    method = declared.method(index) if declared is not None else None
    return method.name if method is not None else f"method {index}"


def object_name(obis: Obis, profile: DeviceProfile | None = None) -> str:
    """The device's name for an object ("A+ total"); "" for one it does not declare
    (:attr:`openamr.client.values.ObjectInfo.name` for the MT372's, the default)."""
    if profile is None:
        from openamr.devices.mt372.objects import MT372  # only when a name is shown

        profile = MT372
    return profile.name_of(obis) or ""


def column_name(
    class_id: int, obis: Obis, attribute: int, profile: DeviceProfile | None = None
) -> str:
    """A profile column's name: its object's, with the attribute when it is not the
    value ("maximum demand A+ total capture_time"); "" for an unknown object."""
    name = object_name(obis, profile)
    if name and attribute != 2:
        return f"{name} {attribute_name(class_id, attribute)}"
    return name
