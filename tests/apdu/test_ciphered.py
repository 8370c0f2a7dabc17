"""Ciphered APDU framing: service-specific and general ciphering."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.ciphered import (
    CipheredApdu,
    CipheredService,
    GeneralDedCiphering,
    GeneralGloCiphering,
)
from openamr.codec import DecodeError, EncodeError
from tests.apdu._vectors import vector

GREEN_BOOK_TEXT = bytes.fromhex(
    "41 13 12 ff 93 5a 47 56 68 27 c4 67 bc 7d 82 5c 3b e4 a7 7c 3f cc 05 6b 6b"
)


def test_green_book_glo_get_request() -> None:
    data = vector("glo-get-request")
    apdu = decode_apdu(data)
    assert isinstance(apdu, CipheredApdu)
    assert apdu.tag is CipheredService.GLO_GET_REQUEST and not apdu.tag.dedicated
    assert apdu.security_control == 0x30
    assert apdu.invocation_counter == 0x01234567
    assert apdu.ciphered_text == GREEN_BOOK_TEXT
    built = CipheredApdu.build(CipheredService.GLO_GET_REQUEST, 0x30, 0x01234567, GREEN_BOOK_TEXT)
    assert built == apdu and built.to_bytes() == data


def test_general_glo_ciphering_vector() -> None:
    data = vector("general-glo-ciphering")
    apdu = GeneralGloCiphering.from_bytes(data)
    assert apdu.system_title == bytes.fromhex("2f 19 22 91 99 16 41 03")
    assert apdu.security_control == 0x30
    assert apdu.invocation_counter == 0x1E5
    assert len(apdu.ciphered_text) == 54
    assert apdu.to_bytes() == data


def test_general_ded_ciphering_is_its_own_class() -> None:
    glo = GeneralGloCiphering(b"MMM\x00\x00\xbcaN", bytes.fromhex("30 00 00 00 01 aa"))
    ded = GeneralDedCiphering(glo.system_title, glo.ciphered_content)
    assert ded.to_bytes()[0] == 0xDC and glo.to_bytes()[0] == 0xDB
    assert decode_apdu(ded.to_bytes()) == ded
    assert not isinstance(ded, GeneralGloCiphering)
    with pytest.raises(DecodeError):
        GeneralGloCiphering.from_bytes(ded.to_bytes())


@pytest.mark.parametrize("tag", list(CipheredService))
def test_every_service_tag_round_trips(tag: CipheredService) -> None:
    apdu = CipheredApdu.build(tag, 0x20, 7, b"\xaa" * 200)
    data = apdu.to_bytes()
    assert data[:3] == bytes((tag, 0x81, 205))
    assert decode_apdu(data) == apdu
    assert apdu.tag.dedicated == (tag.name[:3] == "DED")


def test_tag_values_follow_the_standard() -> None:
    # xDLMS-APDU CHOICE tags (Green Book 9.5), cross-checked with gurux-dlms enums.Command.
    expected = {
        "GLO_INITIATE_REQUEST": 33, "GLO_INITIATE_RESPONSE": 40,
        "GLO_CONFIRMED_SERVICE_ERROR": 46, "DED_INITIATE_REQUEST": 65,
        "DED_INITIATE_RESPONSE": 72, "DED_CONFIRMED_SERVICE_ERROR": 78,
        "GLO_GET_REQUEST": 200, "GLO_SET_REQUEST": 201, "GLO_EVENT_NOTIFICATION_REQUEST": 202,
        "GLO_ACTION_REQUEST": 203, "GLO_GET_RESPONSE": 204, "GLO_SET_RESPONSE": 205,
        "GLO_ACTION_RESPONSE": 207, "DED_GET_REQUEST": 208, "DED_SET_REQUEST": 209,
        "DED_EVENT_NOTIFICATION_REQUEST": 210, "DED_ACTION_REQUEST": 211,
        "DED_GET_RESPONSE": 212, "DED_SET_RESPONSE": 213, "DED_ACTION_RESPONSE": 215,
    }  # fmt: skip
    assert {t.name: int(t) for t in CipheredService} == expected


def test_content_without_security_header_is_refused() -> None:
    with pytest.raises(EncodeError):
        CipheredApdu(CipheredService.GLO_GET_REQUEST, b"\x30\x00\x00\x00")
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex("c8 04 30 00 00 00"))
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex("db 08 00 00 00 00 00 00 00 00 02 30 00"))
    with pytest.raises(DecodeError):
        decode_apdu(bytes.fromhex("c8 1e 30 01"))
