"""Suite 0 protect/unprotect: the Green Book vectors, tampering, hostile input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import DecodeError, SecurityError
from openamr.security.control_byte import (
    AUTHENTICATED,
    AUTHENTICATED_ENCRYPTED,
    ENCRYPTED,
    SecurityControl,
)
from openamr.security.suite0 import HEADER_LENGTH, TAG_LENGTH, gmac, protect, unprotect
from tests.vector_files import Vectors, as_int

SECURITY = Vectors("security")

GB = SECURITY.fields("gb-glo-*.hex")
GB_AUTHENTICATED = [p for p in GB if p.values[0]["sc"][0] & 0x10]  # type: ignore[attr-defined]
TITLE = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")
EK = bytes.fromhex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")
AK = bytes.fromhex("d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df")
PLAIN = bytes.fromhex("c0 01 00 00 08 00 00 01 00 00 ff 02 00")
POLICIES = [AUTHENTICATED, ENCRYPTED, AUTHENTICATED_ENCRYPTED]


@pytest.mark.parametrize("v", GB)
def test_protect_matches_green_book(v: dict[str, bytes]) -> None:
    control = SecurityControl.parse(v["sc"][0])
    content = protect(control, v["system_title"], as_int(v["ic"]), v["ek"], v["ak"], v["plaintext"])
    assert content == v["content"]


@pytest.mark.parametrize("v", GB)
def test_unprotect_green_book(v: dict[str, bytes]) -> None:
    control, ic, plain = unprotect(v["content"], v["system_title"], v["ek"], v["ak"])
    assert control.format() == v["sc"][0]
    assert ic == as_int(v["ic"])
    assert plain == v["plaintext"]


@pytest.mark.parametrize("v", GB_AUTHENTICATED)
def test_tamper_any_bit_fails(v: dict[str, bytes]) -> None:
    """One flipped bit anywhere in SH, C or T of an authenticated content is refused
    when the receiver holds the SC to its policy."""
    policy = SecurityControl.parse(v["sc"][0])
    content = v["content"]
    for i in range(len(content) * 8):
        bad = bytearray(content)
        bad[i // 8] ^= 1 << (i % 8)
        with pytest.raises(SecurityError):
            unprotect(bytes(bad), v["system_title"], v["ek"], v["ak"], required=policy)


def test_downgrade_to_encryption_only_needs_the_policy() -> None:
    """SC 0x30 -> 0x20 strips the tag check: without a policy it deciphers to garbage,
    with the policy it is refused."""
    content = protect(AUTHENTICATED_ENCRYPTED, TITLE, 1, EK, AK, PLAIN)
    downgraded = bytes([0x20]) + content[1:]
    control, _, garbage = unprotect(downgraded, TITLE, EK, AK)
    assert control == ENCRYPTED
    assert garbage[: len(PLAIN)] == PLAIN  # CTR keystream: same prefix, tag as junk
    with pytest.raises(SecurityError, match="below the required"):
        unprotect(downgraded, TITLE, EK, AK, required=AUTHENTICATED_ENCRYPTED)


@pytest.mark.parametrize(
    ("sc", "required", "ok"),
    [
        (0x30, AUTHENTICATED_ENCRYPTED, True),
        (0x30, AUTHENTICATED, True),
        (0x10, AUTHENTICATED, True),
        (0x10, ENCRYPTED, False),
        (0x20, AUTHENTICATED, False),
        (0x10, AUTHENTICATED_ENCRYPTED, False),
    ],
)
def test_required_policy(sc: int, required: SecurityControl, ok: bool) -> None:
    content = protect(SecurityControl.parse(sc), TITLE, 1, EK, AK, PLAIN)
    if ok:
        assert unprotect(content, TITLE, EK, AK, required=required)[2] == PLAIN
    else:
        with pytest.raises(SecurityError):
            unprotect(content, TITLE, EK, AK, required=required)


@pytest.mark.parametrize("control", POLICIES, ids=str)
def test_wrong_keys_or_title_fail(control: SecurityControl) -> None:
    content = protect(control, TITLE, 7, EK, AK, PLAIN)
    other = bytes(16)
    if not control.authentication:
        # no tag: a wrong key only yields garbage, which the caller's decoder refuses
        assert unprotect(content, TITLE, other, AK)[2] != PLAIN
        return
    for title, ek, ak in [(bytes(8), EK, AK), (TITLE, other, AK), (TITLE, EK, other)]:
        with pytest.raises(SecurityError):
            unprotect(content, title, ek, ak)


@pytest.mark.parametrize("sc", [0x10, 0x30])
def test_aad_is_bound(sc: int) -> None:
    """The SC is in the AAD: the same content under another authenticated SC fails."""
    content = protect(SecurityControl.parse(sc), TITLE, 1, EK, AK, PLAIN)
    bad = bytes([sc ^ 0x20]) + content[1:]
    with pytest.raises(SecurityError):
        unprotect(bad, TITLE, EK, AK)


def test_truncated_tag_is_twelve_bytes() -> None:
    content = protect(AUTHENTICATED_ENCRYPTED, TITLE, 1, EK, AK, PLAIN)
    assert len(content) == HEADER_LENGTH + len(PLAIN) + TAG_LENGTH


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "no security header", id="empty"),
        pytest.param(bytes.fromhex("30 00 00 00"), "no security header", id="short-header"),
        pytest.param(bytes.fromhex("30 00 00 00 01") + bytes(11), "too short", id="short-tag"),
        pytest.param(bytes.fromhex("31 00 00 00 01") + bytes(12), "suite 1", id="suite-1"),
        pytest.param(bytes.fromhex("b0 00 00 00 01") + bytes(12), "compressed", id="compressed"),
        pytest.param(bytes.fromhex("00 00 00 00 01") + bytes(12), "neither", id="unprotected"),
    ],
)
def test_unprotect_refuses(content: bytes, reason: str) -> None:
    with pytest.raises(SecurityError, match=reason):
        unprotect(content, TITLE, EK, AK)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        pytest.param({"system_title": bytes(7)}, "system title must be 8", id="title"),
        pytest.param({"ek": bytes(15)}, "encryption key must be 16", id="ek"),
        pytest.param({"ak": bytes(32)}, "authentication key must be 16", id="ak"),
        pytest.param({"invocation_counter": 2**32}, "not a uint32", id="ic-high"),
        pytest.param({"invocation_counter": -1}, "not a uint32", id="ic-negative"),
        pytest.param({"control": SecurityControl()}, "neither", id="no-protection"),
        pytest.param({"control": SecurityControl(2, True, True)}, "suite 2", id="suite"),
    ],
)
def test_protect_refuses(kwargs: dict[str, object], reason: str) -> None:
    args: dict[str, object] = {
        "control": AUTHENTICATED_ENCRYPTED,
        "system_title": TITLE,
        "invocation_counter": 1,
        "ek": EK,
        "ak": AK,
        "plaintext": PLAIN,
    }
    args.update(kwargs)
    with pytest.raises(SecurityError, match=reason):
        protect(**args)  # type: ignore[arg-type]


def test_errors_never_show_keys() -> None:
    content = protect(AUTHENTICATED_ENCRYPTED, TITLE, 1, EK, AK, PLAIN)
    wrong = bytes.fromhex("ab" * 16)
    with pytest.raises(SecurityError) as info:
        unprotect(content, TITLE, wrong, AK)
    text = str(info.value) + repr(info.value)
    for key in (EK, AK, wrong):
        assert key.hex() not in text.lower()
        assert repr(key) not in text


def test_gmac_equals_authentication_only_tag() -> None:
    content = protect(AUTHENTICATED, TITLE, 0x01234567, EK, AK, PLAIN)
    assert gmac(AUTHENTICATED, TITLE, 0x01234567, EK, AK, PLAIN) == content[-TAG_LENGTH:]


@pytest.mark.parametrize("control", [ENCRYPTED, AUTHENTICATED_ENCRYPTED, SecurityControl()])
def test_gmac_needs_authentication_only(control: SecurityControl) -> None:
    with pytest.raises(SecurityError):
        gmac(control, TITLE, 1, EK, AK, PLAIN)


keys = st.binary(min_size=16, max_size=16)


@settings(max_examples=60, deadline=None)
@given(
    control=st.sampled_from(POLICIES),
    broadcast=st.booleans(),
    title=st.binary(min_size=8, max_size=8),
    ic=st.integers(0, 2**32 - 1),
    ek=keys,
    ak=keys,
    plaintext=st.binary(max_size=600),
)
def test_round_trip(
    control: SecurityControl,
    broadcast: bool,
    title: bytes,
    ic: int,
    ek: bytes,
    ak: bytes,
    plaintext: bytes,
) -> None:

    control = SecurityControl(0, control.authentication, control.encryption, broadcast)
    content = protect(control, title, ic, ek, ak, plaintext)
    assert unprotect(content, title, ek, ak) == (control, ic, plaintext)
    if control.encryption and len(plaintext) >= 4:
        assert plaintext not in content


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_security_or_decode_error(data: bytes) -> None:
    try:
        control, _, _ = unprotect(data, TITLE, EK, AK)
    except (SecurityError, DecodeError):
        return
    # only an unauthenticated (encryption-only) content can pass without a key check
    assert not control.authentication
    assert control.encryption
