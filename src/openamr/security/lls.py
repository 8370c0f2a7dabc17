"""LLS: Low Level Security, authentication mechanism 1 (Green Book 9.2.2.2.2).

The client sends its secret (the password) as the AARQ calling-authentication-value;
the server compares it with the secret of that association. The comparison takes
the same time whatever the secret, so timing does not leak how much of it matched:
both sides are hashed first (hiding the length) and compared with
``hmac.compare_digest``.
"""

from __future__ import annotations

import hashlib
import hmac


def check_secret(received: bytes, expected: bytes) -> bool:
    """True when ``received`` equals ``expected``, compared in constant time."""
    a = hashlib.sha256(bytes(received)).digest()
    b = hashlib.sha256(bytes(expected)).digest()
    return hmac.compare_digest(a, b)


class LlsSecret:
    """A stored LLS secret whose repr does not show it."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        self._secret = bytes(secret)

    def matches(self, received: bytes) -> bool:
        return check_secret(received, self._secret)

    @property
    def value(self) -> bytes:
        """The secret itself, for the client's AARQ (never log it)."""
        return self._secret

    def __repr__(self) -> str:
        return f"LlsSecret(<{len(self._secret)} bytes>)"

    __str__ = __repr__
