"""GET-Request [192] and GET-Response [196] (Green Book 9.5; IEC 62056-5-3 GET service).

Byte layouts (A-XDR; ``iip`` is Invoke-Id-And-Priority)::

    C0 01 iip class(2) ln(6) attr(1) 00|01 sel params     GetRequestNormal
    C0 02 iip block-number(4)                             GetRequestNext
    C0 03 iip n { class ln attr 00|01 ... }*n             GetRequestWithList
    C4 01 iip 00 Data | 01 dar                            GetResponseNormal
    C4 02 iip last(1) block(4) 00 len raw | 01 dar        GetResponseWithDatablock
    C4 03 iip n { 00 Data | 01 dar }*n                    GetResponseWithList

A Get-Data-Result is either a ``Data`` value or a :class:`DataAccessResult`
(told apart with ``isinstance(result, DataAccessResult)``).
"""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar, TypeAlias

from openamr.apdu.base import message, register
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
    ServiceApdu,
    check_u32,
    choice_decoder,
    read_bool,
    read_optional,
    read_sequence_of,
    write_access_selection,
    write_sequence_of,
)
from openamr.apdu.results import DataAccessResult, read_enum
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import Data
from openamr.errors import DecodeError

GetDataResult: TypeAlias = "Data | DataAccessResult"
"""Get-Data-Result ::= CHOICE { data [0] Data, data-access-result [1] Data-Access-Result }"""

GET_REQUEST = 0xC0
GET_RESPONSE = 0xC4


def read_get_data_result(r: Reader) -> GetDataResult:
    start = r.pos
    choice = r.u8()
    if choice == 0:
        return read_data(r)
    if choice == 1:
        return read_enum(r, DataAccessResult)
    raise DecodeError(start, f"Get-Data-Result choice must be 0 or 1, got {choice}")


def write_get_data_result(w: Writer, result: GetDataResult) -> None:
    if isinstance(result, DataAccessResult):
        w.u8(1)
        w.u8(result)
    else:
        w.u8(0)
        write_data(w, result)


# -- requests -----------------------------------------------------------------------


@message
class GetRequestNormal(ServiceApdu):
    """Get-Request-Normal: one attribute, optionally with selective access."""

    TAG: ClassVar[int] = GET_REQUEST
    CHOICE: ClassVar[int] = 1

    cosem_attribute_descriptor: CosemAttributeDescriptor
    access_selection: SelectiveAccessDescriptor | None = None
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.cosem_attribute_descriptor.write(w)
        write_access_selection(w, self.access_selection)

    @classmethod
    def decode(cls, r: Reader) -> GetRequestNormal:
        iip = InvokeIdAndPriority.read(r)
        desc = CosemAttributeDescriptor.read(r)
        return cls(desc, read_optional(r, SelectiveAccessDescriptor.read), iip)


@message
class GetRequestNext(ServiceApdu):
    """Get-Request-Next: ask for the block after ``block_number`` (the last received)."""

    TAG: ClassVar[int] = GET_REQUEST
    CHOICE: ClassVar[int] = 2

    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> GetRequestNext:
        iip = InvokeIdAndPriority.read(r)
        return cls(r.u32(), iip)


@message
class GetRequestWithList(ServiceApdu):
    """Get-Request-With-List: several attributes in one request."""

    TAG: ClassVar[int] = GET_REQUEST
    CHOICE: ClassVar[int] = 3

    attribute_descriptor_list: tuple[CosemAttributeDescriptorWithSelection, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        write_sequence_of(w, self.attribute_descriptor_list, lambda w, d: d.write(w))

    @classmethod
    def decode(cls, r: Reader) -> GetRequestWithList:
        iip = InvokeIdAndPriority.read(r)
        items = read_sequence_of(r, CosemAttributeDescriptorWithSelection.read, 10)
        return cls(items, iip)


# -- responses ----------------------------------------------------------------------


@message
class GetResponseNormal(ServiceApdu):
    """Get-Response-Normal: the value of one attribute, or why not."""

    TAG: ClassVar[int] = GET_RESPONSE
    CHOICE: ClassVar[int] = 1

    result: GetDataResult
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        write_get_data_result(w, self.result)

    @classmethod
    def decode(cls, r: Reader) -> GetResponseNormal:
        iip = InvokeIdAndPriority.read(r)
        return cls(read_get_data_result(r), iip)


@message
class DataBlockG:
    """DataBlock-G (GET block transfer)::

    last-block bool | block-number u32 | 00 len raw-data  or  01 data-access-result
    """

    last_block: bool
    block_number: int
    result: bytes | DataAccessResult

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    @classmethod
    def read(cls, r: Reader) -> DataBlockG:
        last = read_bool(r)
        number = r.u32()
        start = r.pos
        choice = r.u8()
        if choice == 0:
            return cls(last, number, r.read(r.length()))
        if choice == 1:
            return cls(last, number, read_enum(r, DataAccessResult))
        raise DecodeError(start, f"DataBlock-G result choice must be 0 or 1, got {choice}")

    def write(self, w: Writer) -> None:
        w.u8(1 if self.last_block else 0)
        w.u32(self.block_number)
        if isinstance(self.result, DataAccessResult):
            w.u8(1)
            w.u8(self.result)
        else:
            w.u8(0)
            w.length(len(self.result))
            w.write(self.result)


@message
class GetResponseWithDatablock(ServiceApdu):
    """Get-Response-With-Datablock: one block of a long GET response."""

    TAG: ClassVar[int] = GET_RESPONSE
    CHOICE: ClassVar[int] = 2

    datablock: DataBlockG
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.datablock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> GetResponseWithDatablock:
        iip = InvokeIdAndPriority.read(r)
        return cls(DataBlockG.read(r), iip)


@message
class GetResponseWithList(ServiceApdu):
    """Get-Response-With-List: one Get-Data-Result per requested attribute."""

    TAG: ClassVar[int] = GET_RESPONSE
    CHOICE: ClassVar[int] = 3

    results: tuple[GetDataResult, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        write_sequence_of(w, self.results, write_get_data_result)

    @classmethod
    def decode(cls, r: Reader) -> GetResponseWithList:
        iip = InvokeIdAndPriority.read(r)
        return cls(read_sequence_of(r, read_get_data_result, 2), iip)


# -- dispatch -----------------------------------------------------------------------

register(GET_REQUEST)(
    choice_decoder(
        "GET-Request",
        {1: GetRequestNormal.decode, 2: GetRequestNext.decode, 3: GetRequestWithList.decode},
    )
)
register(GET_RESPONSE)(
    choice_decoder(
        "GET-Response",
        {
            1: GetResponseNormal.decode,
            2: GetResponseWithDatablock.decode,
            3: GetResponseWithList.decode,
        },
    )
)

__all__ = [
    "DataBlockG",
    "GetDataResult",
    "GetRequestNext",
    "GetRequestNormal",
    "GetRequestWithList",
    "GetResponseNormal",
    "GetResponseWithDatablock",
    "GetResponseWithList",
]
