"""HLS mechanism 5 (GMAC), passes 3 and 4, against the Green Book example."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import SecurityError
from openamr.security import hls
from tests.vector_files import Vectors, as_int

SECURITY = Vectors("security")

(VECTOR,) = SECURITY.fields("gb-hls-gmac.hex")
V: dict[str, bytes] = VECTOR.values[0]  # type: ignore[attr-defined]


def test_pass3_client_makes_f_stoc() -> None:
    f = hls.client_reply(
        V["stoc"], V["client_system_title"], as_int(V["client_ic"]), V["ek"], V["ak"]
    )
    assert f == V["f_stoc"]


def test_pass3_server_checks_f_stoc() -> None:
    ic = hls.server_check(V["f_stoc"], V["stoc"], V["client_system_title"], V["ek"], V["ak"])
    assert ic == as_int(V["client_ic"])


def test_pass4_server_makes_f_ctos() -> None:
    f = hls.server_reply(
        V["ctos"], V["server_system_title"], as_int(V["server_ic"]), V["ek"], V["ak"]
    )
    assert f == V["f_ctos"]


def test_pass4_client_checks_f_ctos() -> None:
    ic = hls.client_check(V["f_ctos"], V["ctos"], V["server_system_title"], V["ek"], V["ak"])
    assert ic == as_int(V["server_ic"])


@pytest.mark.parametrize("which", ["f_stoc", "f_ctos"])
def test_every_flipped_bit_is_refused(which: str) -> None:
    challenge, title = (
        (V["stoc"], V["client_system_title"])
        if which == "f_stoc"
        else (V["ctos"], V["server_system_title"])
    )
    good = V[which]
    assert hls.check_f(good, challenge, title, V["ek"], V["ak"]) >= 0
    for i in range(len(good) * 8):
        bad = bytearray(good)
        bad[i // 8] ^= 1 << (i % 8)
        with pytest.raises(SecurityError):
            hls.check_f(bytes(bad), challenge, title, V["ek"], V["ak"])


def test_wrong_side_title_challenge_or_key_is_refused() -> None:
    f, stoc, ek, ak = V["f_stoc"], V["stoc"], V["ek"], V["ak"]
    with pytest.raises(SecurityError):  # checked with the server's title instead
        hls.server_check(f, stoc, V["server_system_title"], ek, ak)
    with pytest.raises(SecurityError):  # the other challenge
        hls.server_check(f, V["ctos"], V["client_system_title"], ek, ak)
    with pytest.raises(SecurityError):
        hls.server_check(f, stoc, V["client_system_title"], ek, bytes(16))
    with pytest.raises(SecurityError):
        hls.server_check(f, stoc, V["client_system_title"], bytes(16), ak)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param(V["f_stoc"][:-1], "16 bytes", id="short"),
        pytest.param(V["f_stoc"] + b"\x00", "18 bytes", id="long"),
        pytest.param(b"\x30" + V["f_stoc"][1:], "security control 0x30", id="sc-0x30"),
        pytest.param(b"\x20" + V["f_stoc"][1:], "security control 0x20", id="sc-0x20"),
    ],
)
def test_malformed_reply(value: bytes, reason: str) -> None:
    with pytest.raises(SecurityError, match=reason):
        hls.server_check(value, V["stoc"], V["client_system_title"], V["ek"], V["ak"])


@pytest.mark.parametrize("size", [0, 7, 65])
def test_challenge_length(size: int) -> None:
    with pytest.raises(SecurityError, match="challenge"):
        hls.make_f(bytes(size), V["client_system_title"], 1, V["ek"], V["ak"])


@settings(max_examples=40, deadline=None)
@given(
    ctos=st.binary(min_size=8, max_size=64),
    stoc=st.binary(min_size=8, max_size=64),
    client_ic=st.integers(0, 2**32 - 1),
    server_ic=st.integers(0, 2**32 - 1),
    ek=st.binary(min_size=16, max_size=16),
    ak=st.binary(min_size=16, max_size=16),
)
def test_exchange_round_trip(
    ctos: bytes, stoc: bytes, client_ic: int, server_ic: int, ek: bytes, ak: bytes
) -> None:

    client, server = V["client_system_title"], V["server_system_title"]
    f_stoc = hls.client_reply(stoc, client, client_ic, ek, ak)
    assert hls.server_check(f_stoc, stoc, client, ek, ak) == client_ic
    f_ctos = hls.server_reply(ctos, server, server_ic, ek, ak)
    assert hls.client_check(f_ctos, ctos, server, ek, ak) == server_ic
