"""The client side of GET, SET and ACTION with block transfer (Green Book 9.3.6-9.3.9,
"Long GET / SET / ACTION with block transfer"; IEC 62056-5-3 xDLMS services).

Long GET: the server cuts the encoded result into Get-Response-With-Datablock
blocks numbered from 1; the client acknowledges each with Get-Request-Next naming
the block it received, and decodes the reassembled bytes once the last block is in
(a profile buffer comes back as a fast :class:`~openamr.codec.table.Table`)::

    C0 01 iip desc 00                   ->
                                        <-  C4 02 iip 00 00000001 00 len raw1
    C0 02 iip 00000001                  ->
                                        <-  C4 02 iip 01 00000002 00 len raw2   (last)

Long SET / ACTION: when the plain request would exceed the server's max receive PDU
size, the encoded value goes in DataBlock-SA blocks, each as large as the PDU allows;
the server acknowledges every block but the last, and answers the last with the
outcome::

    C1 02 iip desc 00 | 00 00000001 len raw1     ->  <-  C5 02 iip 00000001
    C1 03 iip | 01 00000002 len raw2             ->  <-  C5 03 iip dar 00000002
"""

from __future__ import annotations

from collections.abc import Callable

from openamr.apdu.action import (
    ActionRequestNormal,
    ActionRequestWithFirstPblock,
    ActionRequestWithPblock,
    ActionResponseNextPblock,
    ActionResponseNormal,
    ActionResponseWithOptionalData,
)
from openamr.apdu.base import Apdu
from openamr.apdu.descriptors import ABSENT, DataBlockSA, read_sequence_of
from openamr.apdu.get import (
    DataBlockG,
    GetDataResult,
    GetRequestNext,
    GetRequestNormal,
    GetRequestWithList,
    GetResponseNormal,
    GetResponseWithDatablock,
    GetResponseWithList,
    read_get_data_result,
)
from openamr.apdu.results import DataAccessResult
from openamr.apdu.set import (
    SetRequestNormal,
    SetRequestWithDatablock,
    SetRequestWithFirstDatablock,
    SetResponseDatablock,
    SetResponseLastDatablock,
    SetResponseNormal,
)
from openamr.association.client.exchange import (
    Channel,
    Done,
    Exchange,
    T,
    check_invoke_id,
    unexpected,
)
from openamr.codec.axdr import decode, encode
from openamr.codec.buffer import Reader
from openamr.errors import LocalProtocolError, RemoteProtocolError

MakeBlock = Callable[[DataBlockSA], Apdu]


def block_room(limit: int, header: int) -> int:
    """How many raw bytes fit in a block APDU of at most ``limit`` bytes that takes
    ``header`` bytes with empty raw data (its length then one octet; a longer raw
    data takes ``81 xx`` or ``82 xx xx``)."""
    room = limit - header
    if room >= 128:
        room -= 1
    if room >= 256:
        room -= 1
    return room


class BlockSender:
    """Cuts ``raw`` into DataBlock-SA blocks numbered from 1, each APDU <= ``limit``."""

    def __init__(self, raw: bytes, limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.offset = 0
        self.number = 0

    @property
    def all_sent(self) -> bool:
        return self.number > 0 and self.offset >= len(self.raw)

    def next(self, make: MakeBlock) -> Apdu:
        header = len(make(DataBlockSA(False, self.number + 1, b"")).to_bytes())
        room = block_room(self.limit, header)
        if room <= 0:
            raise LocalProtocolError(
                f"the server's max receive PDU size leaves no room for data in {header}-byte "
                "block headers"
            )
        chunk = self.raw[self.offset : self.offset + room]
        self.offset += len(chunk)
        self.number += 1
        return make(DataBlockSA(self.offset >= len(self.raw), self.number, chunk))

    def acknowledged(self, number: int, what: str) -> None:
        """The server asks for the block after ``number``: it must be the one just sent."""
        if number != self.number or self.all_sent:
            raise RemoteProtocolError(
                f"{what} acknowledges block {number}, block {self.number} was sent"
                + (" (the last one)" if self.all_sent else "")
            )


# -- GET ------------------------------------------------------------------------------


class _LongGet(Exchange[T]):
    """A GET whose answer may come in Get-Response-With-Datablock blocks."""

    def __init__(self, channel: Channel, request: GetRequestNormal | GetRequestWithList) -> None:
        super().__init__(channel, request)
        self._iip = request.invoke_id_and_priority
        self._raw = bytearray()
        self._last = 0

    def _step(self, apdu: Apdu) -> Apdu | Done[T]:
        check_invoke_id(apdu, self._iip)
        if isinstance(apdu, GetResponseWithDatablock):
            return self._block(apdu.datablock)
        if self._last:
            raise RemoteProtocolError(f"{type(apdu).__name__} in the middle of a long GET")
        return Done(self._whole(apdu))

    def _block(self, block: DataBlockG) -> Apdu | Done[T]:
        if isinstance(block.result, DataAccessResult):
            return Done(self._refused(block.result))
        if block.block_number != self._last + 1:
            raise RemoteProtocolError(
                f"long GET: block {block.block_number} after block {self._last}"
            )
        self._raw += block.result
        self._last = block.block_number
        if block.last_block:
            return Done(self._assemble(bytes(self._raw)))
        return GetRequestNext(self._last, self._iip)

    def _whole(self, apdu: Apdu) -> T:
        raise NotImplementedError

    def _assemble(self, raw: bytes) -> T:
        raise NotImplementedError

    def _refused(self, result: DataAccessResult) -> T:
        raise NotImplementedError


class GetExchange(_LongGet[GetDataResult]):
    """Get-Request-Normal: the value of one attribute (Data) or why not
    (DataAccessResult); a long answer is reassembled and decoded as one Data."""

    def _whole(self, apdu: Apdu) -> GetDataResult:
        if not isinstance(apdu, GetResponseNormal):
            raise unexpected(apdu, "Get-Request-Normal")
        return apdu.result

    def _assemble(self, raw: bytes) -> GetDataResult:
        return decode(raw)

    def _refused(self, result: DataAccessResult) -> GetDataResult:
        return result


class GetWithListExchange(_LongGet[tuple[GetDataResult, ...]]):
    """Get-Request-With-List: one Get-Data-Result per attribute, in request order. A
    long GET refused as a whole gives its DataAccessResult for every attribute."""

    def __init__(self, channel: Channel, request: GetRequestWithList) -> None:
        super().__init__(channel, request)
        self._count = len(request.attribute_descriptor_list)

    def _whole(self, apdu: Apdu) -> tuple[GetDataResult, ...]:
        if not isinstance(apdu, GetResponseWithList):
            raise unexpected(apdu, "Get-Request-With-List")
        return self._counted(apdu.results)

    def _assemble(self, raw: bytes) -> tuple[GetDataResult, ...]:
        r = Reader(raw)
        results = read_sequence_of(r, read_get_data_result, 2)
        if not r.at_end():
            raise r.fail(f"{r.remaining} trailing bytes after the list of results")
        return self._counted(results)

    def _refused(self, result: DataAccessResult) -> tuple[GetDataResult, ...]:
        return (result,) * self._count

    def _counted(self, results: tuple[GetDataResult, ...]) -> tuple[GetDataResult, ...]:
        if len(results) != self._count:
            raise RemoteProtocolError(f"{len(results)} results for {self._count} attributes")
        return results


# -- SET ------------------------------------------------------------------------------


class SetExchange(Exchange[DataAccessResult]):
    """Set-Request-Normal, or a long SET in blocks when it does not fit in ``limit``."""

    def __init__(
        self, channel: Channel, request: SetRequestNormal, limit: int, blocks: bool
    ) -> None:
        self._iip = iip = request.invoke_id_and_priority
        self._blocks: BlockSender | None = None
        first: Apdu = request
        if len(request.to_bytes()) > limit:
            if not blocks:
                raise LocalProtocolError(
                    "the SET does not fit in the server's max receive PDU size and "
                    "block-transfer-with-set was not negotiated"
                )
            self._blocks = BlockSender(encode(request.value), limit)
            desc, sel = request.cosem_attribute_descriptor, request.access_selection
            first = self._blocks.next(lambda b: SetRequestWithFirstDatablock(desc, b, sel, iip))
        super().__init__(channel, first)

    def _step(self, apdu: Apdu) -> Apdu | Done[DataAccessResult]:
        check_invoke_id(apdu, self._iip)
        if isinstance(apdu, SetResponseNormal | SetResponseLastDatablock):
            return Done(apdu.result)
        if isinstance(apdu, SetResponseDatablock) and self._blocks is not None:
            self._blocks.acknowledged(apdu.block_number, "Set-Response-Datablock")
            return self._blocks.next(lambda b: SetRequestWithDatablock(b, self._iip))
        raise unexpected(apdu, "a SET")


# -- ACTION ---------------------------------------------------------------------------


class ActionExchange(Exchange[ActionResponseWithOptionalData]):
    """Action-Request-Normal, or its parameters in pblocks when too long. The result
    is the Action-Response-With-Optional-Data (the ActionResult and, when the method
    returns something, its Data or DataAccessResult)."""

    def __init__(
        self, channel: Channel, request: ActionRequestNormal, limit: int, blocks: bool
    ) -> None:
        self._iip = iip = request.invoke_id_and_priority
        self._blocks: BlockSender | None = None
        first: Apdu = request
        params = request.method_invocation_parameters
        if params is not ABSENT and len(request.to_bytes()) > limit:
            if not blocks:
                raise LocalProtocolError(
                    "the ACTION does not fit in the server's max receive PDU size and "
                    "block-transfer-with-action was not negotiated"
                )
            self._blocks = BlockSender(encode(params), limit)
            desc = request.cosem_method_descriptor
            first = self._blocks.next(lambda b: ActionRequestWithFirstPblock(desc, b, iip))
        super().__init__(channel, first)

    def _step(self, apdu: Apdu) -> Apdu | Done[ActionResponseWithOptionalData]:
        check_invoke_id(apdu, self._iip)
        if isinstance(apdu, ActionResponseNormal):
            return Done(apdu.single_response)
        if isinstance(apdu, ActionResponseNextPblock) and self._blocks is not None:
            self._blocks.acknowledged(apdu.block_number, "Action-Response-Next-Pblock")
            return self._blocks.next(lambda b: ActionRequestWithPblock(b, self._iip))
        raise unexpected(apdu, "an ACTION")


__all__ = [
    "ActionExchange",
    "BlockSender",
    "GetExchange",
    "GetWithListExchange",
    "SetExchange",
    "block_room",
]
