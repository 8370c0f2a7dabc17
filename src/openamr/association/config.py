"""What a server offers one client SAP: context, mechanism, secrets and keys,
conformance and PDU size (Green Book 9.4.2 "Association establishment")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from openamr.apdu.initiate import Conformance
from openamr.apdu.mechanism import ApplicationContextName, MechanismName
from openamr.association.handler import Negotiated, ServiceHandler
from openamr.security.control_byte import SecurityControl
from openamr.security.keys import SecurityContext
from openamr.security.lls import LlsGuard

#: The services a server of this stack implements (Green Book Table "Conformance").
SERVER_CONFORMANCE = (
    Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ
    | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE
    | Conformance.BLOCK_TRANSFER_WITH_ACTION
    | Conformance.MULTIPLE_REFERENCES
    | Conformance.GET
    | Conformance.SET
    | Conformance.SELECTIVE_ACCESS
    | Conformance.ACTION
)


class HandlerFactory(Protocol):
    """Builds the object-model view of an association; ``authenticated`` says whether
    its APDUs are authenticated (the ``authenticated_*`` access modes need that),
    ``negotiated`` is the xDLMS context agreed (None outside an association)."""

    def __call__(
        self, authenticated: bool, negotiated: Negotiated | None = None
    ) -> ServiceHandler: ...


@dataclass(frozen=True)
class AssociationConfig:
    """One association the server offers, chosen by the client SAP.

    ``secret`` is the LLS password; ``security`` holds the server's system title and
    the suite 0 keys for HLS-GMAC and ciphering; ``protection`` the least protection
    of every APDU when the context is ciphered; ``guard`` slows LLS guessing down (one
    guard for every connection to this association: its failures are the meter's)."""

    client_sap: int
    open_handler: HandlerFactory
    mechanism: MechanismName = MechanismName.NONE
    context: ApplicationContextName = ApplicationContextName.LOGICAL_NAME
    secret: bytes = field(default=b"", repr=False)
    security: SecurityContext | None = None
    protection: SecurityControl = field(
        default_factory=lambda: SecurityControl(authentication=True, encryption=True)
    )
    conformance: Conformance = SERVER_CONFORMANCE
    max_receive_pdu_size: int = 0x0400
    guard: LlsGuard | None = field(default=None, compare=False)

    @property
    def ciphered(self) -> bool:
        return self.context.ciphered
