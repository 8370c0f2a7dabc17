"""Codec benchmarks: a half-year load profile of 17,520 quarter-hour rows.

The buffer is an array of structures, 28 octets per row (a profile-generic buffer
as the MT372 returns it)::

    01 82 44 70                 array of 17,520
      02 04                     structure of 4
        09 0c <12 octets>       octet-string(12): the clock (date-time)
        06 <4 octets>           double-long-unsigned: +A energy register
        06 <4 octets>           double-long-unsigned: -A energy register
        11 <1 octet>            unsigned: status

Contenders: openamr (rows as plain tuples through its Table fast path),
dlms-cosem and gurux-dlms (each builds its own object tree), and a fixed-layout
``struct`` bound that knows the layout in advance and checks nothing.
"""

from __future__ import annotations

import datetime as dt
import struct
from itertools import starmap
from typing import Any

from bench import Case, suite
from openamr.codec import (
    Array,
    CosemDateTime,
    DoubleLongUnsigned,
    OctetString,
    Structure,
    Table,
    Unsigned,
    decode,
    encode,
)

ROWS = 17_520
CET = dt.timezone(dt.timedelta(hours=1))
HEADER = bytes.fromhex("01 82") + ROWS.to_bytes(2, "big")
ROW = struct.Struct(">BB BB12s BI BI BB")
BOUND = struct.Struct(">xx xx12s xI xI xB")  # the same layout, constants skipped

Row = tuple[bytes, int, int, int]


def profile_rows() -> list[Row]:
    start = dt.datetime(2026, 1, 1, tzinfo=CET)
    rows = []
    for i in range(ROWS):
        when = CosemDateTime.from_datetime(start + dt.timedelta(minutes=15 * i), 0).to_bytes()
        rows.append((when, 1_000_000 + 37 * i + i % 11, 20_000 + 3 * i, i % 3))
    return rows


def profile_buffer(rows: list[Row]) -> bytes:
    body = b"".join(ROW.pack(2, 4, 9, 12, t, 6, a, 6, b, 17, s) for t, a, b, s in rows)
    return HEADER + body


def _expect_rows(rows: list[Row], first_last: Any) -> None:
    got = [tuple(r) for r in first_last]
    if got != [rows[0], rows[-1]]:
        raise AssertionError(f"first/last rows differ: {got} != {[rows[0], rows[-1]]}")


# -- decoding ------------------------------------------------------------------------


def _openamr_decode(buf: bytes, rows: list[Row]) -> Case:
    def check(out: object) -> None:
        assert isinstance(out, Table) and len(out) == ROWS, "not a Table of every row"
        _expect_rows(rows, (out.rows[0], out.rows[-1]))

    return Case("openamr", lambda: decode(buf), check, note="rows as plain tuples")


def _dlms_cosem_decode(buf: bytes, rows: list[Row]) -> Case:
    from dlms_cosem.dlms_data import DlmsDataParser

    def check(out: Any) -> None:
        (array,) = out
        assert len(array.value) == ROWS
        ends = (array.value[0].value, array.value[-1].value)
        _expect_rows(rows, ((bytes(t.value), a.value, b.value, s.value) for t, a, b, s in ends))

    return Case("dlms-cosem", lambda: DlmsDataParser().parse(buf), check)


def _gurux_objects() -> tuple[Any, Any, Any, Any]:
    from gurux_dlms import GXByteBuffer, GXDLMSSettings
    from gurux_dlms.internal._GXCommon import _GXCommon
    from gurux_dlms.internal._GXDataInfo import _GXDataInfo

    return GXByteBuffer, GXDLMSSettings(True, None), _GXCommon, _GXDataInfo


def _gurux_decode(buf: bytes, rows: list[Row]) -> Case:
    buffer, settings, common, info = _gurux_objects()

    def run() -> object:
        return common.getData(settings, buffer(buf), info())

    def check(out: Any) -> None:
        assert len(out) == ROWS
        ends = (out[0], out[-1])
        _expect_rows(rows, ((bytes(t), int(a), int(b), int(s)) for t, a, b, s in ends))

    return Case("gurux-dlms", run, check)


def _struct_decode(buf: bytes, rows: list[Row]) -> Case:
    def run() -> object:
        return list(BOUND.iter_unpack(memoryview(buf)[len(HEADER) :]))

    def check(out: Any) -> None:
        assert len(out) == ROWS
        _expect_rows(rows, (out[0], out[-1]))

    return Case("struct", run, check, bound=True, note="fixed layout, no checks")


@suite("codec", "decode a 17,520-row load profile", unit="rows", items=ROWS)
def decode_profile() -> list[Case]:
    rows = profile_rows()
    buf = profile_buffer(rows)
    makers = (_openamr_decode, _dlms_cosem_decode, _gurux_decode, _struct_decode)
    return [make(buf, rows) for make in makers]


# -- encoding ------------------------------------------------------------------------


def _same_bytes(buf: bytes) -> Any:
    def check(out: object) -> None:
        assert out == buf, "encoding differs from the reference buffer"

    return check


def _typed(rows: list[Row]) -> Array:
    return Array(
        Structure((OctetString(t), DoubleLongUnsigned(a), DoubleLongUnsigned(b), Unsigned(s)))
        for t, a, b, s in rows
    )


def _dlms_cosem_encoder(rows: list[Row]) -> Any:
    from dlms_cosem import dlms_data as dc

    def row(t: bytes, a: int, b: int, s: int) -> Any:
        return dc.DataStructure(
            [
                dc.OctetStringData(t),
                dc.DoubleLongUnsignedData(a),
                dc.DoubleLongUnsignedData(b),
                dc.UnsignedIntegerData(s),
            ]
        )

    return dc.DataArray(list(starmap(row, rows))).to_bytes


def _gurux_encoder(rows: list[Row]) -> Any:
    from gurux_dlms import GXArray, GXStructure, GXUInt8, GXUInt32
    from gurux_dlms.enums import DataType

    buffer, settings, common, _ = _gurux_objects()
    array = GXArray()
    for t, a, b, s in rows:
        row = GXStructure()
        row.extend((t, GXUInt32(a), GXUInt32(b), GXUInt8(s)))
        array.append(row)

    def run() -> bytes:
        out = buffer()
        common.setData(settings, out, DataType.ARRAY, array)
        return bytes(out.array()[: out.size])

    return run


@suite("codec", "encode a 17,520-row load profile", unit="rows", items=ROWS)
def encode_profile() -> list[Case]:
    rows = profile_rows()
    buf = profile_buffer(rows)
    table, typed = decode(buf), _typed(rows)
    same = _same_bytes(buf)

    def bound() -> bytes:
        return HEADER + b"".join(starmap(BOUND.pack, rows))

    def bound_check(out: object) -> None:
        assert isinstance(out, bytes) and len(out) == len(buf)

    return [
        Case("openamr", lambda: encode(table), same, note="Table"),
        Case("openamr generic", lambda: encode(typed), same, note="Array of Structures"),
        Case("dlms-cosem", _dlms_cosem_encoder(rows), same),
        Case("gurux-dlms", _gurux_encoder(rows), same),
        Case("struct", bound, bound_check, bound=True, note="fixed layout, pads for tags"),
    ]
