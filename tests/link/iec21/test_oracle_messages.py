"""Cross-check with the independent iec62056-21 package (test oracle): what it encodes we
decode to the same values and re-encode byte for byte, and the other way round."""

from __future__ import annotations

import pytest
from iec62056_21 import messages as oracle
from iec62056_21 import utils

from openamr.link.iec21 import (
    AckOptionSelect,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    IdentificationMessage,
    ModeControl,
    ProtocolControl,
    RequestMessage,
    bcc,
)
from openamr.link.iec21.messages import BREAK


def _ds(address: str, value: str, unit: str | None = None) -> oracle.DataSet:
    return oracle.DataSet(address=address, value=value, unit=unit)


CASES = [
    pytest.param(oracle.RequestMessage(), RequestMessage(), id="request"),
    pytest.param(oracle.RequestMessage("4711"), RequestMessage("4711"), id="request-addr"),
    pytest.param(
        oracle.AckOptionSelectMessage(baud_char="5", mode_char="1"),
        AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.PROGRAMMING),
        id="option-select",
    ),
    pytest.param(
        oracle.CommandMessage.for_single_read("1.8.0", "1"),
        CommandMessage(Command.READ, "1", DataSet("1.8.0", "1")),
        id="r1",
    ),
    pytest.param(
        oracle.CommandMessage.for_single_write("C.1.0", "12345678"),
        CommandMessage(Command.WRITE, "1", DataSet("C.1.0", "12345678")),
        id="w1",
    ),
    pytest.param(
        oracle.CommandMessage("P", 1, _ds("", "00000000")),
        CommandMessage(Command.PASSWORD, "1", DataSet("", "00000000")),
        id="p1",
    ),
    pytest.param(oracle.CommandMessage("B", 0, None), BREAK, id="b0"),
    pytest.param(
        oracle.ReadoutDataMessage(
            oracle.DataBlock(
                [
                    oracle.DataLine([_ds("1.8.0", "001234.567", "kWh")]),
                    oracle.DataLine([_ds("F.F", "00000000"), _ds("", "1")]),
                ]
            )
        ),
        DataMessage.readout(
            [DataSet("1.8.0", "001234.567", "kWh"), [DataSet("F.F", "00000000"), DataSet("", "1")]]
        ),
        id="readout",
    ),
    pytest.param(
        oracle.AnswerDataMessage(oracle.DataBlock([oracle.DataLine([_ds("1.8.0", "5", "kWh")])])),
        DataMessage("1.8.0(5*kWh)\r\n"),
        id="answer",
    ),
]


@pytest.mark.parametrize(("theirs", "ours"), CASES)
def test_same_bytes_both_ways(theirs: object, ours: object) -> None:
    data = theirs.to_bytes()  # type: ignore[attr-defined]
    assert ours.encode() == data  # type: ignore[attr-defined]
    assert type(ours).decode(data) == ours  # type: ignore[attr-defined]


def test_identification_both_ways() -> None:
    # The oracle always writes a backslash after Z and keeps the enhanced identification
    # character as the first character of its 'identification'.
    theirs = oracle.IdentificationMessage("2MT372-1004", "ISK", "5")
    ours = IdentificationMessage("ISK", "5", "MT372-1004", enhanced="2")
    assert ours.encode() == theirs.to_bytes()
    assert IdentificationMessage.decode(theirs.to_bytes()) == ours
    parsed = oracle.IdentificationMessage.from_bytes(ours.encode())
    assert (parsed.manufacturer, parsed.switchover_baudrate_char) == ("ISK", "5")
    assert parsed.identification == "2MT372-1004"


@pytest.mark.parametrize("data", [b"B0\x03", b"P1\x02(00000000)\x03", b"1.8.0(1*kWh)\r\n\x03"])
def test_bcc_agrees(data: bytes) -> None:
    assert utils.calculate_bcc(data) == bytes([bcc(data)])


def test_our_readout_parses_in_the_oracle() -> None:
    ours = DataMessage.readout([DataSet("1.8.0", "001234.567", "kWh"), DataSet("0.9.1", "102030")])
    theirs = oracle.ReadoutDataMessage.from_bytes(ours.encode())
    sets = [s for line in theirs.data_block.data_lines for s in line.data_sets]
    assert [(s.address, s.value, s.unit) for s in sets] == [
        ("1.8.0", "001234.567", "kWh"),
        ("0.9.1", "102030", None),
    ]
