"""Auto answer (28) and Auto connect (29) checked both ways against gurux-dlms: what
we answer gurux reads, and what gurux answers for its own object we accept (the
classes' attributes gurux knows; the v2 list of allowed callers it does not)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openamr.apdu.results import DataAccessResult
from openamr.codec import decode
from openamr.codec.datetime import CosemDateTime
from openamr.codec.types import Array, Data, OctetString, Structure
from openamr.cosem import CosemObject
from openamr.cosem.classes.auto_answer import AutoAnswer, CallType
from openamr.cosem.classes.auto_connect import AutoConnect, AutoConnectMode

gurux = pytest.importorskip("gurux_dlms")
objects = pytest.importorskip("gurux_dlms.objects")

START = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
END = dt.datetime(2026, 3, 1, 4, 30, tzinfo=dt.UTC)


def window() -> Array:
    stamps = (CosemDateTime.from_datetime(START), CosemDateTime.from_datetime(END))
    return Array([Structure(OctetString(s.to_bytes()) for s in stamps)])


def theirs_of(ours: CosemObject, theirs: Any) -> Any:
    from tests.cosem.gurux_oracle import gurux_parse

    return gurux_parse(ours, theirs)


def gurux_answer(theirs: Any, index: int) -> Data:
    """What gurux's object answers to a GET of ``index``, decoded by our codec."""
    settings = gurux.GXDLMSSettings(True, None)
    event = gurux.ValueEventArgs(settings, theirs, index)
    raw = theirs.getValue(settings, event)
    if isinstance(raw, gurux.GXByteBuffer):
        return decode(bytes(raw.array()))
    from tests.cosem.gurux_oracle import gx_common

    buffer = gurux.GXByteBuffer()
    kind = theirs.getDataType(index)
    gx_common._GXCommon.setData(settings, buffer, kind, raw)
    return decode(bytes(buffer.array()))


def test_auto_answer_both_ways() -> None:
    ours = AutoAnswer(rings=(3, 6), allowed_callers=[(b"+38640100200", CallType.NORMAL_CSD)])
    assert ours.set(3, window()) is DataAccessResult.SUCCESS
    theirs = theirs_of(ours, objects.GXDLMSAutoAnswer())
    assert int(theirs.mode) == 0
    assert (theirs.numberOfRingsInListeningWindow, theirs.numberOfRingsOutListeningWindow) == (3, 6)
    [(start, end)] = theirs.listeningWindow
    assert (start.value.hour, end.value.hour, end.value.minute) == (2, 4, 30)
    back = AutoAnswer()
    for index in (2, 3, 6):
        assert back.set(index, gurux_answer(theirs, index)) is DataAccessResult.SUCCESS, index
    assert back.number_of_rings == ours.number_of_rings
    assert [CosemDateTime.from_bytes(bytes(s)) for w in back.listening_window for s in w] == [
        CosemDateTime.from_bytes(bytes(s)) for w in ours.listening_window for s in w
    ]


def test_auto_connect_both_ways() -> None:
    ours = AutoConnect(
        mode=AutoConnectMode.CONNECTED_IN_WINDOW, repetitions=5, repetition_delay=90,
        destinations=[b"+38640100200", b"10.0.0.1:4059"],
    )  # fmt: skip
    assert ours.set(5, window()) is DataAccessResult.SUCCESS
    theirs = theirs_of(ours, objects.GXDLMSAutoConnect())
    assert int(theirs.mode) == 102
    assert (theirs.repetitions, theirs.repetitionDelay) == (5, 90)
    assert [str(d) for d in theirs.destinations] == ["+38640100200", "10.0.0.1:4059"]
    assert len(theirs.callingWindow) == 1
    back = AutoConnect()
    for index in (2, 3, 4, 5, 6):
        assert back.set(index, gurux_answer(theirs, index)) is DataAccessResult.SUCCESS, index
    assert back.destinations() == ours.destinations()
    assert (back.mode, back.repetitions, back.repetition_delay) == (102, 5, 90)


def test_gsm_diagnostic_gurux_encodes_what_we_encode() -> None:
    from openamr.codec import encode
    from openamr.cosem.classes.gsm_diagnostic import (
        AdjacentCell,
        CellInfo,
        GsmDiagnostic,
        GsmStatus,
        PsStatus,
    )

    ours = GsmDiagnostic()
    cell = CellInfo(0x0102_0304, 0x2A, 21, 0, 293, 40, 62)
    ours.capture(CosemDateTime.from_datetime(START), "A1 SI", GsmStatus.REGISTERED_HOME,
                 PsStatus.GPRS, cell, [AdjacentCell(7, 12), AdjacentCell(9, 3)])  # fmt: skip
    theirs = theirs_of(ours, objects.GXDLMSGSMDiagnostic())
    settings = gurux.GXDLMSSettings(True, None)
    for index in (6, 7):  # the structures: gurux's bytes are ours
        raw = theirs.getValue(settings, gurux.ValueEventArgs(settings, theirs, index))
        assert bytes(raw.array()) == encode(ours.get(index)), index
    assert decode(encode(ours.get(6))) == cell.to_data()
