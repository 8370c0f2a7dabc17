"""IEC 62056-21 messages: encode/decode both ways, BCC, and readouts seen in the field."""

from __future__ import annotations

import pytest

from openamr.errors import DecodeError, EncodeError
from openamr.link.iec21 import (
    Ack,
    AckOptionSelect,
    Command,
    CommandMessage,
    DataMessage,
    DataSet,
    IdentificationMessage,
    ModeControl,
    Nak,
    ProtocolControl,
    RequestMessage,
    bcc,
    iskraemeco_identification,
)
from openamr.link.iec21.messages import BREAK
from tests.vector_files import Vectors

IEC21 = Vectors("iec21")

MT174 = IEC21.named("iskraemeco_mt174_capture.hex")
MT174_LINES = IEC21.named("iskraemeco_mt174_lines.hex")
MT382 = IEC21.named("iskraemeco_mt382_dsmr22.hex")

# Messages and their exact bytes (layouts of IEC 62056-21 6.3; BCCs computed by hand
# and cross-checked with the iec62056-21 package in test_oracle.py).
EXAMPLES = [
    pytest.param(RequestMessage(), "2f 3f 21 0d 0a", id="request"),
    pytest.param(
        RequestMessage("12345678"), "2f 3f 31 32 33 34 35 36 37 38 21 0d 0a", id="req-addr"
    ),
    pytest.param(
        AckOptionSelect(ProtocolControl.NORMAL, "5", ModeControl.READOUT),
        "06 30 35 30 0d 0a",
        id="ack-050",
    ),
    pytest.param(
        AckOptionSelect(ProtocolControl.HDLC, "5", ModeControl.BINARY),
        "06 32 35 32 0d 0a",
        id="ack-252-mode-e",
    ),
    pytest.param(Ack(), "06", id="ack"),
    pytest.param(Nak(), "15", id="nak"),
    pytest.param(BREAK, "01 42 30 03 71", id="break-b0"),
    pytest.param(
        CommandMessage(Command.PASSWORD, "1", DataSet("", "00000000")),
        "01 50 31 02 28 30 30 30 30 30 30 30 30 29 03 61",
        id="p1",
    ),
    pytest.param(DataMessage.error(), "02 28 45 52 52 4f 52 29 03 5a", id="error"),
]


@pytest.mark.parametrize(("message", "hexdata"), EXAMPLES)
def test_examples_both_ways(message: object, hexdata: str) -> None:
    data = bytes.fromhex(hexdata)
    assert message.encode() == data  # type: ignore[attr-defined]
    decoder = type(message).decode if hasattr(type(message), "decode") else None
    if decoder is not None:
        assert decoder(data) == message


def test_bcc_is_xor_after_soh_up_to_etx() -> None:
    raw = BREAK.encode()
    assert raw[-1] == ord("B") ^ ord("0") ^ 0x03
    assert bcc(b"") == 0


def test_iskraemeco_identification() -> None:
    ident = iskraemeco_identification()
    assert ident.encode() == b"/ISK5\\2MT372-1004\r\n"
    assert ident.mode_e and ident.baud == 9600 and not ident.fast_reaction
    assert IdentificationMessage.decode(ident.encode()) == ident


def test_identification_with_other_enhanced_character() -> None:
    # EMH EM4T-II manual, IEC 62056-21 protocol diagram: '/EMH5\@D4EM4TWII001--'
    ident = IdentificationMessage.decode(b"/EMH5\\@D4EM4TWII001--\r\n")
    assert (ident.manufacturer, ident.enhanced, ident.ident) == ("EMH", "@", "D4EM4TWII001--")
    assert not ident.mode_e


def test_mt174_capture() -> None:
    ident = IdentificationMessage.decode(MT174["identification"].data)
    assert (ident.manufacturer, ident.baud_char, ident.ident) == ("ISk", "5", "MT174-0002")
    assert ident.fast_reaction and not ident.mode_e
    assert ident.encode() == MT174["identification"].data
    raw = MT174["readout"].data
    message = DataMessage.decode(raw)
    assert message.is_readout and message.encode() == raw
    assert raw[-1] == int(MT174["readout"].meta["bcc"], 0)
    sets = message.data_sets()
    assert len(sets) == int(MT174["readout"].meta["sets"])
    assert sets[2] == DataSet("1-0:1.8.0*255", "0000502.853", "kWh")
    assert DataMessage.readout(sets) == message  # re-encoded byte for byte


def test_mt174_full_readout_lines() -> None:
    vector = MT174_LINES["data-block"]
    message = DataMessage(vector.data.decode("latin-1") + "!\r\n")
    sets = message.data_sets()
    assert len(sets) == int(vector.meta["sets"])
    assert DataSet("0-0:C.51.4*01", "") in sets
    assert DataSet("1-0:9.8.0*255", "0906977.544", "kVAh") in sets
    assert DataMessage.readout(sets).block.encode() == vector.data + b"!\r\n"


def test_mt382_dsmr22_telegram() -> None:
    ident = IdentificationMessage.decode(MT382["identification"].data)
    assert (ident.manufacturer, ident.enhanced, ident.ident) == ("ISk", "2", "MT382-1004")
    vector = MT382["data-block"]
    lines = DataMessage(vector.data.decode("latin-1")).lines()
    assert len(lines) == int(vector.meta["lines"])
    assert sum(len(line) for line in lines) == int(vector.meta["sets"])
    gas = next(line for line in lines if line[0].address == "0-1:24.3.0")
    assert [s.value for s in gas] == ["161107190000", "00", "60", "1", "0-1:24.2.1", "m3"]
    assert DataSet("", "00001.001") in (s for line in lines for s in line)


def test_data_message_without_closing_parenthesis_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as e:
        DataMessage("1.8.0(0012\r\n!\r\n").data_sets()
    assert e.value.offset == 1


@pytest.mark.parametrize(
    "data_set",
    [DataSet("1.8(0", "1"), DataSet("1.8.0", "1)"), DataSet("a", "b*c"), DataSet("a", "\r")],
)
def test_characters_the_standard_excludes_are_refused(data_set: DataSet) -> None:
    with pytest.raises(EncodeError):
        DataMessage.of(data_set).encode()


def test_error_text_only_for_addressless_err() -> None:
    assert DataMessage.error("ERROR04").error_text == "ERROR04"
    assert DataMessage.of(DataSet("", "001234.5")).error_text is None
    assert DataMessage.of(DataSet("1.8.0", "ERR")).error_text is None


def test_command_decode_rejects_unknown_command() -> None:
    raw = CommandMessage(Command.READ, "1", DataSet("1.8.0", "")).encode()
    bad = raw[:1] + b"X" + raw[2:-1]
    with pytest.raises(DecodeError):
        CommandMessage.decode(bad + bytes([bcc(bad[1:])]))
