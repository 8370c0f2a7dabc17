"""Ciphered APDU framing: service-specific and general ciphering."""

from __future__ import annotations

import pytest

from openamr.apdu import decode_apdu
from openamr.apdu.ciphered import (
    DED_TAGS,
    GLO_TAGS,
    CipheredApdu,
    CipheredService,
    GeneralDedCiphering,
    GeneralGloCiphering,
    decode_ciphered,
    is_ciphered,
)
from openamr.codec import DecodeError, EncodeError
from tests.vector_files import Vectors

XDLMS = Vectors("xdlms")

GREEN_BOOK_TEXT = bytes.fromhex(
    "41 13 12 ff 93 5a 47 56 68 27 c4 67 bc 7d 82 5c 3b e4 a7 7c 3f cc 05 6b 6b"
)


def test_green_book_glo_get_request() -> None:
    data = XDLMS.vector("glo-get-request")
    apdu = decode_apdu(data)
    assert isinstance(apdu, CipheredApdu)
    assert apdu.tag is CipheredService.GLO_GET_REQUEST and not apdu.tag.dedicated
    assert apdu.security_control == 0x30
    assert apdu.invocation_counter == 0x01234567
    assert apdu.ciphered_text == GREEN_BOOK_TEXT
    built = CipheredApdu.build(CipheredService.GLO_GET_REQUEST, 0x30, 0x01234567, GREEN_BOOK_TEXT)
    assert built == apdu and built.to_bytes() == data


def test_general_glo_ciphering_vector() -> None:
    data = XDLMS.vector("general-glo-ciphering")
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
    # xDLMS-APDU CHOICE tags (Green Book 9.5), cross-checked with gurux-dlms enums.Command
    # (which lacks glo-unconfirmedWriteRequest [54] and glo-informationReportRequest [56]).
    expected = {
        "GLO_INITIATE_REQUEST": 33, "GLO_READ_REQUEST": 37, "GLO_WRITE_REQUEST": 38,
        "GLO_INITIATE_RESPONSE": 40, "GLO_READ_RESPONSE": 44, "GLO_WRITE_RESPONSE": 45,
        "GLO_CONFIRMED_SERVICE_ERROR": 46, "GLO_UNCONFIRMED_WRITE_REQUEST": 54,
        "GLO_INFORMATION_REPORT_REQUEST": 56,
        "DED_INITIATE_REQUEST": 65, "DED_READ_REQUEST": 69, "DED_WRITE_REQUEST": 70,
        "DED_INITIATE_RESPONSE": 72, "DED_READ_RESPONSE": 76, "DED_WRITE_RESPONSE": 77,
        "DED_CONFIRMED_SERVICE_ERROR": 78, "DED_UNCONFIRMED_WRITE_REQUEST": 86,
        "DED_INFORMATION_REPORT_REQUEST": 88,
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


def test_gurux_names_the_same_tags() -> None:
    command = pytest.importorskip("gurux_dlms.enums").Command
    gurux_name = {"EVENT_NOTIFICATION_REQUEST": "EVENT_NOTIFICATION", "ACTION": "METHOD"}
    checked = 0
    for service in CipheredService:
        name = service.name
        for ours, theirs in gurux_name.items():
            name = name.replace(ours, theirs)
        if hasattr(command, name):
            assert getattr(command, name) == service, name
            checked += 1
    assert checked == len(CipheredService) - 2  # all but glo- [54] and [56]


@pytest.mark.parametrize("service", list(CipheredService), ids=lambda s: s.name)
def test_plain_tag_and_tables(service: CipheredService) -> None:
    table = DED_TAGS if service.dedicated else GLO_TAGS
    assert table[service.plain_tag] is service
    # glo- is plain + 0x20 (short tags) or + 0x08 (C0..C7); ded- a further 0x20 / 0x08
    step = 0x20 if service.plain_tag < 0xC0 else 0x08
    assert service == service.plain_tag + step * (2 if service.dedicated else 1)
    assert is_ciphered(service) and not is_ciphered(service.plain_tag)


def test_tables_cover_every_service_once() -> None:
    assert len(GLO_TAGS) == len(DED_TAGS) == 16
    assert set(GLO_TAGS.values()) | set(DED_TAGS.values()) == set(CipheredService)
    assert is_ciphered(GeneralGloCiphering.TAG) and is_ciphered(GeneralDedCiphering.TAG)


def test_decode_ciphered_takes_only_ciphered_apdus() -> None:
    data = XDLMS.vector("glo-get-request")
    assert decode_ciphered(data) == decode_apdu(data)
    general = XDLMS.vector("general-glo-ciphering")
    assert isinstance(decode_ciphered(general), GeneralGloCiphering)
    with pytest.raises(DecodeError, match="not a ciphered APDU"):
        decode_ciphered(bytes.fromhex("c0 01 c1 00 08 00 00 01 00 00 ff 02 00"))
    with pytest.raises(DecodeError, match="trailing"):
        decode_ciphered(data + b"\x00")
    with pytest.raises(DecodeError):
        decode_ciphered(b"")


def test_sn_forms_decode() -> None:
    # glo-read-request [37] around a (ciphered) readRequest: the same framing as glo-get
    apdu = decode_apdu(bytes.fromhex("25 07 30 00 00 00 2a aa bb"))
    assert isinstance(apdu, CipheredApdu)
    assert apdu.tag is CipheredService.GLO_READ_REQUEST and apdu.tag.plain_tag == 0x05
    assert (apdu.invocation_counter, apdu.ciphered_text) == (42, b"\xaa\xbb")
