"""SMS-SUBMIT in PDU mode (3GPP TS 23.040 §9.2.2.2, TS 27.005 §3.5.1): published PDUs
decoded (tests/vectors/gsm/sms_submit.txt names each source), and malformed ones
refused with the field named."""

from __future__ import annotations

import pytest

from openamr.gsm.pdu import PduError, decode_submit
from tests.vector_files import Vector, Vectors

VECTORS = Vectors("gsm")


@pytest.mark.parametrize("v", VECTORS.section_params("sms_submit.txt"))
def test_published_submits_decode(v: Vector) -> None:
    sms = decode_submit(v.data.hex(), v.int("length"))
    assert (sms.destination, sms.text) == (v.meta["da"], v.meta["text"])
    assert sms.validity == bytes([v.int("vp")]) and sms.dcs == v.int("dcs")
    assert sms.smsc == v.meta.get("smsc", "") and sms.reference == 0


def test_the_length_must_be_the_tpdus() -> None:
    v = VECTORS.named("sms_submit.txt")["hellohello"]
    with pytest.raises(PduError, match="23 octets, AT\\+CMGS said 24"):
        decode_submit(v.data.hex(), 24)
    with pytest.raises(PduError, match="ends inside"):
        decode_submit(v.data[:8].hex(), 7)


@pytest.mark.parametrize(
    ("pdu", "message"),
    [
        ("zz", "not hex"),
        ("", "empty"),
        ("0004", "not an SMS-SUBMIT"),  # an SMS-DELIVER's MTI
        ("0011000B916407281553F80000AA0BE8329BFD4697D9EC37", "TP-UDL 11"),  # one septet short
        ("0011000ED0C8329BFD4697D90000AA00", "alphanumeric"),
        ("0011000B916407281553F80020AA00", "compressed"),
        ("0011000B916407281553F8000CAA00", "reserved"),
    ],
)  # fmt: skip
def test_malformed_pdus_say_what_is_wrong(pdu: str, message: str) -> None:
    with pytest.raises(PduError, match=message):
        decode_submit(pdu, max(0, len(pdu) // 2 - 1))


def test_ucs2_and_the_gsm7_extension() -> None:
    # the hellohello PDU's header with TP-DCS 0x08 (UCS2) and "€5" in UTF-16BE
    ucs2 = "0011000B916407281553F80008AA0420AC0035"
    assert decode_submit(ucs2, 18).text == "€5"
    # 7 bit: ESC 0x65 is the euro sign (TS 23.038 §6.2.1.1), then "5" (0x35)
    septets = [0x1B, 0x65, 0x35]
    packed = sum(s << (7 * i) for i, s in enumerate(septets)).to_bytes(3, "little")
    gsm7 = "0011000B916407281553F80000AA03" + packed.hex()
    assert decode_submit(gsm7, 17).text == "€5"
