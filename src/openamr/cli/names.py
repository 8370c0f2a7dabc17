"""Names for what an object list gives as numbers: interface classes (Blue Book
4.3-4.5, by class_id), their attributes and methods (from :mod:`openamr.cosem`'s
declarations), and access modes (Blue Book 4.4.3, Association LN)."""

from __future__ import annotations

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

#: Blue Book names of the interface classes (the declared ones and a few more).
CLASS_NAMES: dict[int, str] = {
    1: "Data", 3: "Register", 4: "Extended register", 5: "Demand register",
    6: "Register activation", 7: "Profile generic", 8: "Clock", 9: "Script table",
    10: "Schedule", 11: "Special days table", 12: "Association SN", 15: "Association LN",
    17: "SAP assignment", 18: "Image transfer", 19: "IEC local port setup",
    20: "Activity calendar", 21: "Register monitor", 22: "Single action schedule",
    23: "IEC HDLC setup", 24: "IEC twisted pair setup", 26: "Utility tables",
    27: "Modem configuration", 28: "Auto answer", 29: "Auto connect", 40: "Push setup",
    41: "TCP-UDP setup", 42: "IPv4 setup", 43: "MAC address setup", 44: "PPP setup",
    45: "GPRS modem setup", 46: "SMTP setup", 47: "GSM diagnostic", 48: "IPv6 setup",
    61: "Register table", 62: "Compact data", 63: "Status mapping", 64: "Security setup",
    65: "Parameter monitor", 67: "Sensor manager", 68: "Arbitrator", 70: "Disconnect control",
    71: "Limiter", 72: "M-Bus client", 115: "Token gateway", 122: "Function control",
    123: "Array manager", 124: "Communication port protection",
}  # fmt: skip

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


def class_name(class_id: int) -> str:
    return CLASS_NAMES.get(class_id, f"class {class_id}")


def attribute_name(class_id: int, index: int) -> str:
    """``"scaler_unit"`` for (3, 3); ``"attribute 9"`` when the class is unknown."""
    declared = CLASSES.get(class_id)
    attribute = declared.attribute(index) if declared is not None else None
    return attribute.name if attribute is not None else f"attribute {index}"


def method_name(class_id: int, index: int) -> str:
    declared = CLASSES.get(class_id)
    method = declared.method(index) if declared is not None else None
    return method.name if method is not None else f"method {index}"
