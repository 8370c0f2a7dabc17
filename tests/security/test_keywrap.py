"""AES key wrap (RFC 3394) for key_transfer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.errors import SecurityError
from openamr.security.keywrap import KeyId, unwrap, wrap
from tests.security._vectors import vector_params

VECTORS = vector_params("rfc3394-*.hex") + vector_params("gurux-keywrap-*.hex")


@pytest.mark.parametrize("v", VECTORS)
def test_vectors_both_ways(v: dict[str, bytes]) -> None:
    assert wrap(v["kek"], v["key"]) == v["wrapped"]
    assert unwrap(v["kek"], v["wrapped"]) == v["key"]


@pytest.mark.parametrize("v", VECTORS)
def test_tampered_or_wrong_kek_is_refused(v: dict[str, bytes]) -> None:
    for i in range(len(v["wrapped"])):
        bad = bytearray(v["wrapped"])
        bad[i] ^= 0x01
        with pytest.raises(SecurityError, match="does not unwrap"):
            unwrap(v["kek"], bytes(bad))
    with pytest.raises(SecurityError):
        unwrap(bytes(16), v["wrapped"])


@pytest.mark.parametrize(
    ("kek", "data", "reason"),
    [
        (bytes(15), bytes(16), "key-encrypting key must be 16"),
        (bytes(16), bytes(32), "key to wrap must be 16"),
    ],
)
def test_wrap_lengths(kek: bytes, data: bytes, reason: str) -> None:
    with pytest.raises(SecurityError, match=reason):
        wrap(kek, data)


@pytest.mark.parametrize("size", [0, 16, 23, 25, 40])
def test_unwrap_lengths(size: int) -> None:
    with pytest.raises(SecurityError, match="expected 24"):
        unwrap(bytes(16), bytes(size))


def test_key_ids_match_security_setup() -> None:
    assert [int(k) for k in KeyId] == [0, 1, 2, 3]
    assert int(KeyId.MASTER_KEY) == 3


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.binary(min_size=16, max_size=16))
def test_round_trip(kek: bytes, key: bytes) -> None:
    wrapped = wrap(kek, key)
    assert len(wrapped) == 24
    assert unwrap(kek, wrapped) == key
