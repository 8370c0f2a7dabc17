"""A-XDR Data, OBIS codes, COSEM date-time: the bottom of the stack (no I/O).

>>> from openamr.codec import decode, encode, Unsigned
>>> encode(Unsigned(5)).hex()
'1105'
>>> decode(bytes.fromhex("1105"))
Unsigned(5)
"""

from openamr.codec.axdr import decode, encode, read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.datetime import ClockStatus, CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.table import RowLayout, Table
from openamr.codec.types import (
    DONT_CARE,
    Array,
    Bcd,
    BitString,
    CompactArray,
    Data,
    DoubleLong,
    DoubleLongUnsigned,
    Enum,
    Float32,
    Float64,
    Integer,
    Long,
    Long64,
    Long64Unsigned,
    LongUnsigned,
    OctetString,
    Structure,
    Tag,
    TypeDescription,
    Unsigned,
    Utf8String,
    VisibleString,
)
from openamr.codec.units import ScalerUnit, Unit
from openamr.errors import DecodeError, EncodeError

__all__ = [
    "DONT_CARE",
    "Array",
    "Bcd",
    "BitString",
    "ClockStatus",
    "CompactArray",
    "CosemDate",
    "CosemDateTime",
    "CosemTime",
    "Data",
    "DecodeError",
    "DoubleLong",
    "DoubleLongUnsigned",
    "EncodeError",
    "Enum",
    "Float32",
    "Float64",
    "Integer",
    "Long",
    "Long64",
    "Long64Unsigned",
    "LongUnsigned",
    "Obis",
    "OctetString",
    "Reader",
    "RowLayout",
    "ScalerUnit",
    "Structure",
    "Table",
    "Tag",
    "TypeDescription",
    "Unit",
    "Unsigned",
    "Utf8String",
    "VisibleString",
    "Writer",
    "decode",
    "encode",
    "read_data",
    "write_data",
]
