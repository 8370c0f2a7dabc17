"""SAP assignment, class_id 17, version 0 (Blue Book 4.4.5): which logical device
answers at which service access point (the HDLC / wrapper server address)::

    SAP_assignment_list ::= array asslist_element
    asslist_element ::= structure { SAP long-unsigned, logical_device_name octet-string }

    connect_logical_device (data) ::= asslist_element

Connecting a device to SAP 0 disconnects it; one SAP serves one device (SAP 0
excepted). A device connected elsewhere moves to the new SAP. The list changes
through the method only (a SET is refused).
"""

from __future__ import annotations

from openamr.apdu.results import ActionResult
from openamr.codec.obis import Obis
from openamr.codec.types import Array, Data, LongUnsigned, OctetString, Structure, Tag
from openamr.cosem.base import SUCCESS, Attribute, CosemObject, Method, MethodResult
from openamr.cosem.classes.shape import as_bytes, as_int, denied, fields

#: Decision: "ISK" (the FLAG id) then the model and 8 digits, 16 octets (0.0.42.0.0.255).
DEFAULT_LOGICAL_DEVICE_NAME = b"ISKMT372" + b"00000000"
MANAGEMENT_SAP = 1
ASSIGNMENT = (Tag.LONG_UNSIGNED, Tag.OCTET_STRING)


class SapAssignment(CosemObject, class_id=17, version=0):
    """The SAP list of the physical device (0.0.41.0.0.255)."""

    ATTRIBUTES = (Attribute(2, "sap_assignment_list", Tag.ARRAY, static=True),)
    METHODS = (Method(1, "connect_logical_device", Tag.STRUCTURE),)

    set_sap_assignment_list = staticmethod(denied)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.41.0.0.255",
        assignments: dict[int, bytes] | None = None,
    ) -> None:
        super().__init__(logical_name)
        self.assignments: dict[int, bytes] = (
            dict(assignments)
            if assignments is not None
            else {MANAGEMENT_SAP: DEFAULT_LOGICAL_DEVICE_NAME}
        )

    def get_sap_assignment_list(self) -> Data:
        return Array(
            Structure((LongUnsigned(sap), OctetString(name)))
            for sap, name in sorted(self.assignments.items())
        )

    def device_at(self, sap: int) -> bytes | None:
        """The logical device name served at ``sap``, if any."""
        return self.assignments.get(sap)

    def connect_logical_device(self, parameters: Data) -> MethodResult:
        found = fields(parameters, ASSIGNMENT)
        if found is None:
            return ActionResult.TYPE_UNMATCHED, None
        sap, name = as_int(found[0]), as_bytes(found[1])
        holder = self.assignments.get(sap)
        if sap != 0 and holder is not None and holder != name:
            return ActionResult.OTHER_REASON, None  # one device per SAP
        self.assignments = {s: n for s, n in self.assignments.items() if n != name}
        if sap != 0:
            self.assignments[sap] = name
        return SUCCESS
