"""The MT372's associations (docs/mt372.md; a project decision,
public documents give none), with the access each client has to each object as
the device profile declares it (:mod:`openamr.devices.mt372.objects`):

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

import functools
from dataclasses import dataclass, field

from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.association.config import AssociationConfig, HandlerFactory
from openamr.association.handler import Negotiated
from openamr.cosem import (
    CURRENT_ASSOCIATION,
    AccessPolicy,
    AssociationView,
    AttributeAccess,
    LogicalDevice,
    MethodAccess,
    ObjectAccess,
)
from openamr.cosem.classes.association_ln import AssociationLN
from openamr.devices.mt372 import objects as mt372
from openamr.devices.mt372.objects import (
    HEAD_END_CLIENT as HEAD_END_CLIENT,  # the client SAPs, re-exported
)
from openamr.devices.mt372.objects import MANAGEMENT_CLIENT as MANAGEMENT_CLIENT
from openamr.devices.mt372.objects import MT372, PUBLIC_CLIENT
from openamr.devices.mt372.objects import READER_CLIENT as READER_CLIENT
from openamr.devices.profile import DeviceProfile, ObjectDecl
from openamr.security.keys import KeySet, SecurityContext

SERVER_LOGICAL_ADDRESS = 1
HDLC_PHYSICAL_ADDRESS = 17
DEFAULT_PASSWORD = b"12345678"
DEFAULT_EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
DEFAULT_AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
SECURITY_SETUP = mt372.SECURITY_SETUP.obis
DEFAULT_KEK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")

#: What the public client sees (read-only), from the device profile; with the
#: current association 0.0.40.0.0.255, the alias of its own Association LN.
PUBLIC_OBJECTS = frozenset(
    {CURRENT_ASSOCIATION, *(d.obis for d in MT372.objects if d.right(PUBLIC_CLIENT) != "-")}
)

#: The object-level access modes of the device profile (openamr.devices.profile).
RIGHTS: dict[str, ObjectAccess | None] = {
    "-": None,
    "r": ObjectAccess(),
    "rw": ObjectAccess(AttributeAccess.READ_AND_WRITE, MethodAccess.ACCESS),
    "auth r": ObjectAccess(AttributeAccess.AUTHENTICATED_READ_ONLY, MethodAccess.NO_ACCESS),
    "auth rw": ObjectAccess(
        AttributeAccess.AUTHENTICATED_READ_AND_WRITE, MethodAccess.AUTHENTICATED_ACCESS
    ),
}


@functools.lru_cache(maxsize=64)
def policy(profile: DeviceProfile, client: int) -> AccessPolicy:
    """What ``client`` may do with each declared object; undeclared ones are hidden.
    One policy per profile and client, shared by the meters of that profile (it is
    never changed: a twin is built in well under its cost otherwise, issue 9)."""
    return AccessPolicy(
        default=None, entries={d.obis: RIGHTS[d.right(client)] for d in profile.objects}
    )


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


#: The device profile's mechanisms: mechanism name and application context.
MECHANISMS: dict[str, tuple[MechanismName, ApplicationContextName]] = {
    "none": (MechanismName.NONE, ApplicationContextName.LOGICAL_NAME),
    "lls": (MechanismName.LLS, ApplicationContextName.LOGICAL_NAME),
    "hls-gmac": (MechanismName.HLS_GMAC, ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING),
}


class Associations:
    """Builds the Association LN objects a profile declares and collects the
    configs the server offers, by client SAP (``configs``)."""

    def __init__(
        self, device: LogicalDevice, profile: DeviceProfile, credentials: Credentials
    ) -> None:
        self.device, self.profile, self.credentials = device, profile, credentials
        self.configs: dict[int, AssociationConfig] = {}
        self.security = SecurityContext(credentials.keys, credentials.system_title)

    def __call__(self, decl: ObjectDecl) -> AssociationLN:
        offered = self.profile.client_of(decl.obis)
        client = offered.sap
        mechanism, context = MECHANISMS[offered.mechanism]
        access = policy(self.profile, client)
        association = AssociationLN(
            decl.obis,
            self.device,
            access,
            client_sap=client,
            server_sap=SERVER_LOGICAL_ADDRESS,
            context_id=context.value,
            mechanism_id=mechanism.value,
            secret=self.credentials.password if mechanism is MechanismName.LLS else b"",
            security_setup=SECURITY_SETUP if context.ciphered else None,
        )
        self.configs[client] = AssociationConfig(
            client,
            _opener(self.device, access, association),
            mechanism,
            context,
            secret=self.credentials.password,
            security=self.security if context.ciphered else None,
        )
        return association


def _opener(device: LogicalDevice, policy: AccessPolicy, ln: AssociationLN) -> HandlerFactory:
    def open_view(authenticated: bool, negotiated: Negotiated | None = None) -> AssociationView:
        return AssociationView(device, policy, ln, authenticated, negotiated)

    return open_view
