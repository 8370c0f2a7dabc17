"""The IEC 62056-47 wrapper (DLMS UA 1000-2 "Green Book", 7.3.3, "The wrapper
protocol data unit"): the framing of DLMS APDUs over TCP and UDP.

Every APDU is preceded by an 8-byte header, all fields big-endian::

    +---------+--------------+-------------------+---------+-----------+
    | version | source wPort | destination wPort | length  |   APDU    |
    |  u16    |     u16      |        u16        |  u16    | length B  |
    | 0x0001  |              |                   |         |           |
    +---------+--------------+-------------------+---------+-----------+

The wPorts are the client SAP and the server logical device address (for example
client 0x0010 public, server 0x0001 management logical device).

:class:`WrapperConnection` is sans-IO: :meth:`~WrapperConnection.receive_data`
takes the bytes a read returned (any cut: a header split over two reads, several
APDUs in one read) and returns one :class:`ApduReceived` per complete APDU.

An APDU longer than ``max_apdu_size`` (the receiver's max receive PDU size, which
the AARE told the client) becomes :class:`ApduTooLong` as soon as its header is
read; its body is skipped as it arrives, never buffered, and the stream stays in
step, so the server answers it (an EXCEPTION-Response pdu-too-long, Green Book 9.5)
instead of closing without a word. A header with a version other than 0x0001
cannot be resynchronised (there is no flag to hunt for): it becomes one
:class:`WrapperFailed` event, the connection stops parsing, and **the adapter must
then drop the TCP connection**. Nothing here raises on peer input.
"""

from __future__ import annotations

import struct

from openamr.codec.record import record
from openamr.errors import EncodeError, LocalProtocolError

#: The only version of the wrapper header (Green Book 7.3.3.2).
WRAPPER_VERSION = 0x0001
HEADER = struct.Struct(">HHHH")
#: Default refusal threshold for one APDU (the length field allows 65535).
DEFAULT_MAX_APDU_SIZE = 0xFFFF


@record
class ApduReceived:
    """A complete APDU arrived from ``source`` wPort for ``destination`` wPort."""

    source: int
    destination: int
    payload: bytes


@record
class WrapperFailed:
    """The byte stream cannot be framed any more; drop the connection.

    ``offset`` counts bytes from the start of the stream to the bad header.
    """

    offset: int
    reason: str


@record
class ApduTooLong:
    """An APDU of ``length`` bytes, above ``max_apdu_size``: its body is skipped."""

    source: int
    destination: int
    length: int


WrapperEvent = ApduReceived | ApduTooLong | WrapperFailed


def encode_wrapper(source: int, destination: int, payload: bytes) -> bytes:
    """One wrapper PDU: the 8-byte header followed by ``payload``."""
    if not 0 <= source <= 0xFFFF or not 0 <= destination <= 0xFFFF:
        raise EncodeError(f"wPort out of range: source {source}, destination {destination}")
    if len(payload) > 0xFFFF:
        raise EncodeError(f"APDU of {len(payload)} bytes does not fit the u16 length field")
    return HEADER.pack(WRAPPER_VERSION, source, destination, len(payload)) + payload


class WrapperConnection:
    """Buffers a TCP byte stream and cuts it into wrapper PDUs (both roles alike)."""

    __slots__ = ("_buffer", "_consumed", "_failed", "_skip", "max_apdu_size")

    def __init__(self, max_apdu_size: int = DEFAULT_MAX_APDU_SIZE) -> None:
        if not 0 < max_apdu_size <= 0xFFFF:
            raise ValueError(f"max_apdu_size must be 1..65535, not {max_apdu_size}")
        self.max_apdu_size = max_apdu_size
        self._buffer = bytearray()
        self._consumed = 0
        self._failed = False
        self._skip = 0  # body bytes of a too-long APDU still to come

    @property
    def failed(self) -> bool:
        """True once a :class:`WrapperFailed` was reported; input is then ignored."""
        return self._failed

    @property
    def skipping(self) -> int:
        """Bytes of a too-long APDU's body still to be skipped."""
        return self._skip

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete APDU."""
        return len(self._buffer)

    def receive_data(self, data: bytes) -> list[WrapperEvent]:
        """Feed bytes as read from the socket; return the events they complete."""
        if self._failed:
            return []
        if self._skip:
            skipped = min(self._skip, len(data))
            self._skip -= skipped
            self._consumed += skipped
            data = data[skipped:]
        self._buffer += data
        events: list[WrapperEvent] = []
        while len(self._buffer) >= HEADER.size and not self._skip:
            event = self._next_event()
            if event is None:
                break
            events.append(event)
            if isinstance(event, WrapperFailed):
                break
        return events

    def _next_event(self) -> WrapperEvent | None:
        version, source, destination, length = HEADER.unpack_from(self._buffer)
        if version != WRAPPER_VERSION:
            return self._fail(f"wrapper version 0x{version:04x}, expected 0x0001")
        if length > self.max_apdu_size:
            body = min(length, len(self._buffer) - HEADER.size)
            del self._buffer[: HEADER.size + body]
            self._consumed += HEADER.size + body
            self._skip = length - body
            return ApduTooLong(source, destination, length)
        end = HEADER.size + length
        if len(self._buffer) < end:
            return None
        payload = bytes(self._buffer[HEADER.size : end])
        del self._buffer[:end]
        self._consumed += end
        return ApduReceived(source, destination, payload)

    def _fail(self, reason: str) -> WrapperFailed:
        self._failed = True
        self._buffer.clear()
        return WrapperFailed(self._consumed, reason)

    def send(self, source: int, destination: int, payload: bytes) -> bytes:
        """The bytes to write for one APDU from ``source`` to ``destination``."""
        if len(payload) > self.max_apdu_size:
            raise LocalProtocolError(
                f"APDU of {len(payload)} bytes above the maximum {self.max_apdu_size}"
            )
        return encode_wrapper(source, destination, payload)

    def get_timer(self) -> float | None:
        """The wrapper has no timers (TCP carries them); always ``None``."""
        return None

    def handle_timer(self, now: float) -> list[WrapperEvent]:
        """Nothing to do: present for the uniform sans-IO interface."""
        return []
