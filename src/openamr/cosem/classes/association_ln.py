"""Association LN, class_id 15, version 1 (Blue Book 4.4.3).

One instance per association the server offers (0.0.40.0.x.255); the one in use
answers for 0.0.40.0.0.255. ``object_list`` is derived from the device and the
association's :class:`AccessPolicy`, never declared by hand::

    object_list_element ::= structure {
        class_id long-unsigned, version unsigned, logical_name octet-string,
        access_rights structure {
            attribute_access array of structure {attribute_id integer,
                access_mode enum, access_selectors null-data | array of integer},
            method_access array of structure {method_id integer, access_mode enum}}}
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from openamr.apdu.results import ActionResult
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    BitString,
    Data,
    Enum,
    Integer,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    Unsigned,
)
from openamr.cosem.access import AccessPolicy, ObjectAccess, attribute_rights
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult, hidden

if TYPE_CHECKING:
    from openamr.association.handler import Negotiated
    from openamr.cosem.device import LogicalDevice

#: application context names (2.16.756.5.8.1.x), as the 7-octet BER OID content.
CONTEXT_OID_PREFIX = bytes.fromhex("60 85 74 05 08 01")
MECHANISM_OID_PREFIX = bytes.fromhex("60 85 74 05 08 02")


class AssociationStatus(enum.IntEnum):
    NON_ASSOCIATED = 0
    ASSOCIATION_PENDING = 1
    ASSOCIATED = 2


def object_list_element(obj: CosemObject, access: ObjectAccess) -> Structure:
    attrs = Array(
        Structure(
            (
                Integer(a.index),
                Enum(attribute_rights(obj, access, a.index)),
                Array(Integer(s) for s in a.selectors) if a.selectors else None,
            )
        )
        for a in obj.attributes()
    )
    methods = Array(
        Structure((Integer(m.index), Enum(access.method(m.index)))) for m in obj.methods()
    )
    return Structure(
        (
            LongUnsigned(obj.CLASS_ID),
            Unsigned(obj.VERSION),
            OctetString(obj.logical_name.to_bytes()),
            Structure((attrs, methods)),
        )
    )


def xdlms_context_info(n: Negotiated) -> Structure:
    """xDLMS_context_type ::= structure {conformance bit-string(24), max_receive_pdu_size
    long-unsigned, max_send_pdu_size long-unsigned, dlms_version_number unsigned,
    quality_of_service integer, cyphering_info octet-string} (Blue Book 4.4.3).
    cyphering_info is empty: decision, the twin never shows a dedicated key."""
    return Structure(
        (
            BitString(int(n.conformance).to_bytes(3, "big"), 24),
            LongUnsigned(n.max_receive_pdu_size),
            LongUnsigned(n.max_send_pdu_size),
            Unsigned(n.dlms_version),
            Integer(n.quality_of_service),
            OctetString(n.cyphering_info),
        )
    )


class AssociationLN(CosemObject, class_id=15, version=1):
    """The server's view of one association: partners, context, mechanism, secret."""

    ATTRIBUTES = (
        Attribute(2, "object_list"),
        Attribute(3, "associated_partners_id", Tag.STRUCTURE),
        Attribute(4, "application_context_name"),
        Attribute(5, "xdlms_context_info", Tag.STRUCTURE),
        Attribute(6, "authentication_mechanism_name"),
        Attribute(7, "secret", Tag.OCTET_STRING),
        Attribute(8, "association_status", Tag.ENUM),
        Attribute(9, "security_setup_reference", Tag.OCTET_STRING),
    )
    METHODS = (
        Method(1, "reply_to_hls_authentication", Tag.OCTET_STRING),
        Method(2, "change_hls_secret", Tag.OCTET_STRING),
        Method(3, "add_object"),
        Method(4, "remove_object"),
    )

    def __init__(
        self,
        logical_name: Obis | str,
        device: LogicalDevice,
        policy: AccessPolicy,
        client_sap: int,
        server_sap: int = 1,
        context_id: int = 1,
        mechanism_id: int = 0,
        secret: bytes = b"",
        security_setup: Obis | None = None,
        xdlms_context_info: Data = None,
    ) -> None:
        super().__init__(logical_name)
        self.device, self.policy = device, policy
        self.client_sap, self.server_sap = client_sap, server_sap
        self.associated_partners_id: Data = Structure(
            (Integer(client_sap), LongUnsigned(server_sap))
        )
        self.application_context_name: Data = OctetString(CONTEXT_OID_PREFIX + bytes([context_id]))
        self.authentication_mechanism_name: Data = OctetString(
            MECHANISM_OID_PREFIX + bytes([mechanism_id])
        )
        self.secret: Data = OctetString(secret)
        self.association_status: Data = Enum(AssociationStatus.NON_ASSOCIATED)
        self.security_setup_reference: Data = OctetString(
            security_setup.to_bytes() if security_setup else b""
        )
        self.xdlms_context_info = xdlms_context_info

    def get_object_list(self) -> Data:
        elements = []
        for obj in self.device:
            access = self.policy.access(obj)
            if access is not None:
                elements.append(object_list_element(obj, access))
        return Array(elements)

    def in_association(self, index: int, negotiated: Negotiated) -> Data | None:
        """While associated: status ``associated`` (attribute 8) and the agreed xDLMS
        context (attribute 5); the object at rest reads non-associated and null-data."""
        if index == 8:
            return Enum(AssociationStatus.ASSOCIATED)
        if index == 5:
            return xdlms_context_info(negotiated)
        return None

    get_secret = staticmethod(hidden)  # never readable, whatever the rights

    def reply_to_hls_authentication(self, parameters: Data) -> MethodResult:
        """HLS pass 3 is answered by the association layer while the association is
        pending (openamr.association.server_association); once associated there is nothing to
        reply to, and the method is refused."""
        return ActionResult.OTHER_REASON, None

    def change_hls_secret(self, parameters: Data) -> MethodResult:
        assert isinstance(parameters, bytes)
        self.secret = OctetString(parameters)
        return SUCCESS

    def add_object(self, parameters: Data) -> MethodResult:
        return ActionResult.OTHER_REASON, None  # the object list is derived, not edited

    def remove_object(self, parameters: Data) -> MethodResult:
        return ActionResult.OTHER_REASON, None
