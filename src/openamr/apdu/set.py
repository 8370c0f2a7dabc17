"""SET-Request [193] and SET-Response [197] (Green Book 9.5; IEC 62056-5-3 SET service).

Byte layouts (A-XDR; ``iip`` Invoke-Id-And-Priority, ``desc`` class(2) ln(6) attr(1),
``sel`` 00 | 01 selector Data, ``block`` last(1) number(4) len raw, ``dar`` one octet)::

    C1 01 iip desc sel Data                     SetRequestNormal
    C1 02 iip desc sel block                    SetRequestWithFirstDatablock
    C1 03 iip block                             SetRequestWithDatablock
    C1 04 iip n {desc sel}*n m Data*m           SetRequestWithList
    C1 05 iip n {desc sel}*n block              SetRequestWithListAndFirstDatablock
    C5 01 iip dar                               SetResponseNormal
    C5 02 iip block-number(4)                   SetResponseDatablock
    C5 03 iip dar block-number(4)               SetResponseLastDatablock
    C5 04 iip n dar*n block-number(4)           SetResponseLastDatablockWithList
    C5 05 iip n dar*n                           SetResponseWithList
"""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar

from openamr.apdu.base import message, register
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    CosemAttributeDescriptorWithSelection,
    DataBlockSA,
    InvokeIdAndPriority,
    SelectiveAccessDescriptor,
    ServiceApdu,
    check_u32,
    choice_decoder,
    read_optional,
    read_sequence_of,
    write_access_selection,
    write_sequence_of,
)
from openamr.apdu.results import DataAccessResult, read_enum
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.types import Data

SET_REQUEST = 0xC1
SET_RESPONSE = 0xC5


def _read_dar(r: Reader) -> DataAccessResult:
    return read_enum(r, DataAccessResult)


def _write_dar(w: Writer, v: DataAccessResult) -> None:
    w.u8(v)


def _read_descs(r: Reader) -> tuple[CosemAttributeDescriptorWithSelection, ...]:
    return read_sequence_of(r, CosemAttributeDescriptorWithSelection.read, 10)


def _write_descs(w: Writer, items: tuple[CosemAttributeDescriptorWithSelection, ...]) -> None:
    write_sequence_of(w, items, lambda w, d: d.write(w))


# -- requests -----------------------------------------------------------------------


@message
class SetRequestNormal(ServiceApdu):
    """Set-Request-Normal: write one attribute."""

    TAG: ClassVar[int] = SET_REQUEST
    CHOICE: ClassVar[int] = 1

    cosem_attribute_descriptor: CosemAttributeDescriptor
    value: Data
    access_selection: SelectiveAccessDescriptor | None = None
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.cosem_attribute_descriptor.write(w)
        write_access_selection(w, self.access_selection)
        write_data(w, self.value)

    @classmethod
    def decode(cls, r: Reader) -> SetRequestNormal:
        iip = InvokeIdAndPriority.read(r)
        desc = CosemAttributeDescriptor.read(r)
        sel = read_optional(r, SelectiveAccessDescriptor.read)
        return cls(desc, read_data(r), sel, iip)


@message
class SetRequestWithFirstDatablock(ServiceApdu):
    """Set-Request-With-First-Datablock: start writing one attribute in blocks."""

    TAG: ClassVar[int] = SET_REQUEST
    CHOICE: ClassVar[int] = 2

    cosem_attribute_descriptor: CosemAttributeDescriptor
    datablock: DataBlockSA
    access_selection: SelectiveAccessDescriptor | None = None
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.cosem_attribute_descriptor.write(w)
        write_access_selection(w, self.access_selection)
        self.datablock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> SetRequestWithFirstDatablock:
        iip = InvokeIdAndPriority.read(r)
        desc = CosemAttributeDescriptor.read(r)
        sel = read_optional(r, SelectiveAccessDescriptor.read)
        return cls(desc, DataBlockSA.read(r), sel, iip)


@message
class SetRequestWithDatablock(ServiceApdu):
    """Set-Request-With-Datablock: a following block of a long SET."""

    TAG: ClassVar[int] = SET_REQUEST
    CHOICE: ClassVar[int] = 3

    datablock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        self.datablock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> SetRequestWithDatablock:
        iip = InvokeIdAndPriority.read(r)
        return cls(DataBlockSA.read(r), iip)


@message
class SetRequestWithList(ServiceApdu):
    """Set-Request-With-List: several attributes and one value each."""

    TAG: ClassVar[int] = SET_REQUEST
    CHOICE: ClassVar[int] = 4

    attribute_descriptor_list: tuple[CosemAttributeDescriptorWithSelection, ...]
    value_list: tuple[Data, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        _write_descs(w, self.attribute_descriptor_list)
        write_sequence_of(w, self.value_list, write_data)

    @classmethod
    def decode(cls, r: Reader) -> SetRequestWithList:
        iip = InvokeIdAndPriority.read(r)
        descs = _read_descs(r)
        return cls(descs, read_sequence_of(r, read_data), iip)


@message
class SetRequestWithListAndFirstDatablock(ServiceApdu):
    """Set-Request-With-List-And-First-Datablock: several attributes, values in blocks."""

    TAG: ClassVar[int] = SET_REQUEST
    CHOICE: ClassVar[int] = 5

    attribute_descriptor_list: tuple[CosemAttributeDescriptorWithSelection, ...]
    datablock: DataBlockSA
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        _write_descs(w, self.attribute_descriptor_list)
        self.datablock.write(w)

    @classmethod
    def decode(cls, r: Reader) -> SetRequestWithListAndFirstDatablock:
        iip = InvokeIdAndPriority.read(r)
        descs = _read_descs(r)
        return cls(descs, DataBlockSA.read(r), iip)


# -- responses ----------------------------------------------------------------------


@message
class SetResponseNormal(ServiceApdu):
    """Set-Response-Normal: the outcome of one SET."""

    TAG: ClassVar[int] = SET_RESPONSE
    CHOICE: ClassVar[int] = 1

    result: DataAccessResult
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        w.u8(self.result)

    @classmethod
    def decode(cls, r: Reader) -> SetResponseNormal:
        iip = InvokeIdAndPriority.read(r)
        return cls(_read_dar(r), iip)


@message
class SetResponseDatablock(ServiceApdu):
    """Set-Response-Datablock: block ``block_number`` received, send the next."""

    TAG: ClassVar[int] = SET_RESPONSE
    CHOICE: ClassVar[int] = 2

    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> SetResponseDatablock:
        iip = InvokeIdAndPriority.read(r)
        return cls(r.u32(), iip)


@message
class SetResponseLastDatablock(ServiceApdu):
    """Set-Response-Last-Datablock: the outcome of a long SET of one attribute."""

    TAG: ClassVar[int] = SET_RESPONSE
    CHOICE: ClassVar[int] = 3

    result: DataAccessResult
    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        w.u8(self.result)
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> SetResponseLastDatablock:
        iip = InvokeIdAndPriority.read(r)
        result = _read_dar(r)
        return cls(result, r.u32(), iip)


@message
class SetResponseLastDatablockWithList(ServiceApdu):
    """Set-Response-Last-Datablock-With-List: the outcomes of a long SET of a list."""

    TAG: ClassVar[int] = SET_RESPONSE
    CHOICE: ClassVar[int] = 4

    results: tuple[DataAccessResult, ...]
    block_number: int
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def __post_init__(self) -> None:
        check_u32("block_number", self.block_number)

    def encode_body(self, w: Writer) -> None:
        write_sequence_of(w, self.results, _write_dar)
        w.u32(self.block_number)

    @classmethod
    def decode(cls, r: Reader) -> SetResponseLastDatablockWithList:
        iip = InvokeIdAndPriority.read(r)
        results = read_sequence_of(r, _read_dar)
        return cls(results, r.u32(), iip)


@message
class SetResponseWithList(ServiceApdu):
    """Set-Response-With-List: one Data-Access-Result per attribute."""

    TAG: ClassVar[int] = SET_RESPONSE
    CHOICE: ClassVar[int] = 5

    results: tuple[DataAccessResult, ...]
    invoke_id_and_priority: InvokeIdAndPriority = field(default_factory=InvokeIdAndPriority)

    def encode_body(self, w: Writer) -> None:
        write_sequence_of(w, self.results, _write_dar)

    @classmethod
    def decode(cls, r: Reader) -> SetResponseWithList:
        iip = InvokeIdAndPriority.read(r)
        return cls(read_sequence_of(r, _read_dar), iip)


register(SET_REQUEST)(
    choice_decoder(
        "SET-Request",
        {
            1: SetRequestNormal.decode,
            2: SetRequestWithFirstDatablock.decode,
            3: SetRequestWithDatablock.decode,
            4: SetRequestWithList.decode,
            5: SetRequestWithListAndFirstDatablock.decode,
        },
    )
)
register(SET_RESPONSE)(
    choice_decoder(
        "SET-Response",
        {
            1: SetResponseNormal.decode,
            2: SetResponseDatablock.decode,
            3: SetResponseLastDatablock.decode,
            4: SetResponseLastDatablockWithList.decode,
            5: SetResponseWithList.decode,
        },
    )
)

__all__ = [
    "SetRequestNormal",
    "SetRequestWithDatablock",
    "SetRequestWithFirstDatablock",
    "SetRequestWithList",
    "SetRequestWithListAndFirstDatablock",
    "SetResponseDatablock",
    "SetResponseLastDatablock",
    "SetResponseLastDatablockWithList",
    "SetResponseNormal",
    "SetResponseWithList",
]
