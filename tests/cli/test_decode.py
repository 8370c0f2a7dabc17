"""``openamr decode``: Data values, whole APDUs, wrapper and HDLC frames, and
ciphered APDUs deciphered with the keys."""

from __future__ import annotations

import json

from openamr.apdu.get import GetResponseNormal
from openamr.codec.types import DoubleLongUnsigned
from openamr.link.hdlc.address import Address
from openamr.link.hdlc.frame import Control, Frame, Kind
from openamr.link.wrapper import encode_wrapper
from openamr.meter.associations import DEFAULT_AK, DEFAULT_EK
from openamr.security.ciphering import encipher
from openamr.security.control_byte import SecurityControl
from tests.cli.conftest import invoke

GET = "c0 01 c1 00 03 01 00 01 08 00 ff 02 00"
TITLE = bytes.fromhex("4d4d4d0000bc614e")


def test_a_whole_apdu_decodes_where_it_said_unknown_data_tag() -> None:
    r = invoke(["decode", GET])
    assert r.exit_code == 0, r.output
    assert "GetRequestNormal" in r.output and "instance_id: 1.0.1.8.0.255" in r.output


def test_a_data_value_still_decodes_as_a_tree() -> None:
    r = invoke(["decode", "02 02 11 05 09 02 01 02"])
    assert r.output.splitlines() == ["structure (2)", "  unsigned: 5", "  octet-string: 01 02"]


def test_a_wrapper_frame_names_its_ports_and_the_apdu() -> None:
    frame = encode_wrapper(16, 1, bytes.fromhex(GET))
    r = invoke(["decode", "--json", frame.hex()])
    out = json.loads(r.output)
    assert out["wrapper"] == {"source": 16, "destination": 1}
    assert out["apdu"]["type"] == "GetRequestNormal"


def test_an_hdlc_i_frame_is_stripped_of_its_llc_header() -> None:
    info = b"\xe6\xe6\x00" + bytes.fromhex(GET)
    frame = Frame(Address(1, 17, 2), Address(16), Control(Kind.I, True), info).encode()
    r = invoke(["decode", frame.hex(" ")])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("HDLC frame 1: I") and "GetRequestNormal" in r.output


def test_a_ciphered_response_is_deciphered_with_the_keys() -> None:
    plain = GetResponseNormal(DoubleLongUnsigned(12345)).to_bytes()
    control = SecurityControl(authentication=True, encryption=True)
    ciphered = encipher(plain, control, TITLE, 7, DEFAULT_EK, DEFAULT_AK)
    r = invoke(["decode", ciphered.hex()])
    assert "give --ek and --ak" in r.output
    keys = ["--ek", DEFAULT_EK.hex(), "--ak", DEFAULT_AK.hex(), "--system-title", TITLE.hex()]
    r = invoke(["decode", ciphered.hex(), *keys, "--json"])
    assert r.exit_code == 0, r.output
    inner = json.loads(r.output)["deciphered"]["apdu"]
    assert inner["result"] == {"double-long-unsigned": 12345}
    wrong = ["--ek", "00" * 16, "--ak", DEFAULT_AK.hex(), "--system-title", TITLE.hex()]
    r = invoke(["decode", ciphered.hex(), *wrong])
    assert r.exit_code == 1 and "check --ek/--ak" in r.output and "Traceback" not in r.output


def test_bytes_that_are_nothing_say_so() -> None:
    r = invoke(["decode", "ff ff ff"])
    assert r.exit_code == 1 and "cannot decode" in r.output and "--as" in r.output
