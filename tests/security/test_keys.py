"""KeySet and SecurityContext: validation and key-hiding repr."""

from __future__ import annotations

import pytest

from openamr.errors import SecurityError
from openamr.security.keys import KeySet, SecurityContext

EK = bytes.fromhex("00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f")
AK = bytes.fromhex("d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 da db dc dd de df")
KEK = bytes.fromhex("a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af")
TITLE = bytes.fromhex("4d 4d 4d 00 00 bc 61 4e")


def test_repr_hides_every_key() -> None:
    keys = KeySet(ek=EK, ak=AK, kek=KEK, dedicated_ek=bytes(range(16, 32)))
    ctx = SecurityContext(keys, own_system_title=TITLE)
    for text in (repr(keys), str(keys), repr(ctx), str(ctx)):
        for key in (EK, AK, KEK, bytes(range(16, 32))):
            assert key.hex() not in text
            assert repr(key)[2:-1] not in text
    assert repr(keys) == (
        "KeySet(ek=<16 bytes>, ak=<16 bytes>, kek=<16 bytes>, broadcast_ek=None, "
        "dedicated_ek=<16 bytes>)"
    )
    assert "4d4d4d0000bc614e" in ctx.own_system_title.hex()


@pytest.mark.parametrize("field", ["ek", "ak", "kek", "broadcast_ek", "dedicated_ek"])
def test_key_lengths(field: str) -> None:
    args = {"ek": EK, "ak": AK, field: bytes(17)}
    with pytest.raises(SecurityError, match=f"{field} must be 16 bytes, got 17"):
        KeySet(**args)


def test_context_checks_titles_and_suite() -> None:
    keys = KeySet(EK, AK)
    with pytest.raises(SecurityError, match="own system title"):
        SecurityContext(keys, own_system_title=bytes(7))
    with pytest.raises(SecurityError, match="peer system title"):
        SecurityContext(keys, own_system_title=TITLE, peer_system_title=bytes(9))
    with pytest.raises(SecurityError, match="suite 1"):
        SecurityContext(keys, own_system_title=TITLE, suite=1)
    ctx = SecurityContext(keys, own_system_title=TITLE).with_peer(bytes(8))
    assert ctx.peer_system_title == bytes(8)
    assert keys.with_dedicated(KEK).dedicated_ek == KEK


def test_frozen() -> None:
    keys = KeySet(EK, AK)
    with pytest.raises(AttributeError):
        keys.ek = AK  # type: ignore[misc]
