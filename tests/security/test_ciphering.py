"""Ciphered xDLMS APDUs: tag mapping, Green Book APDUs, sessions with counters, oracles."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.apdu.ciphered import CipheredApdu, GeneralGloCiphering, decode_ciphered
from openamr.errors import DecodeError, SecurityError
from openamr.security.ciphering import (
    DED_TAGS,
    GENERAL_DED_CIPHERING,
    GENERAL_GLO_CIPHERING,
    GLO_TAGS,
    CipheringSession,
    ciphered_tag,
    decipher,
    encipher,
    is_ciphered,
)
from openamr.security.control_byte import (
    AUTHENTICATED,
    AUTHENTICATED_ENCRYPTED,
    ENCRYPTED,
    SecurityControl,
)
from openamr.security.counters import OutgoingCounter
from openamr.security.keys import KeySet, SecurityContext
from tests.vector_files import Vectors, as_int

SECURITY = Vectors("security")

GB_APDUS = [p for p in SECURITY.fields("gb-glo-get-*.hex") if "apdu" in p.values[0]]  # type: ignore[attr-defined]
EK = bytes.fromhex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")
AK = bytes.fromhex("d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df")
DEDICATED = bytes.fromhex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff")
BROADCAST = bytes.fromhex("b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 ba bb bc bd be bf")
CLIENT = bytes.fromhex("4d 4d 4d 00 00 00 00 01")
SERVER = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")
GET = bytes.fromhex("c0 01 00 00 08 00 00 01 00 00 ff 02 00")


@pytest.mark.parametrize(
    ("plain", "glo", "ded"),
    [
        (0xC0, 0xC8, 0xD0),
        (0xC1, 0xC9, 0xD1),
        (0xC2, 0xCA, 0xD2),
        (0xC3, 0xCB, 0xD3),
        (0xC4, 0xCC, 0xD4),
        (0xC5, 0xCD, 0xD5),
        (0xC7, 0xCF, 0xD7),
        (0x01, 0x21, 0x41),
        (0x05, 0x25, 0x45),
        (0x06, 0x26, 0x46),
        (0x08, 0x28, 0x48),
        (0x0C, 0x2C, 0x4C),
        (0x0D, 0x2D, 0x4D),
        (0x0E, 0x2E, 0x4E),
        (0x16, 0x36, 0x56),
        (0x18, 0x38, 0x58),
    ],
)
def test_tag_mapping(plain: int, glo: int, ded: int) -> None:
    assert ciphered_tag(plain) == glo
    assert ciphered_tag(plain, dedicated=True) == ded
    assert is_ciphered(glo) and is_ciphered(ded) and not is_ciphered(plain)


def test_tables_are_complete_and_disjoint() -> None:
    assert len(GLO_TAGS) == len(DED_TAGS) == 16
    assert not set(GLO_TAGS.values()) & set(DED_TAGS.values())
    assert is_ciphered(GENERAL_GLO_CIPHERING) and is_ciphered(GENERAL_DED_CIPHERING)


@pytest.mark.parametrize("tag", [0x0F, 0x60, 0xD8, 0xDB, 0xE0])
def test_no_service_specific_form(tag: int) -> None:
    with pytest.raises(SecurityError, match="no glo- ciphered form"):
        ciphered_tag(tag)


@pytest.mark.parametrize("v", GB_APDUS)
def test_green_book_apdus_both_ways(v: dict[str, bytes]) -> None:
    control = SecurityControl.parse(v["sc"][0])
    ic = as_int(v["ic"])
    assert encipher(v["plaintext"], control, v["system_title"], ic, v["ek"], v["ak"]) == v["apdu"]
    result = decipher(v["apdu"], v["system_title"], v["ek"], v["ak"], required=control)
    assert (result.apdu, result.control, result.invocation_counter) == (v["plaintext"], control, ic)
    assert result.dedicated is False
    parsed = CipheredApdu.from_bytes(v["apdu"])
    assert (parsed.tag, parsed.tag.plain_tag, parsed.ciphered_content) == (0xC8, 0xC0, v["content"])
    assert parsed.to_bytes() == v["apdu"]


def test_general_glo_ciphering_layout() -> None:
    out = encipher(GET, AUTHENTICATED_ENCRYPTED, SERVER, 0x01234567, EK, AK, general=True)
    # DB, system title as octet string, then the same content as the Green Book glo- example
    assert out[:10] == bytes.fromhex("db 08 4d 4d 4d 00 00 bc 61 4e")
    assert out[10:] == bytes.fromhex(
        "1e 30 01 23 45 67 41 13 12 ff 93 5a 47 56 68 27 c4 67 bc"
        " 7d 82 5c 3b e4 a7 7c 3f cc 05 6b 6b"
    )
    result = decipher(out, None, EK, AK)
    assert (result.apdu, result.system_title) == (GET, SERVER)


def test_general_ciphering_title_must_be_the_peers() -> None:
    out = encipher(GET, AUTHENTICATED_ENCRYPTED, SERVER, 1, EK, AK, general=True)
    with pytest.raises(SecurityError, match="another system title"):
        decipher(out, CLIENT, EK, AK)
    assert decipher(out, SERVER, EK, AK).apdu == GET


def test_general_ciphering_without_title_uses_the_peers() -> None:
    glo = CipheredApdu.from_bytes(encipher(GET, AUTHENTICATED, SERVER, 1, EK, AK))
    out = GeneralGloCiphering(b"", glo.ciphered_content).to_bytes()
    assert out[:2] == bytes.fromhex("db 00")
    assert decipher(out, SERVER, EK, AK).apdu == GET
    with pytest.raises(SecurityError, match="not known"):
        decipher(out, None, EK, AK)


def test_data_notification_only_in_general_ciphering() -> None:
    notification = bytes.fromhex("0f 00 00 00 01 00 09 03 41 42 43")
    with pytest.raises(SecurityError):
        encipher(notification, AUTHENTICATED_ENCRYPTED, SERVER, 1, EK, AK)
    out = encipher(notification, AUTHENTICATED_ENCRYPTED, SERVER, 1, EK, AK, general=True)
    assert decipher(out, SERVER, EK, AK).apdu == notification


def test_long_apdu_uses_long_length() -> None:
    plain = bytes([0xC4]) + bytes(300)
    out = encipher(plain, AUTHENTICATED_ENCRYPTED, SERVER, 2, EK, AK)
    assert out[:4] == bytes([0xCC, 0x82]) + (5 + 301 + 12).to_bytes(2, "big")
    assert decipher(out, SERVER, EK, AK).apdu == plain


def test_plain_tag_must_match_the_ciphered_tag() -> None:
    out = bytearray(encipher(GET, AUTHENTICATED, SERVER, 1, EK, AK))
    out[0] = 0xCC  # claims a get-response
    with pytest.raises(DecodeError, match="announced 0xc4"):
        decipher(bytes(out), SERVER, EK, AK)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(bytes.fromhex("c0 01"), id="plain-tag"),
        pytest.param(bytes.fromhex("c8 10 30"), id="short-content"),
        pytest.param(bytes.fromhex("c8 01 30 00"), id="trailing"),
        pytest.param(bytes.fromhex("c8 04 30 00 00 00"), id="no-invocation-counter"),
        pytest.param(bytes.fromhex("db 08 4d 4d"), id="short-title"),
    ],
)
def test_malformed_frames(data: bytes) -> None:
    with pytest.raises(DecodeError):
        decipher(data, SERVER, EK, AK)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_random_bytes_raise_only_decode_or_security_error(data: bytes) -> None:
    for payload in (data, bytes([0xC8, len(data)]) + data, bytes([0xDB, 8]) + SERVER + data):
        try:
            result = decipher(payload, SERVER, EK, AK)
        except (DecodeError, SecurityError):
            continue
        assert not result.control.authentication  # only an untagged content gets through


@settings(max_examples=40, deadline=None)
@given(
    plain_tag=st.sampled_from(sorted(GLO_TAGS)),
    body=st.binary(max_size=300),
    control=st.sampled_from([AUTHENTICATED, ENCRYPTED, AUTHENTICATED_ENCRYPTED]),
    dedicated=st.booleans(),
    general=st.booleans(),
    ic=st.integers(0, 2**32 - 1),
)
def test_round_trip(
    plain_tag: int,
    body: bytes,
    control: SecurityControl,
    dedicated: bool,
    general: bool,
    ic: int,
) -> None:

    plain = bytes([plain_tag]) + body
    out = encipher(plain, control, CLIENT, ic, EK, AK, dedicated=dedicated, general=general)
    result = decipher(out, CLIENT, EK, AK, required=control)
    assert (result.apdu, result.invocation_counter, result.dedicated) == (plain, ic, dedicated)
    assert decode_ciphered(out).to_bytes() == out


# Sessions: a client and a server joined in memory.


def _pair(policy: SecurityControl = AUTHENTICATED_ENCRYPTED) -> tuple[CipheringSession, ...]:
    keys = KeySet(EK, AK, broadcast_ek=BROADCAST, dedicated_ek=DEDICATED)
    client = CipheringSession(SecurityContext(keys, CLIENT, SERVER), policy, OutgoingCounter(10))
    server = CipheringSession(SecurityContext(keys, SERVER, CLIENT), policy, OutgoingCounter(500))
    return client, server


def test_session_counts_and_refuses_replay() -> None:
    client, server = _pair()
    first = client.encipher(GET)
    second = client.encipher(GET)
    assert CipheredApdu.from_bytes(first).invocation_counter == 10
    assert CipheredApdu.from_bytes(second).invocation_counter == 11
    assert client.outgoing.value == 12
    assert server.decipher(first).apdu == GET
    assert server.decipher(second).apdu == GET
    assert server.incoming.last == 11
    with pytest.raises(SecurityError, match="replayed"):
        server.decipher(first)
    with pytest.raises(SecurityError, match="replayed"):
        server.decipher(second)


def test_tampered_apdu_does_not_move_the_counter() -> None:
    client, server = _pair()
    out = bytearray(client.encipher(GET))
    out[-1] ^= 0x80
    with pytest.raises(SecurityError):
        server.decipher(bytes(out))
    assert server.incoming.last is None
    out[-1] ^= 0x80
    assert server.decipher(bytes(out)).apdu == GET  # the genuine one still passes
    assert server.incoming.last == 10


def test_session_refuses_downgrade() -> None:
    client, server = _pair(AUTHENTICATED_ENCRYPTED)
    weak, _ = _pair(AUTHENTICATED)
    with pytest.raises(SecurityError, match="below the required"):
        server.decipher(weak.encipher(GET))
    assert server.incoming.last is None
    assert client.decipher(server.encipher(bytes.fromhex("c4 01 c1 00 09 00"))).apdu[0] == 0xC4


def test_session_dedicated_key() -> None:
    client, server = _pair()
    out = client.encipher(GET, dedicated=True)
    assert out[0] == 0xD0
    assert server.decipher(out).dedicated is True
    with pytest.raises(SecurityError):  # not under the global key
        decipher(out, CLIENT, EK, AK)
    assert decipher(out, CLIENT, DEDICATED, AK).apdu == GET


def test_session_broadcast_key() -> None:
    policy = SecurityControl(0, True, True, broadcast=True)
    client, server = _pair(policy)
    out = client.encipher(GET)
    assert decipher(out, CLIENT, BROADCAST, AK).control == policy
    assert server.decipher(out).apdu == GET


def test_session_without_dedicated_key() -> None:
    ctx = SecurityContext(KeySet(EK, AK), CLIENT, SERVER)
    session = CipheringSession(ctx, AUTHENTICATED_ENCRYPTED)
    with pytest.raises(SecurityError, match="no dedicated encryption key"):
        session.encipher(GET, dedicated=True)
    assert session.outgoing.value == 0  # no IC spent


def test_session_with_apdu_objects() -> None:
    from openamr.apdu import decode_apdu

    request = decode_apdu(GET)
    client, server = _pair()
    out = client.encipher_apdu(request)
    assert out[0] == 0xC8
    apdu, result = server.decipher_apdu(out)
    assert apdu == request
    assert result.invocation_counter == 10


def test_framing_is_apdu_ciphered() -> None:
    """What we cipher is an apdu/ciphered.py object, and what it frames we decipher."""
    from openamr.apdu import decode_apdu

    glo = encipher(GET, AUTHENTICATED_ENCRYPTED, SERVER, 7, EK, AK)
    theirs = decode_apdu(glo)
    assert isinstance(theirs, CipheredApdu)
    assert int(theirs.tag) == 0xC8 and theirs.invocation_counter == 7
    assert theirs.security_control == AUTHENTICATED_ENCRYPTED.format()
    assert theirs.to_bytes() == glo
    general = encipher(GET, AUTHENTICATED, SERVER, 8, EK, AK, general=True)
    parsed = decode_apdu(general)
    assert isinstance(parsed, GeneralGloCiphering)
    assert parsed.system_title == SERVER
    assert parsed.to_bytes() == general
    rebuilt = GeneralGloCiphering(SERVER, theirs.ciphered_content).to_bytes()
    assert decipher(rebuilt, None, EK, AK).apdu == GET
