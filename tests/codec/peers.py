"""Bridges to the two test oracles, gurux-dlms and dlms-cosem (test-only).

Each peer gets ``<peer>_encode(value) -> bytes`` (our Data value rebuilt as the
peer's objects and encoded by the peer) and ``<peer>_decode(bytes) -> plain``
(decoded by the peer, then reduced to plain Python). :func:`plain` reduces our
own values the same way, so a test compares ``plain(ours) == <peer>_decode(b)``.

Plain form: ints, floats, bytes, str, bools, None, lists (arrays and structures),
bit-strings as "0101" text, and dates as tagged field tuples::

    ("date-time", year, month, day, weekday, hour, minute, second, hundredths,
     deviation, status)   ("date", year, month, day)   ("time", h, m, s, hundredths)

Peer behaviour found while writing these (reported, not copied):
* gurux-dlms 1.0.x writes the month of a date-time as 0xFD for DST begin and 0xFE
  for DST end, the reverse of the Blue Book and of its own decoder and setDate;
* gurux drops the weekday of a ``date`` and stores hundredths of a ``time`` as
  microseconds * 10 (read back here as they are stored);
* gurux decodes utf8-string as hex text, and cannot encode compact-array;
* a gurux GXBitString nested in an array is written as whole octets only;
* dlms-cosem decodes a date-time with deviation 0 as a naive datetime, and cannot
  encode or decode null-data (encode), boolean (encode), bit-string, utf8-string,
  bcd, float32/64, compact-array, date/time types (encode) or dont-care.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dlms_cosem import dlms_data as dc
from gurux_dlms import (
    GXArray,
    GXBitString,
    GXByteBuffer,
    GXDate,
    GXDateTime,
    GXDLMSSettings,
    GXEnum,
    GXFloat32,
    GXFloat64,
    GXInt8,
    GXInt16,
    GXInt32,
    GXInt64,
    GXStructure,
    GXTime,
    GXTimeZone,
    GXUInt8,
    GXUInt16,
    GXUInt32,
    GXUInt64,
)
from gurux_dlms.enums import DataType, DateTimeExtraInfo, DateTimeSkips
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo

from openamr.codec import (
    Bcd,
    BitString,
    CosemDate,
    CosemDateTime,
    CosemTime,
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
    Table,
    Unsigned,
    Utf8String,
)
from openamr.codec.datetime import DEVIATION_NOT_SPECIFIED, DST_BEGIN, DST_END, NOT_SPECIFIED
from openamr.codec.types import FixedFloat, FixedInt

# -- our values in plain form --------------------------------------------------------


def plain(value: Data) -> Any:
    if isinstance(value, (list, tuple, Table)):
        return [plain(v) for v in value]
    if isinstance(value, BitString):
        return str(value)
    if isinstance(value, CosemDateTime):
        d, t = value.date, value.time
        return ("date-time", d.year, d.month, d.day, d.weekday, t.hour, t.minute, t.second,
                t.hundredths, value.deviation, value.clock_status)  # fmt: skip
    if isinstance(value, CosemDate):
        return ("date", value.year, value.month, value.day)
    if isinstance(value, CosemTime):
        return ("time", value.hour, value.minute, value.second, value.hundredths)
    if isinstance(value, FixedInt):
        return int(value)
    if isinstance(value, FixedFloat):
        return float(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    return value


# -- gurux-dlms ------------------------------------------------------------------------

_SETTINGS = GXDLMSSettings(True, None)

_GX_INTS: dict[type, type] = {
    Integer: GXInt8, Long: GXInt16, DoubleLong: GXInt32, Long64: GXInt64, Unsigned: GXUInt8,
    LongUnsigned: GXUInt16, DoubleLongUnsigned: GXUInt32, Long64Unsigned: GXUInt64,
    Enum: GXEnum, Float32: GXFloat32, Float64: GXFloat64,
}  # fmt: skip


def _gx_when(value: CosemDateTime | CosemDate | CosemTime) -> Any:
    d = value.date if isinstance(value, CosemDateTime) else value
    t = value.time if isinstance(value, CosemDateTime) else value
    dev = value.deviation if isinstance(value, CosemDateTime) else DEVIATION_NOT_SPECIFIED
    if isinstance(value, CosemDate):
        t = CosemTime(0, 0, 0, 0)
    if isinstance(value, CosemTime):
        d = CosemDate(2000, 1, 1)
    skips = DateTimeSkips.NONE
    extra = DateTimeExtraInfo.NONE
    wild = NOT_SPECIFIED
    fields = [
        (d.year == 0xFFFF, DateTimeSkips.YEAR), (d.month == wild, DateTimeSkips.MONTH),
        (d.day == wild, DateTimeSkips.DAY), (d.weekday == wild, DateTimeSkips.DAY_OF_WEEK),
        (t.hour == wild, DateTimeSkips.HOUR), (t.minute == wild, DateTimeSkips.MINUTE),
        (t.second == wild, DateTimeSkips.SECOND), (t.hundredths == wild, DateTimeSkips.MILLISECOND),
        (dev == DEVIATION_NOT_SPECIFIED, DateTimeSkips.DEVITATION),
    ]  # fmt: skip
    for is_wild, flag in fields:
        if is_wild:
            skips |= flag
    extra |= {DST_BEGIN: DateTimeExtraInfo.DST_BEGIN, DST_END: DateTimeExtraInfo.DST_END}.get(
        d.month, DateTimeExtraInfo.NONE
    )
    extra |= {0xFE: DateTimeExtraInfo.LAST_DAY, 0xFD: DateTimeExtraInfo.LAST_DAY2}.get(
        d.day, DateTimeExtraInfo.NONE
    )

    def real(v: int, default: int, top: int) -> int:
        return v if v <= top else default

    tz = GXTimeZone(0 if dev == DEVIATION_NOT_SPECIFIED else -dev)
    when = dt.datetime(
        real(d.year, 2000, 9999), real(d.month, 1, 12), real(d.day, 1, 31),
        real(t.hour, 0, 23), real(t.minute, 0, 59), real(t.second, 0, 59),
        real(t.hundredths, 0, 99) * 10_000, tzinfo=tz,
    )  # fmt: skip
    cls = {CosemDateTime: GXDateTime, CosemDate: GXDate, CosemTime: GXTime}[type(value)]
    gx = cls(when)
    gx.skip |= skips
    gx.extra = extra
    gx.dayOfWeek = d.weekday
    if isinstance(value, CosemDateTime):
        if value.clock_status == NOT_SPECIFIED:
            gx.skip |= DateTimeSkips.STATUS
        gx.status = value.clock_status
    return gx


def to_gurux(value: Data) -> Any:
    """Our value as gurux objects whose gurux type is the DLMS type."""
    if isinstance(value, (tuple, list, Table)):
        out = GXStructure() if isinstance(value, tuple) else GXArray()
        out.extend(to_gurux(v) for v in value)
        return out
    gx = _GX_INTS.get(type(value))
    if gx is not None:
        return gx(value)
    if isinstance(value, BitString):
        return GXBitString(str(value))
    if isinstance(value, (CosemDateTime, CosemDate, CosemTime)):
        return _gx_when(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    return value  # None, bool


def gurux_encode(value: Data) -> bytes:
    buff = GXByteBuffer()
    if isinstance(value, Bcd):
        kind, gx = DataType.BCD, int(value)
    elif isinstance(value, Utf8String):
        kind, gx = DataType.STRING_UTF8, str(value)
    elif isinstance(value, BitString):  # top level: gurux keeps the exact bit count as text
        kind, gx = DataType.BITSTRING, str(value)
    else:
        gx = to_gurux(value)
        kind = _GXCommon.getDLMSDataType(gx)
    _GXCommon.setData(_SETTINGS, buff, kind, gx)
    return bytes(buff.array()[: buff.size])


def _gx_plain_when(v: Any) -> tuple[Any, ...]:
    skip, extra, w = v.skip, v.extra, v.value

    def field(flag: int, real: int) -> int:
        return 0xFF if skip & flag else real

    year = 0xFFFF if skip & DateTimeSkips.YEAR else w.year
    month = (
        DST_BEGIN if extra & DateTimeExtraInfo.DST_BEGIN
        else DST_END if extra & DateTimeExtraInfo.DST_END
        else field(DateTimeSkips.MONTH, w.month)
    )  # fmt: skip
    day = (
        0xFE if extra & DateTimeExtraInfo.LAST_DAY
        else 0xFD if extra & DateTimeExtraInfo.LAST_DAY2
        else field(DateTimeSkips.DAY, w.day)
    )  # fmt: skip
    if isinstance(v, GXDate):
        return ("date", year, month, day)
    if isinstance(v, GXTime):  # gurux keeps hundredths * 10 as microseconds
        return ("time", field(DateTimeSkips.HOUR, w.hour), field(DateTimeSkips.MINUTE, w.minute),
                field(DateTimeSkips.SECOND, w.second),
                field(DateTimeSkips.MILLISECOND, w.microsecond // 10))  # fmt: skip
    offset = w.utcoffset()
    deviation = (
        DEVIATION_NOT_SPECIFIED if skip & DateTimeSkips.DEVITATION or offset is None
        else -int(offset.total_seconds() // 60)
    )  # fmt: skip
    hundredths = field(DateTimeSkips.MILLISECOND, w.microsecond // 10_000)
    return ("date-time", year, month, day, field(DateTimeSkips.DAY_OF_WEEK, v.dayOfWeek),
            field(DateTimeSkips.HOUR, w.hour), field(DateTimeSkips.MINUTE, w.minute),
            field(DateTimeSkips.SECOND, w.second), hundredths, deviation, v.status)  # fmt: skip


def _gx_plain(v: Any) -> Any:
    if isinstance(v, GXDateTime):
        return _gx_plain_when(v)
    if isinstance(v, list):
        return [_gx_plain(x) for x in v]
    if isinstance(v, GXBitString):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v)
    if isinstance(v, (GXFloat32, GXFloat64, float)):
        return float(v)
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    return int(v)


def gurux_decode(data: bytes) -> Any:
    buff = GXByteBuffer(data)
    info = _GXDataInfo()
    value = _GXCommon.getData(_SETTINGS, buff, info)
    assert info.complete and buff.position == len(data), "gurux did not read it all"
    return _gx_plain(value)


# -- dlms-cosem ------------------------------------------------------------------------

_DC_TYPES: dict[type, type] = {
    Integer: dc.IntegerData, Long: dc.LongData, DoubleLong: dc.DoubleLongData,
    Long64: dc.Long64Data, Unsigned: dc.UnsignedIntegerData, LongUnsigned: dc.UnsignedLongData,
    DoubleLongUnsigned: dc.DoubleLongUnsignedData, Long64Unsigned: dc.UnsignedLong64Data,
    Enum: dc.EnumData,
}  # fmt: skip


def to_dlms_cosem(value: Data) -> Any:
    if isinstance(value, tuple):
        return dc.DataStructure([to_dlms_cosem(v) for v in value])
    if isinstance(value, (list, Table)):
        return dc.DataArray([to_dlms_cosem(v) for v in value])
    if isinstance(value, bytes):
        return dc.OctetStringData(bytes(value))
    if isinstance(value, str) and not isinstance(value, Utf8String):
        return dc.VisibleStringData(str(value))
    cls = _DC_TYPES.get(type(value))
    if cls is None:
        raise NotImplementedError(f"dlms-cosem cannot encode {value!r}")
    return cls(int(value))  # type: ignore[arg-type]


def dlms_cosem_encode(value: Data) -> bytes:
    return bytes(to_dlms_cosem(value).to_bytes())


def _dc_plain(v: Any) -> Any:
    if isinstance(v, (dc.DataArray, dc.DataStructure)):
        return [_dc_plain(x) for x in v.value]
    if isinstance(v, dc.DateTimeData):
        when, status = v.value
        return when, status
    value = v.to_python()
    return bytes(value) if isinstance(value, (bytes, bytearray)) else value


def dlms_cosem_decode(data: bytes) -> Any:
    (value,) = dc.DlmsDataParser().parse(data)
    return _dc_plain(value)
