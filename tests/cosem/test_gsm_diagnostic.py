"""GSM diagnostic (class 47 v1): read-only network view, refreshed by the modem."""

from __future__ import annotations

import datetime as dt

import pytest

from openamr.apdu.results import DataAccessResult
from openamr.codec.datetime import CosemDateTime
from openamr.codec.types import Array, Enum, Structure, VisibleString
from openamr.cosem.classes.gsm_diagnostic import (
    AdjacentCell,
    CellInfo,
    GsmDiagnostic,
    GsmStatus,
    PsStatus,
    signal_bars,
)
from tests.cosem.declared import check_declaration

NOW = CosemDateTime.from_datetime(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))


def captured() -> GsmDiagnostic:
    obj = GsmDiagnostic()
    cell = CellInfo(0x1234567, 0x2A, 21, 0, 293, 41, 62)
    obj.capture(NOW, "A1 SI", GsmStatus.REGISTERED_HOME, PsStatus.GPRS, cell, [AdjacentCell(7, 12)])
    return obj


def test_declaration_before_and_after_capture() -> None:
    obj = GsmDiagnostic()
    assert (obj.CLASS_ID, obj.VERSION) == (47, 1)
    check_declaration(obj)
    check_declaration(captured())


def test_capture() -> None:
    obj = captured()
    assert obj.get(2) == VisibleString("A1 SI")
    assert obj.get(3) == Enum(1) and obj.get(5) == Enum(1)
    cell = obj.get(6)
    assert isinstance(cell, Structure) and len(cell) == 7 and cell[0] == 0x1234567
    assert obj.get(7) == Array([Structure((7, 12))])
    assert obj.get(8) == NOW
    assert obj.bars == 3


def test_read_only() -> None:
    obj = captured()
    assert obj.set(2, VisibleString("x")) is DataAccessResult.READ_WRITE_DENIED
    assert obj.get(2) == VisibleString("A1 SI")


@pytest.mark.parametrize(
    ("csq", "bars"), [(99, 0), (0, 0), (9, 0), (10, 1), (14, 1), (15, 2), (19, 2), (20, 3), (31, 3)]
)
def test_signal_bars(csq: int, bars: int) -> None:
    assert signal_bars(csq) == bars


def test_gurux_reads_our_attributes() -> None:
    from gurux_dlms.objects import GXDLMSGSMDiagnostic

    from tests.cosem.gurux_oracle import gurux_parse

    theirs = gurux_parse(captured(), GXDLMSGSMDiagnostic())
    assert theirs.operator == "A1 SI"
    assert int(theirs.status) == 1 and int(theirs.packetSwitchStatus) == 1
    cell = theirs.cellInfo
    assert (cell.cellId, cell.locationId, cell.signalQuality, cell.ber) == (0x1234567, 0x2A, 21, 0)
    assert (cell.mobileCountryCode, cell.mobileNetworkCode, cell.channelNumber) == (293, 41, 62)
    [adjacent] = theirs.adjacentCells
    assert (adjacent.cellId, adjacent.signalQuality) == (7, 12)
