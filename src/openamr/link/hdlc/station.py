"""What the primary and the secondary station share (IEC 62056-46 6.4 / Green Book
8.4.4-8.4.5): events, timeouts, the LLC header, sequence numbers, the window,
segmentation and reassembly, and the frame splitter with its inter-octet timer.

Both stations are sans-IO. ``receive_data(data, now)`` returns events; every frame
a station wants to write collects in an outbox that ``data_to_send()`` drains
(``send_data``, ``connect`` and ``disconnect`` return it directly);
``get_timer()`` says when ``handle_timer(now)`` is due. ``now`` is any monotonic
clock in seconds.

LLC (Green Book 8.3.2, IEC 62056-46 annex): every information field that carries
a DLMS APDU starts with the LLC header ``E6 E6 00`` from the client and
``E6 E7 00`` from the server. **The stations add and strip it**: ``send_data`` and
``DataReceived`` carry bare APDUs; a message without the right header is
dropped with a :class:`FrameDiscarded` event.

Sequence numbers are modulo 8. A station keeps the I frames it sent until the
peer's N(R) acknowledges them; whatever a poll or a final frame leaves
unacknowledged is sent again (go-back-N), the only retransmission NRM needs.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from openamr.link.hdlc.address import Address
from openamr.link.hdlc.frame import (
    MAX_FRAME_LENGTH,
    Control,
    Frame,
    FrameSplitter,
    InvalidFrame,
    Kind,
)
from openamr.link.hdlc.params import HdlcParameters

LLC_COMMAND = bytes.fromhex("e6 e6 00")
LLC_RESPONSE = bytes.fromhex("e6 e7 00")
#: Bytes of a frame besides its information field, at most (4-byte addresses).
FRAME_OVERHEAD = 2 + 4 + 4 + 1 + 2 + 2


@dataclass(frozen=True, slots=True)
class Connected:
    """The link is up (SNRM/UA done) with these negotiated parameters (own view)."""

    client_address: int
    params: HdlcParameters


@dataclass(frozen=True, slots=True)
class DataReceived:
    """A complete, reassembled information field, the LLC header stripped."""

    client_address: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link is down: DISC, DM, FRMR, inactivity or no response."""

    client_address: int
    reason: str


@dataclass(frozen=True, slots=True)
class MessageTooLong:
    """A message longer than ``max_message`` arrived whole (its frames were
    acknowledged, its bytes not kept): the application answers it (Green Book 9.5:
    EXCEPTION-Response pdu-too-long), so the client is not left waiting."""

    client_address: int
    length: int


@dataclass(frozen=True, slots=True)
class FrameDiscarded:
    """A frame was dropped (silently on the line); for logs and tests only."""

    reason: str


HdlcEvent = Connected | DataReceived | MessageTooLong | Disconnected | FrameDiscarded


#: The longest APDU (the u16 max PDU size of the Green Book) with its LLC header.
MAX_MESSAGE = len(LLC_COMMAND) + 0xFFFF


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Link timers in seconds (HDLC setup, class 23, and the primary's poll timer).

    ``response`` is the primary's allowance for the peer's turnaround and latency;
    the time the line itself needs is added from ``baud`` (0: unknown or fast, as on
    TCP): the primary waits ``response`` plus the transmission time of what it sent
    before it polls again, and whatever it receives restarts the wait (plus one
    frame's transmission time): a long window on a slow line is timed frame by frame
    (:meth:`line_time`). ``inter_octet`` is class 23's inter-octet time-out
    (default 25 ms; a station built from an HDLC setup object takes its value);
    ``inactivity`` 0 means none. ``max_message`` bounds a reassembled message.
    """

    response: float = 2.0
    inactivity: float = 120.0
    inter_octet: float = 0.5
    max_retries: int = 3
    max_message: int = MAX_MESSAGE
    baud: int = 0

    def line_time(self, octets: int) -> float:
        """Seconds the line takes to carry ``octets`` (10 bits each: start, 8 data,
        stop); 0 when the line speed is unknown."""
        return octets * 10 / self.baud if self.baud > 0 else 0.0


class _Station:
    """Sequence numbers, window, segmentation, reassembly and framing."""

    def __init__(self, params: HdlcParameters, timeouts: Timeouts, llc_out: bytes) -> None:
        self.capability = params
        self.params = HdlcParameters()
        self.timeouts = timeouts
        self._llc_out = llc_out
        self._llc_in = LLC_RESPONSE if llc_out == LLC_COMMAND else LLC_COMMAND
        limit = max(params.max_info_rx, params.max_info_tx) + FRAME_OVERHEAD
        self._splitter = FrameSplitter(min(limit, MAX_FRAME_LENGTH))
        self._byte_at: float | None = None
        self._outbox = bytearray()
        #: information octets accepted in sequence so far: progress, for a watchdog
        self.received_octets = 0
        self._reset_sequence()

    def _reset_sequence(self) -> None:
        self.vs = 0
        self.vr = 0
        self._unacked: list[tuple[bytes, bool]] = []
        self._queue: deque[tuple[bytes, bool]] = deque()
        self._rx = bytearray()
        self._rx_length = 0  # of the message being reassembled, kept or not

    # -- bytes in and out ---------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> list[HdlcEvent]:
        """Feed bytes from the line; return the events they complete."""
        events: list[HdlcEvent] = []
        for item in self._splitter.feed(data):
            if isinstance(item, InvalidFrame):
                events.append(FrameDiscarded(item.reason))
            else:
                events += self.receive_frame(item, now)
        self._byte_at = now if self._splitter.pending else None
        return events

    def receive_frame(self, frame: Frame, now: float) -> list[HdlcEvent]:
        raise NotImplementedError

    def data_to_send(self) -> bytes:
        """Drain the frames waiting to be written."""
        out = bytes(self._outbox)
        self._outbox.clear()
        return out

    def _emit(self, frame: Frame) -> None:
        self._outbox += frame.encode()

    @property
    def _local(self) -> Address:
        raise NotImplementedError

    @property
    def _remote(self) -> Address:
        raise NotImplementedError

    def _send(self, kind: Kind, pf: bool, info: bytes = b"") -> None:
        self._emit(Frame(self._remote, self._local, Control(kind, pf, nr=self.vr), info))

    # -- timers ---------------------------------------------------------------------

    def _octet_deadline(self) -> float | None:
        if self._byte_at is None:
            return None
        return self._byte_at + self.timeouts.inter_octet

    def _octet_timer(self, now: float) -> list[HdlcEvent]:
        deadline = self._octet_deadline()
        if deadline is None or now < deadline:
            return []
        self._byte_at = None
        invalid = self._splitter.discard_partial()
        return [FrameDiscarded(invalid.reason)] if invalid else []

    # -- sending I frames -----------------------------------------------------------

    def _enqueue(self, payload: bytes) -> None:
        data = self._llc_out + payload
        size = self.params.max_info_tx
        for start in range(0, len(data), size):
            self._queue.append((data[start : start + size], start + size < len(data)))

    def _has_output(self) -> bool:
        return bool(self._unacked or self._queue)

    def _transmit(self) -> None:
        """Send the unacknowledged frames again, then new ones up to the window;
        the poll/final bit goes on the last."""
        first = (self.vs - len(self._unacked)) % 8
        while self._queue and len(self._unacked) < self.params.window_tx:
            self._unacked.append(self._queue.popleft())
        self.vs = (first + len(self._unacked)) % 8
        last = len(self._unacked) - 1
        for i, (info, more) in enumerate(self._unacked):
            control = Control(Kind.I, i == last, ns=(first + i) % 8, nr=self.vr)
            self._emit(Frame(self._remote, self._local, control, info, more))

    def _acknowledge(self, nr: int) -> bool:
        """Drop the frames N(R) acknowledges; False if N(R) is not a valid value."""
        acked = (nr - (self.vs - len(self._unacked))) % 8
        if acked > len(self._unacked):
            return False
        del self._unacked[:acked]
        return True

    # -- receiving I frames ---------------------------------------------------------

    def _accept_i(self, frame: Frame, client: int) -> list[HdlcEvent]:
        """An in-sequence I frame: advance V(R), reassemble; the message if complete."""
        self.vr = (self.vr + 1) % 8
        self.received_octets += len(frame.information)
        self._rx_length += len(frame.information)
        if self._rx_length <= self.timeouts.max_message:
            self._rx += frame.information
        else:
            self._rx.clear()
        if frame.segmented:
            return []
        message, length = bytes(self._rx), self._rx_length
        self._rx.clear()
        self._rx_length = 0
        if length > self.timeouts.max_message:
            return [MessageTooLong(client, length - len(self._llc_in))]
        if not message.startswith(self._llc_in):
            expected = self._llc_in.hex(" ")
            return [FrameDiscarded(f"LLC header {message[:3].hex(' ')}, not {expected}")]
        return [DataReceived(client, message[3:])]
