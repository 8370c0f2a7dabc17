"""LLS secret check."""

from __future__ import annotations

import pytest

from openamr.security.lls import LlsSecret, check_secret


@pytest.mark.parametrize(
    ("received", "expected", "ok"),
    [
        (b"12345678", b"12345678", True),
        (b"12345679", b"12345678", False),
        (b"1234567", b"12345678", False),
        (b"123456789", b"12345678", False),
        (b"", b"", True),
        (b"", b"00000000", False),
    ],
)
def test_check_secret(received: bytes, expected: bytes, ok: bool) -> None:
    assert check_secret(received, expected) is ok
    assert LlsSecret(expected).matches(received) is ok


def test_repr_hides_the_secret() -> None:
    secret = LlsSecret(b"ABCDEFGH")
    assert "ABCDEFGH" not in repr(secret)
    assert "ABCDEFGH" not in str(secret)
    assert repr(secret) == "LlsSecret(<8 bytes>)"
    assert secret.value == b"ABCDEFGH"
