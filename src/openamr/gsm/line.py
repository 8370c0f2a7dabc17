"""A circuit-switched data line on a stepped clock: the bytes take the time they take.

A GSM CSD call carries an asynchronous character stream at 9600 bit/s (3GPP TS 27.007
+CBST 7 "9600 bps V.32"; TS 43.010 transparent bearer); each octet costs a start bit,
8 data bits and a stop bit, so 10 bit times: 960 octets/s. One :class:`CsdLine` is one
direction of a call::

    send(data, now)        the octets queue behind those already on the line
    receivable(now)        the octets whose last bit arrived by ``now`` (each once)
    next_arrival()         when the next octet will be complete (None: nothing queued)

Octet ``k`` of a send that starts at ``t0`` (``now``, or when the line frees) arrives at
``t0 + latency + (k + 1) * octet_s``. :meth:`theoretical_seconds` is the line's minimum
for ``n`` octets, the figure a benchmark compares a reading against.
"""

from __future__ import annotations

import math
from collections import deque

#: float slack when comparing instants computed by different sums
EPSILON = 1e-9


class CsdLine:
    """One direction of a CSD call, paced."""

    def __init__(self, bit_rate: int = 9600, bits_per_octet: int = 10, latency_s: float = 0.0):
        if bit_rate <= 0 or bits_per_octet <= 0 or latency_s < 0:
            raise ValueError("a line needs a positive bit rate and bits per octet")
        self.bit_rate, self.bits_per_octet, self.latency_s = bit_rate, bits_per_octet, latency_s
        self.octet_s = bits_per_octet / bit_rate
        self._queue: deque[tuple[float, bytes]] = deque()  # (start of its first octet, data)
        self._taken = 0  # octets of the head chunk already returned
        self._free_at = -math.inf  # when the sender's side is free again
        self.sent = self.received = 0

    def theoretical_seconds(self, n_octets: int) -> float:
        """The time ``n_octets`` take on this line, at least."""
        return n_octets * self.octet_s

    def send(self, data: bytes, now: float) -> float:
        """Queue ``data``; the instant its last octet will have arrived."""
        if not data:
            return max(now, self._free_at) + self.latency_s
        start = max(now, self._free_at)
        self._queue.append((start, bytes(data)))
        self._free_at = start + len(data) * self.octet_s
        self.sent += len(data)
        return self._free_at + self.latency_s

    def receivable(self, now: float) -> bytes:
        """The octets complete by ``now`` not returned before."""
        out = bytearray()
        while self._queue:
            start, data = self._queue[0]
            done = math.floor((now - self.latency_s - start) / self.octet_s + EPSILON)
            done = min(len(data), max(0, done))
            if done <= self._taken:
                break
            out += data[self._taken : done]
            if done < len(data):
                self._taken = done
                break
            self._queue.popleft()
            self._taken = 0
        self.received += len(out)
        return bytes(out)

    def next_arrival(self) -> float | None:
        """When the next octet not yet returned is complete (None: nothing queued)."""
        if not self._queue:
            return None
        start, _ = self._queue[0]
        return start + self.latency_s + (self._taken + 1) * self.octet_s

    def pending(self) -> int:
        """Octets sent and not yet returned."""
        return self.sent - self.received

    def idle_at(self) -> float:
        """When everything sent so far will have arrived."""
        return self._free_at + self.latency_s

    def clear(self) -> None:
        """Drop what is on the line (the call ended)."""
        self._queue.clear()
        self._taken = 0
        self.received = self.sent
