"""Invocation counters (Green Book 9.2.7.2.4 and 9.2.5: the IV's invocation field).

An IV (system title || IC) must never repeat under one key, so the sender's IC
increases with every ciphered APDU and may not wrap: once 2**32 - 1 has been used
the key must be changed. The receiver accepts an IC only if it is greater than the
last one it accepted from that peer: anything else is a replay.

Both counters expose their state (``value`` / ``last``) and take it back in their
constructor, so a meter commits it to non-volatile storage before acting::

    out = OutgoingCounter(saved)        inc = IncomingCounter(saved_last)
    ic = out.next()                     inc.check(ic)   # before deciphering
                                        ... unprotect ...
                                        inc.accept(ic)  # only once the tag verified
"""

from __future__ import annotations

from openamr.errors import SecurityError

MAX_IC = 0xFFFF_FFFF


class OutgoingCounter:
    """The IC of what we send: ``next()`` returns the IC to use and moves on."""

    __slots__ = ("_value",)

    def __init__(self, value: int = 0) -> None:
        if not 0 <= value <= MAX_IC + 1:
            raise SecurityError(f"invocation counter {value} is out of range")
        self._value = value

    @property
    def value(self) -> int:
        """The next IC to be used (MAX_IC + 1 once exhausted): persist this."""
        return self._value

    @property
    def exhausted(self) -> bool:
        return self._value > MAX_IC

    def next(self) -> int:
        if self._value > MAX_IC:
            raise SecurityError("invocation counter exhausted: the key must be changed")
        ic = self._value
        self._value += 1
        return ic

    def __repr__(self) -> str:
        return f"OutgoingCounter(value={self._value})"


class ReplayError(SecurityError):
    """A received invocation counter is not above the last accepted one; ``expected``
    is the least counter that would be accepted (ExceptionResponse carries it)."""

    def __init__(self, received: int, last: int) -> None:
        super().__init__(f"replayed invocation counter: received {received}, last accepted {last}")
        self.received, self.expected = received, last + 1


class IncomingCounter:
    """The last IC accepted from a peer; ``None`` until the first one."""

    __slots__ = ("_last",)

    def __init__(self, last: int | None = None) -> None:
        if last is not None and not 0 <= last <= MAX_IC:
            raise SecurityError(f"invocation counter {last} is out of range")
        self._last = last

    @property
    def last(self) -> int | None:
        """The last accepted IC: persist this."""
        return self._last

    def check(self, ic: int) -> None:
        """Raise SecurityError unless ``ic`` is greater than the last accepted IC."""
        if not 0 <= ic <= MAX_IC:
            raise SecurityError(f"invocation counter {ic} is not a uint32")
        if self._last is not None and ic <= self._last:
            raise ReplayError(ic, self._last)

    def accept(self, ic: int) -> None:
        """Check ``ic`` and record it; call only once the message authenticated."""
        self.check(ic)
        self._last = ic

    def __repr__(self) -> str:
        return f"IncomingCounter(last={self._last})"
