"""What the association layer asks of the object model (sans-IO).

The server-side association decodes xDLMS requests and hands each attribute or
method reference to a :class:`ServiceHandler`; the object model
(``openamr.cosem.AssociationView``) is one. Refusals come back as values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from openamr.apdu.initiate import Conformance
from openamr.apdu.results import ActionResult, DataAccessResult
from openamr.codec.obis import Obis
from openamr.codec.types import Data


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The xDLMS context one association agreed (Green Book 9.4.6.1; what Association
    LN ``xDLMS_context_info``, Blue Book 4.4.3 attribute 5, shows while it lasts).

    ``max_receive_pdu_size`` is the server's, ``max_send_pdu_size`` the client's
    max receive PDU size (what the server may send)."""

    conformance: Conformance
    max_receive_pdu_size: int
    max_send_pdu_size: int
    dlms_version: int = 6
    quality_of_service: int = 0
    cyphering_info: bytes = b""


class ServiceHandler(Protocol):
    """GET, SET and ACTION on one association's view of a logical device."""

    def get(
        self,
        class_id: int,
        logical_name: Obis,
        index: int,
        selector: int | None = None,
        parameters: Data = None,
    ) -> Data | DataAccessResult: ...

    def set(
        self,
        class_id: int,
        logical_name: Obis,
        index: int,
        value: Data,
        selector: int | None = None,
        parameters: Data = None,
    ) -> DataAccessResult: ...

    def action(
        self, class_id: int, logical_name: Obis, index: int, parameters: Data = None
    ) -> tuple[ActionResult, Data]: ...

    def may_set(self, class_id: int, logical_name: Obis, index: int) -> DataAccessResult:
        """Whether a SET of this attribute would be let through (SUCCESS), before its
        value is known: a long SET is refused at its first block."""
        ...

    def may_act(self, class_id: int, logical_name: Obis, index: int) -> ActionResult:
        """The same for a method (a long ACTION)."""
        ...
