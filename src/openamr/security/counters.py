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

The receiver's memory outlives an association: :class:`ReceivedCounters` keeps the
last IC accepted per sender system title and key, so that a request captured in one
association is refused in every later one (Green Book 9.2.7.2.4: "the lowest
acceptable value is set to the value of the IC verified plus 1"; nothing resets it
but a new key). Once IC 2**32 - 1 has been accepted nothing more is acceptable under
that key: the key must be changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

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

    @property
    def exhausted(self) -> bool:
        """The counter space of the key is used up: no IC is acceptable any more (the
        expected IC does not fit the Unsigned32 of an ExceptionResponse)."""
        return self.expected > MAX_IC


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

    @property
    def exhausted(self) -> bool:
        """IC 2**32 - 1 was accepted: nothing more is, until the key changes."""
        return self._last == MAX_IC

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


def key_fingerprint(key: bytes) -> str:
    """A name for a key that does not reveal it (HMAC-SHA-256 under a fixed label,
    64 bits): the memory of counters is kept per key, and the key never is."""
    import hashlib  # and hmac: OpenSSL, loaded by the first key named, not by every client
    import hmac

    return hmac.new(b"openamr invocation counter", bytes(key), hashlib.sha256).hexdigest()[:16]


class ReceivedCounters:
    """The last IC accepted per (sender system title, key), across associations.

    ``counter(title, key)`` gives the one :class:`IncomingCounter` of that pair (the
    same object every time, so an association's accepts land here); ``saved`` and
    :meth:`snapshot` carry it to and from non-volatile memory as
    ``{"<title hex>/<key fingerprint>": last}``."""

    __slots__ = ("_counters",)

    def __init__(self, saved: Mapping[str, int] | None = None) -> None:
        self._counters: dict[str, IncomingCounter] = {
            name: IncomingCounter(last) for name, last in (saved or {}).items()
        }

    @staticmethod
    def name(title: bytes, key: bytes) -> str:
        return f"{bytes(title).hex()}/{key_fingerprint(key)}"

    def counter(self, title: bytes, key: bytes) -> IncomingCounter:
        name = self.name(title, key)
        found = self._counters.get(name)
        if found is None:
            found = self._counters[name] = IncomingCounter()
        return found

    def snapshot(self) -> dict[str, int]:
        """What to persist: every pair with an accepted IC."""
        return {n: c.last for n, c in self._counters.items() if c.last is not None}

    def __iter__(self) -> Iterator[str]:
        return iter(self._counters)

    def __repr__(self) -> str:
        return f"ReceivedCounters({len(self._counters)} peers and keys)"
