"""A small logical device served by a ServerAssociation, for in-memory tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.association.config import AssociationConfig, HandlerFactory
from openamr.association.handler import Negotiated
from openamr.association.server_association import ServerAssociation
from openamr.codec import DoubleLongUnsigned, OctetString, Structure, Unsigned, VisibleString
from openamr.codec.units import ScalerUnit, Unit
from openamr.cosem import READ_WRITE, AccessPolicy, AssociationView, LogicalDevice
from openamr.cosem.classes.association_ln import AssociationLN
from openamr.cosem.classes.data import Data
from openamr.cosem.classes.register import Register
from openamr.security.keys import KeySet, SecurityContext

EK = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AK = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
SERVER_TITLE = bytes.fromhex("4D 4D 4D 00 00 BC 61 4E")
CLIENT_TITLE = bytes.fromhex("4D 4D 4D 00 00 00 00 01")


def build_device() -> LogicalDevice:
    device = LogicalDevice(
        [
            Data("0.0.42.0.0.255", OctetString(b"ISK0000012345678")),
            Data("0.0.96.1.0.255", VisibleString("12345678")),
            Register("1.0.1.8.0.255", DoubleLongUnsigned(123456), ScalerUnit(0, Unit.WATT_HOUR)),
            Data("0.0.99.99.0.255", Structure(tuple(Unsigned(i % 256) for i in range(600)))),
        ]
    )
    return device


def configs(device: LogicalDevice) -> dict[int, AssociationConfig]:
    def opener(client: int, policy: AccessPolicy) -> HandlerFactory:
        ln = AssociationLN(f"0.0.40.0.{client}.255", device, policy, client_sap=client)

        def open_view(authenticated: bool, negotiated: Negotiated | None = None) -> AssociationView:
            return AssociationView(device, policy, ln, authenticated, negotiated)

        return open_view

    public = AccessPolicy()
    security = SecurityContext(KeySet(EK, AK), SERVER_TITLE)
    return {
        16: AssociationConfig(16, opener(16, public)),
        32: AssociationConfig(
            32, opener(32, AccessPolicy(default=READ_WRITE)), MechanismName.LLS, secret=b"12345678"
        ),
        1: AssociationConfig(
            1,
            opener(1, AccessPolicy(default=READ_WRITE)),
            MechanismName.HLS_GMAC,
            ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
            security=security,
        ),
    }


@pytest.fixture
def server_for() -> Callable[[int], ServerAssociation]:
    device = build_device()
    offered = configs(device)
    counter = itertools.count()

    def random(n: int) -> bytes:
        return bytes((next(counter) * 7 + i) % 256 for i in range(n))

    return lambda client: ServerAssociation(offered, client, random)
