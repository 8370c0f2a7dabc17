"""A ClientAssociation joined in memory to a ServerAssociation (no sockets)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.association.client import ClientAssociation, ClientSettings
from openamr.association.config import AssociationConfig
from openamr.association.server_association import ServerAssociation
from openamr.cosem import LogicalDevice
from openamr.cosem.classes.image_transfer import ImageTransfer
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext

from .conftest import AK, CLIENT_TITLE, EK, build_device, configs

BIG = "0.0.99.99.0.255"  # Data holding a structure of 600 unsigned
ENERGY = "1.0.1.8.0.255"  # Register, double-long-unsigned 123456
IMAGE = "0.0.44.0.0.255"  # Image transfer, block size 3000


def counting_random() -> Callable[[int], bytes]:
    counter = itertools.count(1)
    return lambda n: bytes((next(counter) * 13 + i) % 256 for i in range(n))


def client_keys(ek: bytes = EK, ak: bytes = AK, dedicated: bytes | None = None) -> SecurityContext:
    return SecurityContext(KeySet(ek, ak, dedicated_ek=dedicated), CLIENT_TITLE)


SETTINGS: dict[int, ClientSettings] = {
    16: ClientSettings(),
    32: ClientSettings(mechanism=MechanismName.LLS, password=b"12345678"),
    1: ClientSettings(
        context=ApplicationContextName.LOGICAL_NAME_WITH_CIPHERING,
        mechanism=MechanismName.HLS_GMAC,
        security=client_keys(),
    ),
}


@dataclass
class Pair:
    """A client and a server over one in-memory 'connection' that records every APDU."""

    client: ClientAssociation
    server: ServerAssociation
    requests: list[bytes] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)

    def transport(self, data: bytes) -> bytes:
        self.requests.append(data)
        answer = self.server.receive(data)
        assert answer is not None, "the server stayed silent"
        self.answers.append(answer)
        return answer


def device() -> LogicalDevice:
    d = build_device()
    d.add(ImageTransfer(IMAGE, block_size=3000))
    return d


def make_pair(
    sap: int,
    settings: ClientSettings | None = None,
    server_pdu: int | None = None,
    outgoing: OutgoingCounter | None = None,
    offered: dict[int, AssociationConfig] | None = None,
) -> Pair:
    """A pair for client SAP ``sap`` of the conftest device (plus an image transfer
    object); ``server_pdu`` overrides the server's max receive PDU size."""
    offered = offered if offered is not None else configs(device())
    if server_pdu is not None:
        offered = {k: replace(c, max_receive_pdu_size=server_pdu) for k, c in offered.items()}
    server = ServerAssociation(offered, sap, counting_random())
    client = ClientAssociation(settings or SETTINGS[sap], counting_random(), outgoing)
    return Pair(client, server)
