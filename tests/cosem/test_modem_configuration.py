"""Modem configuration (class 27 v1): declaration, checks, and gurux both ways."""

from __future__ import annotations

from openamr.apdu.results import DataAccessResult
from openamr.codec.types import Array, Enum, OctetString, Structure
from openamr.cosem.classes.modem_configuration import DEFAULT_PROFILE, ModemConfiguration
from tests.cosem.declared import check_declaration


def test_declaration() -> None:
    obj = ModemConfiguration()
    assert (obj.CLASS_ID, obj.VERSION, str(obj.logical_name)) == (27, 1, "0.0.2.0.0.255")
    assert obj.methods() == ()
    check_declaration(obj)
    assert obj.bit_rate == 9600


def test_checks() -> None:
    obj = ModemConfiguration()
    assert obj.set(2, Enum(10)) is DataAccessResult.OTHER_REASON
    assert obj.set(2, Enum(3)) is DataAccessResult.SUCCESS and obj.bit_rate == 2400
    bad = Array([Structure((OctetString(b"AT"), OctetString(b"OK")))])
    assert obj.set(3, bad) is DataAccessResult.TYPE_UNMATCHED


def test_gurux_reads_ours_and_we_read_gurux() -> None:
    from gurux_dlms import GXDLMSSettings, ValueEventArgs
    from gurux_dlms.objects import GXDLMSModemConfiguration

    from openamr.codec import decode
    from tests.cosem.gurux_oracle import gurux_parse

    theirs = gurux_parse(ModemConfiguration(), GXDLMSModemConfiguration())
    assert int(theirs.communicationSpeed) == 5  # 9600 baud
    assert [str(p) for p in theirs.modemProfile] == list(DEFAULT_PROFILE)
    first = theirs.initialisationStrings[0]
    assert (first.request, first.response, first.delay) == ("ATZ", "OK", 0)
    # and back: what gurux answers for its own object, set into ours
    gx = GXDLMSModemConfiguration()
    gx.communicationSpeed = 3
    settings = GXDLMSSettings(True, None)
    ours = ModemConfiguration()
    for index in (2, 4):
        event = ValueEventArgs(settings, gx, index)
        raw = gx.getValue(settings, event)
        wire = bytes([22, int(raw)]) if index == 2 else bytes(raw.array())  # enum, or encoded
        assert ours.set(index, decode(wire)) is DataAccessResult.SUCCESS
    assert ours.bit_rate == 2400
    assert ours.modem_profile == ModemConfiguration().modem_profile
