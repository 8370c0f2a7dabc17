"""The server's outgoing invocation counter, never reused across a crash
(Green Book 9.2.7.2.4: an IV, system title || IC, must never repeat under one key).

Committing every IC would cost one durable commit (an fsync) per ciphered APDU.
Instead the store keeps a *ceiling*, ``reserved_until``, with the invariant

    every IC ever handed out  <  the reserved_until committed in the store

``next()`` hands out ICs below the ceiling from memory; when it reaches the
ceiling it first commits a new one (IC + ``block``), durably, and only then
returns the IC. A crash at any moment leaves a committed ceiling above every IC
that left the meter, so after a restart the counter continues *from the ceiling*:
the ICs between the last one used and the ceiling are skipped, never reused::

    run 1:  ICs 1 .. 1437 used     ceiling 1001 -> 2001 (committed at IC 1001)
    kill -9
    run 2:  starts at 2001         ceiling 2001 -> 3001 (committed at IC 2001)

At most ``block`` ICs are lost per restart: with 1000, a 32-bit counter lasts
4.29 million restarts. The ceiling only moves up (:meth:`StateStore.advance`).

A reservation inside an open transaction is refused (LocalProtocolError): a
rollback would undo the ceiling after the IC had left. Cipher outside the
twin's transactions, or call :meth:`ReservedCounter.top_up` after each commit so
that ``next()`` finds room without writing.
"""

from __future__ import annotations

import contextlib

from openamr.errors import LocalProtocolError, SecurityError
from openamr.meter.state.store import StateStore, StateWriteError
from openamr.security.counters import MAX_IC, OutgoingCounter

#: The kv key of the server's ceiling (one per key set: use a new key on re-keying).
OUTGOING_IC = "ic/outgoing/reserved_until"
BLOCK = 1000


class ReservedCounter(OutgoingCounter):
    """An :class:`OutgoingCounter` whose every IC is reserved in ``store`` first.

    ``initial`` is the first IC of a fresh store (1: peers take 0 for a replay)."""

    __slots__ = ("_block", "_key", "_reserved", "_store")

    def __init__(
        self, store: StateStore, key: str = OUTGOING_IC, block: int = BLOCK, initial: int = 1
    ) -> None:
        if block < 1:
            raise ValueError(f"the reservation block must be positive, got {block}")
        ceiling = store.get(key)
        if ceiling is not None and (not isinstance(ceiling, int) or isinstance(ceiling, bool)):
            raise TypeError(f"kv {key!r} does not hold an invocation counter")
        start = initial if ceiling is None else max(ceiling, initial)
        super().__init__(start)
        self._store, self._key, self._block = store, key, block
        self._reserved = start  # nothing above ``start`` is reserved by this run yet

    @property
    def reserved_until(self) -> int:
        """The committed ceiling: every IC handed out is below it."""
        return self._reserved

    def next(self) -> int:
        if self.value >= self._reserved and not self.exhausted:
            self._reserve()
        return super().next()

    def top_up(self) -> None:
        """Reserve a new block when less than half of one is left (outside
        transactions: the moment to do the durable write); a store that takes no
        writes now is tried again at the next top-up or ``next()``."""
        if self._reserved - self.value < self._block // 2 + 1 and not self.exhausted:
            with contextlib.suppress(SecurityError):
                self._reserve()

    def _reserve(self) -> None:
        if self._store.in_transaction:
            raise LocalProtocolError(
                "an invocation counter reservation must commit on its own, not inside a transaction"
            )
        until = min(self.value + self._block, MAX_IC + 1)
        try:
            self._reserved = self._store.advance(self._key, until)
        except StateWriteError as e:
            # no IC leaves unreserved: nothing is ciphered until the store takes writes
            raise SecurityError(f"no invocation counter can be reserved: {e}") from None

    def __repr__(self) -> str:
        return f"ReservedCounter(value={self.value}, reserved_until={self._reserved})"
