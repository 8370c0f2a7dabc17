"""AES key wrap (RFC 3394) for key_transfer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.codec import Array, Data, Enum, OctetString, Structure, Unsigned
from openamr.errors import DecodeError, SecurityError
from openamr.security.keywrap import KeyId, key_transfer_data, read_key_transfer, unwrap, wrap
from tests.vector_files import Vectors

SECURITY = Vectors("security")

VECTORS = SECURITY.fields("rfc3394-*.hex") + SECURITY.fields("gurux-keywrap-*.hex")


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


# key_transfer (Security setup method 2) parameter.

KEK = bytes.fromhex("d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df")
NEW_EK = bytes.fromhex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")
NEW_AK = bytes.fromhex("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af")


def test_key_transfer_data_layout_and_back() -> None:
    from openamr.codec import encode

    data = key_transfer_data(
        KEK, [(KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, NEW_EK), (KeyId.AUTHENTICATION_KEY, NEW_AK)]
    )
    wire = encode(data)
    # array[2] of structure{enum 0, octet-string[24]} ...; the wrapped EK is the gurux vector
    assert wire[:7] == bytes.fromhex("01 02 02 02 16 00 09")
    assert wire[7] == 24
    assert wire[8:32] == bytes.fromhex(
        "60 a1 a8 be 7b 03 31 8a 0a 2b 39 60 b4 b9 03 2c 05 7d 2c 20 c8 b5 a2 ef"
    )
    assert wire[32:37] == bytes.fromhex("02 02 16 02 09")
    assert NEW_EK.hex() not in wire.hex() and NEW_AK.hex() not in wire.hex()
    assert read_key_transfer(KEK, data) == [
        (KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, NEW_EK),
        (KeyId.AUTHENTICATION_KEY, NEW_AK),
    ]


def test_key_transfer_matches_gurux() -> None:
    gx = pytest.importorskip("gurux_dlms.objects.GXDLMSSecuritySetup")
    from types import SimpleNamespace

    from openamr.codec import decode, encode

    client = SimpleNamespace(method=lambda obj, index, data, kind: bytes(data))
    theirs = gx.GXDLMSSecuritySetup().globalKeyTransfer(
        client, KEK, [(0, NEW_EK), (2, NEW_AK), (3, NEW_EK)]
    )
    ours = key_transfer_data(
        KEK,
        [
            (KeyId.GLOBAL_UNICAST_ENCRYPTION_KEY, NEW_EK),
            (KeyId.AUTHENTICATION_KEY, NEW_AK),
            (KeyId.MASTER_KEY, NEW_EK),
        ],
    )
    assert encode(ours) == theirs
    assert [k for k, _ in read_key_transfer(KEK, decode(theirs))] == [0, 2, 3]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(Structure(()), "not an array", id="not-array"),
        pytest.param(Array([Enum(0)]), "not structure", id="not-structure"),
        pytest.param(Array([Structure((Enum(0),))]), "not structure", id="one-field"),
        pytest.param(
            Array([Structure((Unsigned(0), OctetString(bytes(24))))]),
            "not structure",
            id="unsigned-id",
        ),
        pytest.param(Array([Structure((Enum(4), OctetString(bytes(24))))]), "key_id 4", id="id"),
    ],
)
def test_read_key_transfer_refuses_shapes(data: Data, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        read_key_transfer(KEK, data)


def test_read_key_transfer_refuses_a_bad_wrap() -> None:
    data = key_transfer_data(KEK, [(KeyId.MASTER_KEY, NEW_AK)])
    with pytest.raises(SecurityError):
        read_key_transfer(bytes(16), data)
