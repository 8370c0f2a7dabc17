"""The MT372's associations (../shared/MT372.md section 5; a project decision,
public documents give none):

=======  ==========================  =====================================================
client   mechanism                   rights
=======  ==========================  =====================================================
16       none (public)               read-only, a small set of objects
32       LLS, password ``12345678``  reading and local programming
100      LLS, the same password      as client 32 (the client of the published Mx372
                                     head-end driver; MT372.md section 5)
1        HLS-GMAC, suite 0, ciphered all rights: relay, clock set, keys, firmware
=======  ==========================  =====================================================

Server logical address 1 (wrapper wPort 1), HDLC physical address 17. A head-end
built for the real Mx372 connects as client 100 with LLS, on TCP port 2048 with the
wrapper (the twin listens on 4059 unless told ``--port 2048``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.association.config import AssociationConfig
from openamr.codec.obis import Obis
from openamr.cosem import (
    AccessPolicy,
    AssociationView,
    AttributeAccess,
    LogicalDevice,
    MethodAccess,
    ObjectAccess,
)
from openamr.cosem.base import CosemObject
from openamr.cosem.classes.association_ln import AssociationLN
from openamr.security.keys import KeySet, SecurityContext

PUBLIC_CLIENT, READER_CLIENT, MANAGEMENT_CLIENT = 16, 32, 1
#: The Mx372 head-end driver's client: LLS, reading rights as client 32.
HEAD_END_CLIENT = 100
SERVER_LOGICAL_ADDRESS = 1
HDLC_PHYSICAL_ADDRESS = 17
DEFAULT_PASSWORD = b"12345678"
DEFAULT_EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
DEFAULT_AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
SECURITY_SETUP = Obis(0, 0, 43, 0, 3, 255)
DEFAULT_KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")

#: What the public client sees (read-only).
PUBLIC_OBJECTS = frozenset(
    Obis.parse(s)
    for s in (
        "0.0.1.0.0.255",  # clock
        "0.0.42.0.0.255",  # logical device name
        "0.0.96.1.0.255",  # serial number
        "1.0.0.2.0.255",  # firmware identifier
        "1.0.1.8.0.255",  # A+ total
        "1.0.2.8.0.255",  # A- total
        "0.0.40.0.0.255",  # current association
        "0.0.40.0.1.255",  # the public association itself
        "0.0.43.1.0.255",  # invocation counter (read before a ciphered association)
    )
)

#: Classes and objects the LLS reader may write (local programming).
READER_WRITABLE_CLASSES = frozenset({8, 11, 20, 22})  # clock, special days, calendar, schedule

_READ_ONLY = ObjectAccess()
_READ_WRITE = ObjectAccess(AttributeAccess.READ_AND_WRITE, MethodAccess.ACCESS)
_AUTH_READ_ONLY = ObjectAccess(AttributeAccess.AUTHENTICATED_READ_ONLY, MethodAccess.NO_ACCESS)
_AUTH_ALL = ObjectAccess(
    AttributeAccess.AUTHENTICATED_READ_AND_WRITE, MethodAccess.AUTHENTICATED_ACCESS
)


def measured(obj: CosemObject) -> bool:
    """Registers the meter measures (energy, demand, instantaneous values, impulse
    counters): nobody writes or resets them; demand is reset by the end of billing."""
    return obj.CLASS_ID in (3, 4, 5) and obj.logical_name.a in (1, 6, 7, 8)


def public_policy() -> AccessPolicy:
    return AccessPolicy(
        default=None, rule=lambda o: _READ_ONLY if o.logical_name in PUBLIC_OBJECTS else None
    )


def reader_policy() -> AccessPolicy:
    def rule(obj: CosemObject) -> ObjectAccess:
        if measured(obj):
            return _READ_ONLY
        return _READ_WRITE if obj.CLASS_ID in READER_WRITABLE_CLASSES else _READ_ONLY

    return AccessPolicy(rule=rule)


def management_policy() -> AccessPolicy:
    return AccessPolicy(default=_AUTH_ALL, rule=lambda o: _AUTH_READ_ONLY if measured(o) else None)


@dataclass(frozen=True)
class Credentials:
    """The secrets of one meter; defaults are for tests (MT372.md), a deployed twin
    is given its own."""

    password: bytes = field(default=DEFAULT_PASSWORD, repr=False)
    keys: KeySet = field(default_factory=lambda: KeySet(DEFAULT_EK, DEFAULT_AK, DEFAULT_KEK))
    system_title: bytes = bytes.fromhex("49534B0000BC614E")  # "ISK" + serial
    #: P1 password of the optical port's programming mode (IEC 62056-21); decision:
    #: the LLS default, as MT372.md names no other
    iec_password: bytes = field(default=DEFAULT_PASSWORD, repr=False)


def install(device: LogicalDevice, credentials: Credentials) -> dict[int, AssociationConfig]:
    """Add the Association LN objects (0.0.40.0.1-4.255) to ``device`` and return
    the configs the server offers, by client SAP."""
    security = SecurityContext(credentials.keys, credentials.system_title)
    ln, ciphered = (
        ApplicationContextName.LOGICAL_NAME,
        ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
    )
    offered = (
        (PUBLIC_CLIENT, 1, public_policy(), MechanismName.NONE, ln),
        (READER_CLIENT, 2, reader_policy(), MechanismName.LLS, ln),
        (MANAGEMENT_CLIENT, 3, management_policy(), MechanismName.HLS_GMAC, ciphered),
        (HEAD_END_CLIENT, 4, reader_policy(), MechanismName.LLS, ln),
    )
    configs: dict[int, AssociationConfig] = {}
    for client, instance, policy, mechanism, context in offered:
        association = AssociationLN(
            f"0.0.40.0.{instance}.255",
            device,
            policy,
            client_sap=client,
            server_sap=SERVER_LOGICAL_ADDRESS,
            context_id=context.value,
            mechanism_id=mechanism.value,
            secret=credentials.password if mechanism is MechanismName.LLS else b"",
            security_setup=SECURITY_SETUP if context.ciphered else None,
        )
        device.add(association)
        configs[client] = AssociationConfig(
            client,
            _opener(device, policy, association),
            mechanism,
            context,
            secret=credentials.password,
            security=security if context.ciphered else None,
        )
    return configs


def _opener(
    device: LogicalDevice, policy: AccessPolicy, ln: AssociationLN
) -> Callable[[bool], AssociationView]:
    def open_view(authenticated: bool) -> AssociationView:
        return AssociationView(device, policy, ln, authenticated)

    return open_view
