"""Cross-checks with the test oracles gurux-dlms and dlms-cosem, both ways.

What they protect we unprotect (and reproduce byte for byte); what we protect they
unprotect to the same plaintext. Gurux's AES-GCM is its own implementation, which makes
it an independent oracle; dlms-cosem's uses the same ``cryptography`` primitive but
builds IV, AAD and tag on its own.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.security import hls
from openamr.security.control_byte import (
    AUTHENTICATED,
    AUTHENTICATED_ENCRYPTED,
    ENCRYPTED,
    SecurityControl,
)
from openamr.security.suite0 import protect, unprotect

gx_chip = pytest.importorskip("gurux_dlms.GXDLMSChippering")
gx_param = pytest.importorskip("gurux_dlms.AesGcmParameter")
gx_count = pytest.importorskip("gurux_dlms.CountType")
gx_security = pytest.importorskip("gurux_dlms.enums.Security")
gx_buffer = pytest.importorskip("gurux_dlms.GXByteBuffer")
gx_settings = pytest.importorskip("gurux_dlms.GXDLMSSettings")
gx_secure = pytest.importorskip("gurux_dlms.GXSecure")
gx_auth = pytest.importorskip("gurux_dlms.enums.Authentication")
dc_security = pytest.importorskip("dlms_cosem.security")

GLO_GET_REQUEST = 0xC8
POLICIES = [AUTHENTICATED, ENCRYPTED, AUTHENTICATED_ENCRYPTED]
keys = st.binary(min_size=16, max_size=16)
titles = st.binary(min_size=8, max_size=8)
ics = st.integers(0, 2**32 - 1)
# gurux writes the APDU length in one byte only below 128: keep plaintexts short
plaintexts = st.binary(min_size=1, max_size=100)
ORACLE = settings(max_examples=25, deadline=None)


def _strip_glo(apdu: bytes) -> bytes:
    """glo-APDU -> ciphered content: tag, A-XDR length, content."""
    assert apdu[0] == GLO_GET_REQUEST
    if apdu[1] < 0x80:
        assert apdu[1] == len(apdu) - 2
        return apdu[2:]
    n = apdu[1] & 0x7F
    assert int.from_bytes(apdu[2 : 2 + n], "big") == len(apdu) - 2 - n
    return apdu[2 + n :]


def gurux_protect(
    control: SecurityControl, title: bytes, ic: int, ek: bytes, ak: bytes, plain: bytes
) -> bytes:
    p = gx_param.AesGcmParameter(GLO_GET_REQUEST, title, ek, ak)
    p.security = gx_security.Security(control.format() & 0x30)
    p.invocationCounter = ic
    p.type_ = gx_count.CountType.PACKET
    return bytes(gx_chip.GXDLMSChippering.encryptAesGcm(p, plain))


def gurux_unprotect(apdu: bytes, title: bytes, ek: bytes, ak: bytes) -> tuple[int, int, bytes]:
    s = gx_settings.GXDLMSSettings(True, None)
    p = gx_param.AesGcmParameter(0, title, ek, ak)
    p.settings = s
    plain = gx_chip.GXDLMSChippering.decryptAesGcm(s, p, gx_buffer.GXByteBuffer(apdu))
    return int(p.security), p.invocationCounter, bytes(plain)


@ORACLE
@given(st.sampled_from(POLICIES), titles, ics, keys, keys, plaintexts)
def test_gurux_protects_we_unprotect(
    control: SecurityControl, title: bytes, ic: int, ek: bytes, ak: bytes, plain: bytes
) -> None:
    theirs = _strip_glo(gurux_protect(control, title, ic, ek, ak, plain))
    assert unprotect(theirs, title, ek, ak, required=control) == (control, ic, plain)
    assert protect(control, title, ic, ek, ak, plain) == theirs


@ORACLE
@given(st.sampled_from(POLICIES), titles, ics, keys, keys, plaintexts)
def test_we_protect_gurux_unprotects(
    control: SecurityControl, title: bytes, ic: int, ek: bytes, ak: bytes, plain: bytes
) -> None:
    content = protect(control, title, ic, ek, ak, plain)
    apdu = bytes([GLO_GET_REQUEST, len(content)]) + content
    assert gurux_unprotect(apdu, title, ek, ak) == (control.format(), ic, plain)


def test_gurux_refuses_our_tampered_authentication_only() -> None:
    title, ek, ak, plain = bytes(8), bytes(16), bytes(range(16)), b"\xc0\x01\x00"
    content = bytearray(protect(AUTHENTICATED, title, 9, ek, ak, plain))
    content[-1] ^= 1
    with pytest.raises(ValueError, match="Invalid tag"):
        gurux_unprotect(bytes([GLO_GET_REQUEST, len(content)]) + content, title, ek, ak)


@ORACLE
@given(titles, ics, keys, keys, plaintexts)
def test_dlms_cosem_both_ways(title: bytes, ic: int, ek: bytes, ak: bytes, plain: bytes) -> None:
    sc = dc_security.SecurityControlField(security_suite=0, authenticated=True, encrypted=True)
    theirs = dc_security.encrypt(sc, title, ic, ek, plain, ak)
    ours = protect(AUTHENTICATED_ENCRYPTED, title, ic, ek, ak, plain)
    assert ours[5:] == theirs  # dlms-cosem returns C || T, without SH
    assert unprotect(ours[:5] + theirs, title, ek, ak)[2] == plain
    assert dc_security.decrypt(sc, title, ic, ek, ours[5:], ak) == plain


@ORACLE
@given(st.binary(min_size=8, max_size=64), titles, ics, keys, keys)
def test_hls_gmac_against_both(
    challenge: bytes, title: bytes, ic: int, ek: bytes, ak: bytes
) -> None:
    ours = hls.make_f(challenge, title, ic, ek, ak)
    sc = dc_security.SecurityControlField(security_suite=0, authenticated=True)
    assert ours[5:] == dc_security.gmac(sc, title, ic, ek, ak, challenge)
    gx_settings_ = SimpleNamespace(authentication=gx_auth.Authentication.HIGH_GMAC)
    cipher = SimpleNamespace(blockCipherKey=ek, authenticationKey=ak, securitySuite=0)
    theirs = bytes(gx_secure.GXSecure.secure(gx_settings_, cipher, ic, challenge, title))
    assert ours == theirs
    assert hls.check_f(theirs, challenge, title, ek, ak) == ic


def test_gurux_keywrap_matches() -> None:
    from gurux_dlms.secure.GXDLMSSecureClient import GXDLMSSecureClient

    from openamr.security.keywrap import unwrap, wrap

    for seed in range(8):
        kek, key = bytes(range(seed, seed + 16)), bytes(range(100 + seed, 116 + seed))
        theirs = bytes(GXDLMSSecureClient.encrypt(kek, key))
        assert wrap(kek, key) == theirs
        assert unwrap(kek, theirs) == key


# Whole ciphered APDUs (security/ciphering.py).

TAGS = st.sampled_from([(0xC8, False, False), (0xD0, True, False), (0xDB, False, True)])


@ORACLE
@given(TAGS, st.sampled_from(POLICIES), titles, ics, keys, keys, plaintexts)
def test_gurux_ciphered_apdus_both_ways(
    tag: tuple[int, bool, bool],
    control: SecurityControl,
    title: bytes,
    ic: int,
    ek: bytes,
    ak: bytes,
    body: bytes,
) -> None:
    from openamr.security.ciphering import decipher, encipher

    apdu_tag, dedicated, general = tag
    plain = b"\xc0" + body
    p = gx_param.AesGcmParameter(apdu_tag, title, ek, ak)
    p.security = gx_security.Security(control.format())
    p.invocationCounter = ic
    p.type_ = gx_count.CountType.PACKET
    theirs = bytes(gx_chip.GXDLMSChippering.encryptAesGcm(p, plain))
    ours = encipher(plain, control, title, ic, ek, ak, dedicated=dedicated, general=general)
    assert ours == theirs
    result = decipher(theirs, title, ek, ak, required=control)
    assert (result.apdu, result.invocation_counter, result.dedicated) == (plain, ic, dedicated)
    assert gurux_unprotect(ours, title, ek, ak) == (control.format(), ic, plain)


@ORACLE
@given(titles, ics, keys, keys, st.binary(max_size=80))
def test_dlms_cosem_general_global_cipher_both_ways(
    title: bytes, ic: int, ek: bytes, ak: bytes, body: bytes
) -> None:
    from dlms_cosem.protocol.xdlms.general_global_cipher import GeneralGlobalCipher

    from openamr.security.ciphering import decipher, encipher

    plain = b"\x0f" + body  # a data-notification, the usual payload of general-glo
    ours = encipher(plain, AUTHENTICATED_ENCRYPTED, title, ic, ek, ak, general=True)
    parsed = GeneralGlobalCipher.from_bytes(ours)
    assert (parsed.system_title, parsed.invocation_counter) == (title, ic)
    assert parsed.to_plain_apdu(ek, ak) == plain
    sc = dc_security.SecurityControlField(security_suite=0, authenticated=True, encrypted=True)
    text = dc_security.encrypt(sc, title, ic, ek, plain, ak)
    theirs = GeneralGlobalCipher(title, sc, ic, text).to_bytes()
    assert theirs == ours
    assert decipher(theirs, title, ek, ak).apdu == plain
