"""LLS: Low Level Security, authentication mechanism 1 (Green Book 9.2.2.2.2).

The client sends its secret (the password) as the AARQ calling-authentication-value;
the server compares it with the secret of that association. The comparison takes
the same time whatever the secret, so timing does not leak how much of it matched:
both sides are hashed first (hiding the length) and compared with
``hmac.compare_digest``.

A password can be guessed by trying, so a server slows guessing down the way meters
do (IDIS and DSMR meters: a few free attempts, then a delay that doubles with each
further failure, then a lockout window that the log-book records; the Green Book
9.2.2.2.2 leaves the policy to the implementation). :class:`LlsGuard` is that
policy, sans-IO: every call takes ``now`` (seconds, any monotonic origin)::

    failures   1  2  3 | 4   5   6   7   8   9 | 10
    next try   now     | +1  +2  +4  +8  +16 +32 | +900 (lockout: on_lockout())

An attempt that comes before its time is refused without looking at the password,
so at most ``lockout_failures`` passwords are checked per lockout window.

The same guard counts HLS failures (Green Book 9.2.7.4): a pass 3 whose f(StoC)
does not verify, or a ciphered InitiateRequest that does not authenticate, is a
wrong password; a good pass 3 resets the count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def check_secret(received: bytes, expected: bytes) -> bool:
    """True when ``received`` equals ``expected``, compared in constant time."""
    import hashlib  # and hmac: OpenSSL, loaded by the first check, not by every client
    import hmac

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


@dataclass(frozen=True)
class LockoutPolicy:
    """How LLS guessing is slowed: ``free_failures`` consecutive failures cost nothing,
    each further one makes the next attempt wait ``first_delay`` s, doubling up to
    ``max_delay``; ``lockout_failures`` in a row lock LLS for ``lockout`` s."""

    free_failures: int = 3
    first_delay: float = 1.0
    max_delay: float = 60.0
    lockout_failures: int = 10
    lockout: float = 900.0

    def __post_init__(self) -> None:
        if not 0 <= self.free_failures < self.lockout_failures:
            raise ValueError("free failures must be fewer than the failures that lock out")
        if min(self.first_delay, self.max_delay, self.lockout) < 0:
            raise ValueError("delays cannot be negative")


class LlsGuard:
    """The failures of one association's LLS, across connections (module docstring).

    ``on_lockout`` is called when a lockout begins (a meter logs it)."""

    __slots__ = ("_failures", "_not_before", "on_lockout", "policy")

    def __init__(
        self,
        policy: LockoutPolicy | None = None,
        on_lockout: Callable[[], object] | None = None,
    ) -> None:
        self.policy = policy if policy is not None else LockoutPolicy()
        self.on_lockout = on_lockout
        self._failures = 0
        self._not_before = float("-inf")

    @property
    def failures(self) -> int:
        """Consecutive failures since the last success or lockout."""
        return self._failures

    def wait(self, now: float) -> float:
        """Seconds before an attempt will be checked (0: check it now)."""
        return max(0.0, self._not_before - now)

    def failed(self, now: float) -> None:
        p = self.policy
        self._failures += 1
        if self._failures >= p.lockout_failures:
            self._failures, self._not_before = 0, now + p.lockout
            if self.on_lockout is not None:
                self.on_lockout()
        elif self._failures > p.free_failures:
            delay = p.first_delay * 2 ** (self._failures - p.free_failures - 1)
            self._not_before = now + min(delay, p.max_delay)

    def succeeded(self) -> None:
        self._failures, self._not_before = 0, float("-inf")

    def __repr__(self) -> str:
        return f"LlsGuard(failures={self._failures})"
