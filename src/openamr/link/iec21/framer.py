"""Cutting the byte stream of the optical port into IEC 62056-21 messages.

The framer tolerates partial input (bytes arrive one by one at 300 Bd), garbage between
messages (line noise, the NUL wake-up sequence of battery devices, an echo of our own
transmission) and parity bits left in bit 7 by a port opened 8N1 instead of 7E1. It never
raises: a block with a wrong BCC is a :class:`BadBcc` item (the receiver answers NAK), a
block whose BCC is right but whose content is not a message is :class:`Malformed`.

Start characters and where each message ends::

    '/'  ... CR LF                       request or identification
    ACK  V Z Y CR LF   (or ACK alone)    option select / acknowledgement
    NAK                                  repeat request
    SOH|STX ... ETX|EOT BCC              command, data or error message

Pull style (as h11): ``receive_data(bytes)``, then ``next_item()`` until it returns
None; :meth:`take_raw` hands the unconsumed bytes over (mode E: to the HDLC layer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openamr.errors import DecodeError
from openamr.link.iec21.messages import (
    ACK,
    NAK,
    SOH,
    STX,
    Ack,
    AckOptionSelect,
    CommandMessage,
    DataMessage,
    IdentificationMessage,
    Message,
    Nak,
    RequestMessage,
    bcc,
)

MAX_LINE = 128  # request/identification lines: address <= 32, ident <= 16 chars (6.3)
MAX_BLOCK = 65536  # a readout of a large register list; longer is noise
_STARTS = b"/" + bytes([ACK, NAK, SOH, STX])
_MASK = bytes(b & 0x7F for b in range(256))


@dataclass(frozen=True, slots=True)
class BadBcc:
    """A block whose BCC does not match: the receiver answers NAK (6.3.6)."""

    raw: bytes


@dataclass(frozen=True, slots=True)
class Malformed:
    """A complete frame that is not a valid message (BCC right, content wrong)."""

    raw: bytes
    reason: str


Item = Message | BadBcc | Malformed
_Step = tuple[int, Item | None] | None  # (bytes consumed, item) or None: need more data


class Framer:
    """Stream of bytes in, messages out; never raises on any input."""

    def __init__(self) -> None:
        self._buf = bytearray()  # parity stripped, for parsing
        self._raw = bytearray()  # as received, for the mode E hand-over
        self.expect_option_select = False
        self.discarded = 0

    def receive_data(self, data: bytes) -> None:
        self._raw += data
        self._buf += data.translate(_MASK)

    def take_raw(self) -> bytes:
        """Every byte not consumed yet, as received; the framer is left empty."""
        raw = bytes(self._raw)
        self._raw.clear()
        self._buf.clear()
        return raw

    @property
    def pending(self) -> bool:
        """Part of a message is buffered (the inter-character timer applies)."""
        return bool(self._buf)

    def next_item(self) -> Item | None:
        """The next complete message, bad block or malformed frame; None: need data."""
        while self._buf:
            self._skip_garbage()
            if not self._buf:
                return None
            step = _PARSERS[self._buf[0]](self)
            if step is None:
                return None
            consumed, item = step
            self._consume(consumed)
            if item is not None:
                return item
        return None

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        del self._raw[:n]

    def _skip_garbage(self) -> None:
        starts = [i for i in (self._buf.find(bytes([c])) for c in _STARTS) if i >= 0]
        skip = min(starts) if starts else len(self._buf)
        self.discarded += skip
        self._consume(skip)

    def _line(self) -> _Step:
        buf = self._buf
        end = buf.find(b"\r\n")
        restart = buf.rfind(b"/", 1, end if end >= 0 else len(buf))
        if restart > 0:  # a second '/' before the line end: the first was noise
            self.discarded += restart
            return restart, None
        if end < 0:
            return (1, None) if len(buf) > MAX_LINE else None
        raw = bytes(buf[: end + 2])
        decode = RequestMessage.decode if raw[1:2] == b"?" else IdentificationMessage.decode
        return len(raw), _decoded(decode, raw)

    def _ack(self) -> _Step:
        buf = self._buf
        if len(buf) == 1:
            return None if self.expect_option_select else (1, Ack())
        if not (0x30 <= buf[1] <= 0x39):
            return 1, Ack()
        if len(buf) < 6:
            return None
        if buf[4:6] != b"\r\n":
            return 1, Ack()
        raw = bytes(buf[:6])
        return 6, _decoded(AckOptionSelect.decode, raw)

    def _nak(self) -> _Step:
        return 1, Nak()

    def _block(self) -> _Step:
        buf = self._buf
        ends = [i for i in (buf.find(b"\x03"), buf.find(b"\x04")) if i >= 0]
        end = min(ends) if ends else -1
        limit = end if end >= 0 else len(buf)
        restart = _restart_at(buf, limit)
        if restart > 0:  # a new block started before this one ended
            self.discarded += restart
            return restart, None
        if end < 0 or end + 1 >= len(buf):
            return (1, None) if len(buf) > MAX_BLOCK else None
        raw = bytes(buf[: end + 2])
        if bcc(raw[1:-1]) != raw[-1]:
            return len(raw), BadBcc(raw)
        decode = CommandMessage.decode if raw[0] == SOH else DataMessage.decode
        return len(raw), _decoded(decode, raw)


def _restart_at(buf: bytearray, limit: int) -> int:
    """Where a new block starts inside ``buf[:limit]`` (0: none).

    A data block holds no SOH and no STX; a command block one STX, after ``SOH C D``.
    """
    soh = buf.rfind(b"\x01", 1, limit)
    stx = buf.rfind(b"\x02", 1, limit)
    if buf[0] == SOH and stx == 3:
        stx = -1
    return max(soh, stx, 0)


def _decoded(decode: Callable[[bytes], Message], raw: bytes) -> Item:
    try:
        return decode(raw)
    except DecodeError as e:
        return Malformed(raw, e.reason)


_PARSERS: dict[int, Callable[[Framer], _Step]] = {
    ord("/"): Framer._line,
    ACK: Framer._ack,
    NAK: Framer._nak,
    SOH: Framer._block,
    STX: Framer._block,
}
