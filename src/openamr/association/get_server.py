"""The server side of the GET service, with block transfer (Green Book 9.3.6,
"GET service"; 9.4.6.x "Long GET with block transfer").

A response that does not fit the client's max receive PDU size is sent as
Get-Response-With-Datablock: the encoded Data (or, for with-list, the encoded
SEQUENCE OF Get-Data-Result) is cut into blocks numbered from 1; the client asks
for each next block with Get-Request-Next naming the last block it received.
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.apdu.base import Apdu
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
)
from openamr.apdu.get import (
    DataBlockG,
    GetDataResult,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
)
from openamr.apdu.results import DataAccessResult
from openamr.association.handler import ServiceHandler

#: Bytes a Get-Response-With-Datablock adds around its raw data:
#: C4 02 iip | last | block(4) | 00 | length(<=3).
DATABLOCK_OVERHEAD = 12


@dataclass
class _LongGet:
    """A long GET in progress: the whole encoded response and the last block sent."""

    raw: bytes
    block_size: int
    last_sent: int = 0

    def block(self, number: int, iip: InvokeIdAndPriority) -> GetResponseWithDatablock:
        start = (number - 1) * self.block_size
        chunk = self.raw[start : start + self.block_size]
        last = start + self.block_size >= len(self.raw)
        self.last_sent = number
        return GetResponseWithDatablock(DataBlockG(last, number, chunk), iip)

    @property
    def finished(self) -> bool:
        return self.last_sent * self.block_size >= len(self.raw)


def _result(handler: ServiceHandler, ref: CosemAttributeDescriptor,
            sel: SelectiveAccessDescriptor | None) -> GetDataResult:  # fmt: skip
    if sel is None:
        return handler.get(ref.class_id, ref.instance_id, ref.attribute_id)
    return handler.get(
        ref.class_id, ref.instance_id, ref.attribute_id, sel.access_selector, sel.access_parameters
    )


#: The octets of a Get-Response before its result: C4, the choice, invoke-id-and-priority.
HEADER = 3


def _raw_start(result: GetDataResult) -> int:
    """Where the raw data of a long GET-Normal starts in the encoded response: the
    value alone, after its choice octet (a refusal keeps its choice: 01 and the
    code, as ``write_get_data_result`` writes it)."""
    return HEADER if isinstance(result, DataAccessResult) else HEADER + 1


class GetServer:
    """Answers GET requests for one association; holds at most one long GET."""

    def __init__(self, handler: ServiceHandler, max_pdu_size: int, block_transfer: bool) -> None:
        self.handler = handler
        self.max_pdu_size = max_pdu_size
        self.block_transfer = block_transfer
        self.pending: _LongGet | None = None

    def handle(self, request: Apdu) -> Apdu:
        if isinstance(request, GetRequestNormal):
            result = _result(
                self.handler, request.cosem_attribute_descriptor, request.access_selection
            )
            normal = GetResponseNormal(result, request.invoke_id_and_priority)
            return self._fit(normal, _raw_start(result), request)
        if isinstance(request, GetRequestWithList):
            results = tuple(
                _result(self.handler, d.cosem_attribute_descriptor, d.access_selection)
                for d in request.attribute_descriptor_list
            )
            listed = GetResponseWithList(results, request.invoke_id_and_priority)
            return self._fit(listed, HEADER, request)  # the SEQUENCE OF Get-Data-Result
        assert isinstance(request, GetRequestNext)
        return self._next(request)

    def _fit(
        self, response: Apdu, raw_start: int, request: GetRequestNormal | GetRequestWithList
    ) -> Apdu:
        """``response``, or its first block when it is longer than the client takes:
        the raw data of the blocks is its encoding from ``raw_start`` on, encoded once."""
        encoded = response.to_bytes()
        if len(encoded) <= self.max_pdu_size:
            self.pending = None
            return response
        iip = request.invoke_id_and_priority
        block_size = self.max_pdu_size - DATABLOCK_OVERHEAD
        if not self.block_transfer or block_size <= 0:
            return GetResponseNormal(DataAccessResult.OTHER_REASON, iip)
        self.pending = _LongGet(encoded[raw_start:], block_size)
        return self.pending.block(1, iip)

    def _next(self, request: GetRequestNext) -> Apdu:
        iip = request.invoke_id_and_priority
        pending = self.pending
        if pending is None:
            return GetResponseWithDatablock(
                DataBlockG(True, request.block_number, DataAccessResult.NO_LONG_GET_IN_PROGRESS),
                iip,
            )
        if request.block_number != pending.last_sent or pending.finished:
            self.pending = None
            return GetResponseWithDatablock(
                DataBlockG(True, request.block_number, DataAccessResult.DATA_BLOCK_NUMBER_INVALID),
                iip,
            )
        response = pending.block(pending.last_sent + 1, iip)
        if pending.finished:
            self.pending = None
        return response
