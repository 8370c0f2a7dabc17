"""Names for what an object list gives as numbers: interface classes (Blue Book
4.3-4.5, by class_id), their attributes and methods (from :mod:`openamr.cosem`'s
declarations), access modes (Blue Book 4.4.3, Association LN), and the objects and
profile columns of the MT372 (from its device profile, :mod:`openamr.devices.mt372`)."""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.cosem.access import AttributeAccess, MethodAccess
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.activity_calendar import ActivityCalendar
from openamr.cosem.classes.association_ln import AssociationLN
from openamr.cosem.classes.auto_answer import AutoAnswer
from openamr.cosem.classes.auto_connect import AutoConnect
from openamr.cosem.classes.clock import Clock
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.demand_register import DemandRegister
from openamr.cosem.classes.disconnect_control import DisconnectControl
from openamr.cosem.classes.extended_register import ExtendedRegister
from openamr.cosem.classes.gprs_modem_setup import GprsModemSetup
from openamr.cosem.classes.gsm_diagnostic import GsmDiagnostic
from openamr.cosem.classes.iec_hdlc_setup import IecHdlcSetup
from openamr.cosem.classes.iec_local_port_setup import IecLocalPortSetup
from openamr.cosem.classes.image_transfer import ImageTransfer
from openamr.cosem.classes.ipv4_setup import Ipv4Setup
from openamr.cosem.classes.limiter import Limiter
from openamr.cosem.classes.profile_generic import ProfileGeneric
from openamr.cosem.classes.push_setup import PushSetup
from openamr.cosem.classes.register import Register
from openamr.cosem.classes.register_activation import RegisterActivation
from openamr.cosem.classes.register_monitor import RegisterMonitor
from openamr.cosem.classes.sap_assignment import SapAssignment
from openamr.cosem.classes.script_table import ScriptTable
from openamr.cosem.classes.security_setup import SecuritySetup
from openamr.cosem.classes.single_action_schedule import SingleActionSchedule
from openamr.cosem.classes.special_days import SpecialDaysTable
from openamr.cosem.classes.tcp_udp_setup import TcpUdpSetup
from openamr.cosem.names import CLASS_NAMES as CLASS_NAMES  # re-exported
from openamr.cosem.names import class_name as class_name
from openamr.devices.mt372.objects import MT372
from openamr.devices.profile import DeviceProfile

_DECLARED: tuple[type[CosemObject], ...] = (
    ActivityCalendar,
    AssociationLN,
    AutoAnswer,
    AutoConnect,
    Clock,
    Data,
    DemandRegister,
    DisconnectControl,
    ExtendedRegister,
    GprsModemSetup,
    GsmDiagnostic,
    IecHdlcSetup,
    IecLocalPortSetup,
    ImageTransfer,
    Ipv4Setup,
    Limiter,
    ProfileGeneric,
    PushSetup,
    Register,
    RegisterActivation,
    RegisterMonitor,
    SapAssignment,
    ScriptTable,
    SecuritySetup,
    SingleActionSchedule,
    SpecialDaysTable,
    TcpUdpSetup,
)
CLASSES: dict[int, type[CosemObject]] = {c.CLASS_ID: c for c in _DECLARED}

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
    declared = CLASSES.get(class_id)
    attribute = declared.attribute(index) if declared is not None else None
    return attribute.name if attribute is not None else f"attribute {index}"


def method_name(class_id: int, index: int) -> str:
    declared = CLASSES.get(class_id)
    method = declared.method(index) if declared is not None else None
    return method.name if method is not None else f"method {index}"


def object_name(obis: Obis, profile: DeviceProfile = MT372) -> str:
    """The device's name for an object ("A+ total"); "" for one it does not declare
    (:attr:`openamr.client.values.ObjectInfo.name` for the MT372's)."""
    return profile.name_of(obis) or ""


def column_name(class_id: int, obis: Obis, attribute: int, profile: DeviceProfile = MT372) -> str:
    """A profile column's name: its object's, with the attribute when it is not the
    value ("maximum demand A+ total capture_time"); "" for an unknown object."""
    name = object_name(obis, profile)
    if name and attribute != 2:
        return f"{name} {attribute_name(class_id, attribute)}"
    return name
