"""ACTION-Request [195] and ACTION-Response [199] (Green Book 9.5; IEC 62056-5-3).

Byte layouts (A-XDR; ``iip`` Invoke-Id-And-Priority, ``mdesc`` class(2) ln(6) method(1),
``pblock`` last(1) number(4) len raw, ``resp`` action-result(1) then the OPTIONAL
return-parameters ``00`` | ``01 00 Data`` | ``01 01 data-access-result``)::

    C3 01 iip mdesc 00 | 01 Data                 ActionRequestNormal
    C3 02 iip block-number(4)                    ActionRequestNextPblock
    C3 03 iip n mdesc*n m Data*m                 ActionRequestWithList
    C3 04 iip mdesc pblock                       ActionRequestWithFirstPblock
    C3 05 iip n mdesc*n pblock                   ActionRequestWithListAndFirstPblock
    C3 06 iip pblock                             ActionRequestWithPblock
    C7 01 iip resp                               ActionResponseNormal
    C7 02 iip pblock                             ActionResponseWithPblock
    C7 03 iip n resp*n                           ActionResponseWithList
    C7 04 iip block-number(4)                    ActionResponseNextPblock

An absent OPTIONAL is :data:`~openamr.apdu.descriptors.ABSENT`; ``None`` is null-data.
"""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar

from openamr.apdu.base import message, register
from openamr.apdu.descriptors import (
    ABSENT,
    Absent,
    CosemMethodDescriptor,
    DataBlockSA,
    InvokeIdAndPriority,
    ServiceApdu,
    check_u32,
    choice_decoder,
    read_presence,
    read_sequence_of,
    write_sequence_of,
)
from openamr.apdu.get import GetDataResult, read_get_data_result, write_get_data_result
from openamr.apdu.results import ActionResult, read_enum
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import Data

ACTION_REQUEST = 0xC3
ACTION_RESPONSE = 0xC7


def _write_methods(w: Writer, items: tuple[CosemMethodDescriptor, ...]) -> None:
    write_sequence_of(w, items, lambda w, d: d.write(w))


def _read_methods(r: Reader) -> tuple[CosemMethodDescriptor, ...]:
    return read_sequence_of(r, CosemMethodDescriptor.read, 9)


@message
class ActionResponseWithOptionalData:
    """Action-Response-With-Optional-Data: ``result | 00`` or ``result | 01 Get-Data-Result``."""

    result: ActionResult
    return_parameters: GetDataResult | Absent = ABSENT

    @classmethod
    def read(cls, r: Reader) -> ActionResponseWithOptionalData:
        result = read_enum(r, ActionResult)
        if not read_presence(r):
            return cls(result)
        return cls(result, read_get_data_result(r))

    def write(self, w: Writer) -> None:
        w.u8(self.result)
        if self.return_parameters is ABSENT:
            w.u8(0)
        else:
            w.u8(1)
            write_get_data_result(w, self.return_parameters)


# -- requests -----------------------------------------------------------------------


@message
class ActionRequestNormal(ServiceApdu):
    """Action-Request-Normal: invoke one method, with OPTIONAL parameters."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 1

    cosem_method_descriptor: CosemMethodDescriptor
    method_invocation_parameters: Data | Absent = ABSENT
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.cosem_method_descriptor.write(w)
        if self.method_invocation_parameters is ABSENT:
            w.u8(0)
        else:
            w.u8(1)
            write_data(w, self.method_invocation_parameters)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestNormal:
        iip = InvokeIdAndPriority.read(r)
        desc = CosemMethodDescriptor.read(r)
        if not read_presence(r):
            return cls(desc, ABSENT, iip)
        return cls(desc, read_data(r), iip)


@message
class ActionRequestNextPblock(ServiceApdu):
    """Action-Request-Next-Pblock: ask for the block after ``block_number``."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 2

    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestNextPblock:
        iip = InvokeIdAndPriority.read(r)
        return cls(r.u32(), iip)


@message
class ActionRequestWithList(ServiceApdu):
    """Action-Request-With-List: several methods, one parameter each (null-data if none)."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 3

    cosem_method_descriptor_list: tuple[CosemMethodDescriptor, ...]
    method_invocation_parameters: tuple[Data, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        _write_methods(w, self.cosem_method_descriptor_list)
        write_sequence_of(w, self.method_invocation_parameters, write_data)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestWithList:
        iip = InvokeIdAndPriority.read(r)
        methods = _read_methods(r)
        return cls(methods, read_sequence_of(r, read_data), iip)


@message
class ActionRequestWithFirstPblock(ServiceApdu):
    """Action-Request-With-First-Pblock: one method, parameters in blocks."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 4

    cosem_method_descriptor: CosemMethodDescriptor
    pblock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.cosem_method_descriptor.write(w)
        self.pblock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestWithFirstPblock:
        iip = InvokeIdAndPriority.read(r)
        desc = CosemMethodDescriptor.read(r)
        return cls(desc, DataBlockSA.read(r), iip)


@message
class ActionRequestWithListAndFirstPblock(ServiceApdu):
    """Action-Request-With-List-And-First-Pblock: several methods, parameters in blocks."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 5

    cosem_method_descriptor_list: tuple[CosemMethodDescriptor, ...]
    pblock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        _write_methods(w, self.cosem_method_descriptor_list)
        self.pblock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestWithListAndFirstPblock:
        iip = InvokeIdAndPriority.read(r)
        methods = _read_methods(r)
        return cls(methods, DataBlockSA.read(r), iip)


@message
class ActionRequestWithPblock(ServiceApdu):
    """Action-Request-With-Pblock: a following block of parameters."""

    TAG: ClassVar[int] = ACTION_REQUEST
    CHOICE: ClassVar[int] = 6

    pblock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.pblock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> ActionRequestWithPblock:
        iip = InvokeIdAndPriority.read(r)
        return cls(DataBlockSA.read(r), iip)


# -- responses ----------------------------------------------------------------------


@message
class ActionResponseNormal(ServiceApdu):
    """Action-Response-Normal: the outcome of one method, OPTIONAL return parameters."""

    TAG: ClassVar[int] = ACTION_RESPONSE
    CHOICE: ClassVar[int] = 1

    single_response: ActionResponseWithOptionalData
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.single_response.write(w)

    @classmethod
    def decode(cls, r: Reader) -> ActionResponseNormal:
        iip = InvokeIdAndPriority.read(r)
        return cls(ActionResponseWithOptionalData.read(r), iip)


@message
class ActionResponseWithPblock(ServiceApdu):
    """Action-Response-With-Pblock: one block of long return parameters."""

    TAG: ClassVar[int] = ACTION_RESPONSE
    CHOICE: ClassVar[int] = 2

    pblock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.pblock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> ActionResponseWithPblock:
        iip = InvokeIdAndPriority.read(r)
        return cls(DataBlockSA.read(r), iip)


@message
class ActionResponseWithList(ServiceApdu):
    """Action-Response-With-List: one response per invoked method."""

    TAG: ClassVar[int] = ACTION_RESPONSE
    CHOICE: ClassVar[int] = 3

    list_of_responses: tuple[ActionResponseWithOptionalData, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        write_sequence_of(w, self.list_of_responses, lambda w, x: x.write(w))

    @classmethod
    def decode(cls, r: Reader) -> ActionResponseWithList:
        iip = InvokeIdAndPriority.read(r)
        return cls(read_sequence_of(r, ActionResponseWithOptionalData.read, 2), iip)


@message
class ActionResponseNextPblock(ServiceApdu):
    """Action-Response-Next-Pblock: block ``block_number`` received, send the next."""

    TAG: ClassVar[int] = ACTION_RESPONSE
    CHOICE: ClassVar[int] = 4

    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> ActionResponseNextPblock:
        iip = InvokeIdAndPriority.read(r)
        return cls(r.u32(), iip)


register(ACTION_REQUEST)(
    choice_decoder(
        "ACTION-Request",
        {
            1: ActionRequestNormal.decode,
            2: ActionRequestNextPblock.decode,
            3: ActionRequestWithList.decode,
            4: ActionRequestWithFirstPblock.decode,
            5: ActionRequestWithListAndFirstPblock.decode,
            6: ActionRequestWithPblock.decode,
        },
    )
)
register(ACTION_RESPONSE)(
    choice_decoder(
        "ACTION-Response",
        {
            1: ActionResponseNormal.decode,
            2: ActionResponseWithPblock.decode,
            3: ActionResponseWithList.decode,
            4: ActionResponseNextPblock.decode,
        },
    )
)

__all__ = [
    "ActionRequestNextPblock",
    "ActionRequestNormal",
    "ActionRequestWithFirstPblock",
    "ActionRequestWithList",
    "ActionRequestWithListAndFirstPblock",
    "ActionRequestWithPblock",
    "ActionResponseNextPblock",
    "ActionResponseNormal",
    "ActionResponseWithList",
    "ActionResponseWithOptionalData",
    "ActionResponseWithPblock",
]
