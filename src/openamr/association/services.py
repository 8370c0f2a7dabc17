"""The xDLMS services of an established association, server side (Green Book 9.3:
GET, SET, ACTION; block transfer both ways).

Requests for services the association did not negotiate are answered with an
ExceptionResponse (service-not-supported). A long SET or ACTION arrives in
numbered blocks; each block but the last is acknowledged, the last one applies
the reassembled value. Access is checked at the first block (a client without the
right to write is refused before anything is buffered), and a value being
reassembled may not grow beyond ``max_reassembly`` bytes (refused: the Green Book
9.3.5 leaves the bound to the server; ours is 64 KiB by default, above the largest
value our objects take, a firmware image block or an activity calendar).
(Issue 11, item 10.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openamr.apdu.action import (
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithList,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithList,
    ActionResponseWithOptionalData,
)
from openamr.apdu.base import Apdu
from openamr.apdu.descriptors import (
    ABSENT,
    CosemAttributeDescriptor,
    CosemMethodDescriptor,
    DataBlockSA,
    SelectiveAccessDescriptor,
)
from openamr.apdu.exception import ExceptionResponse
from openamr.apdu.get import GetRequestNext, GetRequestNormal, GetRequestWithList
from openamr.apdu.initiate import Conformance
from openamr.apdu.results import ActionResult, DataAccessResult, ServiceError, StateError
from openamr.apdu.set import (
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetRequestWithList,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
    SetResponseWithList,
)
from openamr.association.get_server import GetServer
from openamr.association.handler import ServiceHandler
from openamr.codec.axdr import decode
from openamr.codec.types import Data
from openamr.errors import DecodeError

_NEEDS: dict[type[Apdu], Conformance] = {
    GetRequestNormal: Conformance.GET,
    GetRequestNext: Conformance.GET,
    GetRequestWithList: Conformance.GET | Conformance.MULTIPLE_REFERENCES,
    SetRequestNormal: Conformance.SET,
    SetRequestWithFirstDatablock: Conformance.SET | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE,
    SetRequestWithDatablock: Conformance.SET | Conformance.BLOCK_TRANSFER_WITH_SET_OR_WRITE,
    SetRequestWithList: Conformance.SET | Conformance.MULTIPLE_REFERENCES,
    ActionRequestNormal: Conformance.ACTION,
    ActionRequestWithList: Conformance.ACTION | Conformance.MULTIPLE_REFERENCES,
    ActionRequestWithFirstPblock: Conformance.ACTION | Conformance.BLOCK_TRANSFER_WITH_ACTION,
    ActionRequestWithPblock: Conformance.ACTION | Conformance.BLOCK_TRANSFER_WITH_ACTION,
}

Finish = Callable[["Data | DataAccessResult", int], Apdu]
Acknowledge = Callable[[int], Apdu]


#: The largest value a long SET or ACTION may reassemble, in bytes.
MAX_REASSEMBLY = 64 * 1024


@dataclass
class _Incoming:
    """A long SET or ACTION being received."""

    is_set: bool
    finish: Finish  # applies the reassembled value (or a refusal) at block n
    acknowledge: Acknowledge  # asks for the block after n
    raw: bytearray
    last_block: int


def _action_response(outcome: tuple[ActionResult, Data]) -> ActionResponseWithOptionalData:
    result, data = outcome
    if data is None:
        return ActionResponseWithOptionalData(result)
    return ActionResponseWithOptionalData(result, data)


class ServiceServer:
    """Dispatches the service requests of one association to its handler."""

    def __init__(
        self,
        handler: ServiceHandler,
        max_pdu_size: int,
        conformance: Conformance,
        max_reassembly: int = MAX_REASSEMBLY,
    ) -> None:
        self.handler = handler
        self.max_reassembly = max_reassembly
        self.conformance = conformance
        blocks = bool(conformance & Conformance.BLOCK_TRANSFER_WITH_GET_OR_READ)
        self.get = GetServer(handler, max_pdu_size, blocks)
        self.incoming: _Incoming | None = None
        #: request type -> (the conformance it needs, its handler)
        self._routes: dict[type[Apdu], tuple[Conformance, Callable[[Any], Apdu]]] = {
            kind: (_NEEDS[kind], handler)
            for kind, handler in (
                (GetRequestNormal, self.get.handle),
                (GetRequestNext, self.get.handle),
                (GetRequestWithList, self.get.handle),
                (SetRequestNormal, self._set_normal),
                (SetRequestWithList, self._set_with_list),
                (SetRequestWithFirstDatablock, self._first_set_block),
                (SetRequestWithDatablock, self._next_block),
                (ActionRequestNormal, self._action_normal),
                (ActionRequestWithList, self._action_with_list),
                (ActionRequestWithFirstPblock, self._first_action_block),
                (ActionRequestWithPblock, self._next_block),
            )
        }

    def handle(self, request: Apdu) -> Apdu:
        route = self._routes.get(type(request))
        if route is None or (self.conformance & route[0]) != route[0]:
            return ExceptionResponse(
                StateError.SERVICE_NOT_ALLOWED, ServiceError.SERVICE_NOT_SUPPORTED
            )
        return route[1](request)

    # -- one handler per request type (the table ``_routes``) ----------------------------

    def _set_normal(self, request: SetRequestNormal) -> Apdu:
        result = self._set(
            request.cosem_attribute_descriptor, request.access_selection, request.value
        )
        return SetResponseNormal(result, request.invoke_id_and_priority)

    def _set_with_list(self, request: SetRequestWithList) -> Apdu:
        refs = request.attribute_descriptor_list
        if len(refs) != len(request.value_list):
            return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON)
        results = tuple(
            self._set(d.cosem_attribute_descriptor, d.access_selection, v)
            for d, v in zip(refs, request.value_list, strict=True)
        )
        return SetResponseWithList(results, request.invoke_id_and_priority)

    def _action_normal(self, request: ActionRequestNormal) -> Apdu:
        params = request.method_invocation_parameters
        return ActionResponseNormal(
            self._act(request.cosem_method_descriptor, None if params is ABSENT else params),
            request.invoke_id_and_priority,
        )

    def _action_with_list(self, request: ActionRequestWithList) -> Apdu:
        methods, params_list = (
            request.cosem_method_descriptor_list,
            request.method_invocation_parameters,
        )
        if len(methods) != len(params_list):
            return ExceptionResponse(StateError.SERVICE_NOT_ALLOWED, ServiceError.OTHER_REASON)
        responses = tuple(self._act(m, p) for m, p in zip(methods, params_list, strict=True))
        return ActionResponseWithList(responses, request.invoke_id_and_priority)

    def _set(
        self, ref: CosemAttributeDescriptor, sel: SelectiveAccessDescriptor | None, value: Data
    ) -> DataAccessResult:
        c, ln, i = ref.class_id, ref.instance_id, ref.attribute_id
        if sel is None:
            return self.handler.set(c, ln, i, value)
        return self.handler.set(c, ln, i, value, sel.access_selector, sel.access_parameters)

    def _act(self, m: CosemMethodDescriptor, params: Data) -> ActionResponseWithOptionalData:
        return _action_response(self.handler.action(m.class_id, m.instance_id, m.method_id, params))

    # -- long SET and ACTION ------------------------------------------------------------

    def _first_set_block(self, request: SetRequestWithFirstDatablock) -> Apdu:
        iip = request.invoke_id_and_priority
        ref = request.cosem_attribute_descriptor

        def finish(value: Data | DataAccessResult, n: int) -> Apdu:
            if not isinstance(value, DataAccessResult):
                value = self._set(ref, request.access_selection, value)
            return SetResponseLastDatablock(value, n, iip)

        allowed = self.handler.may_set(ref.class_id, ref.instance_id, ref.attribute_id)
        if allowed is not DataAccessResult.SUCCESS:
            self.incoming = None
            return finish(allowed, request.datablock.block_number)
        return self._start(True, request.datablock, finish, lambda n: SetResponseDatablock(n, iip))

    def _first_action_block(self, request: ActionRequestWithFirstPblock) -> Apdu:
        iip = request.invoke_id_and_priority

        def finish(value: Data | DataAccessResult, n: int) -> Apdu:
            if isinstance(value, DataAccessResult):
                return ActionResponseNormal(
                    ActionResponseWithOptionalData(ActionResult.TYPE_UNMATCHED), iip
                )
            return ActionResponseNormal(self._act(request.cosem_method_descriptor, value), iip)

        m = request.cosem_method_descriptor
        allowed = self.handler.may_act(m.class_id, m.instance_id, m.method_id)
        if allowed is not ActionResult.SUCCESS:
            self.incoming = None
            return ActionResponseNormal(ActionResponseWithOptionalData(allowed), iip)

        return self._start(
            False, request.pblock, finish, lambda n: ActionResponseNextPblock(n, iip)
        )

    def _start(
        self, is_set: bool, block: DataBlockSA, finish: Finish, acknowledge: Acknowledge
    ) -> Apdu:
        if block.block_number != 1:
            self.incoming = None
            return finish(DataAccessResult.DATA_BLOCK_NUMBER_INVALID, block.block_number)
        self.incoming = _Incoming(is_set, finish, acknowledge, bytearray(block.raw_data), 1)
        return self._complete() if block.last_block else acknowledge(1)

    def _next_block(self, request: SetRequestWithDatablock | ActionRequestWithPblock) -> Apdu:
        iip = request.invoke_id_and_priority
        is_set = isinstance(request, SetRequestWithDatablock)
        block = (
            request.datablock if isinstance(request, SetRequestWithDatablock) else request.pblock
        )
        pending = self.incoming
        if pending is None or pending.is_set != is_set:
            self.incoming = None
            if is_set:
                return SetResponseLastDatablock(
                    DataAccessResult.NO_LONG_SET_IN_PROGRESS, block.block_number, iip
                )
            refusal = ActionResponseWithOptionalData(ActionResult.NO_LONG_ACTION_IN_PROGRESS)
            return ActionResponseNormal(refusal, iip)
        if block.block_number != pending.last_block + 1:
            self.incoming = None
            return pending.finish(DataAccessResult.DATA_BLOCK_NUMBER_INVALID, block.block_number)
        if len(pending.raw) + len(block.raw_data) > self.max_reassembly:
            self.incoming = None
            return pending.finish(DataAccessResult.OTHER_REASON, block.block_number)
        pending.raw += block.raw_data
        pending.last_block = block.block_number
        return self._complete() if block.last_block else pending.acknowledge(block.block_number)

    def _complete(self) -> Apdu:
        pending = self.incoming
        assert pending is not None
        self.incoming = None
        try:
            value: Data | DataAccessResult = decode(bytes(pending.raw))
        except DecodeError:
            value = DataAccessResult.TYPE_UNMATCHED
        return pending.finish(value, pending.last_block)
