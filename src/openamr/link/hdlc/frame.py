"""HDLC frames, frame format type 3 (IEC 62056-46 / Green Book 8.4.1, 8.4.3).

No byte stuffing: on asynchronous lines DLMS finds the end of a frame by its
length field, so 0x7E may occur inside a frame::

    7E | format (2) | dest (1,2,4) | src (1,2,4) | control | HCS (2) | info | FCS (2) | 7E
         1010 S LLL LLLLLLLL                                  ^ only with info

    format: type 3 (0xA), S = segmentation (more segments follow), L = 11-bit
    frame length: the bytes between the flags (format .. FCS included).

Control field, modulo 8 (ISO/IEC 13239; P/F = poll / final bit, 0x10)::

    I     N(R) P N(S) 0        RR   N(R) P/F 0001      RNR  N(R) P/F 0101
    SNRM  100 P 0011 (0x83)    DISC 010 P 0011 (0x43)  UI   000 P/F 0011 (0x03)
    UA    011 F 0011 (0x63)    DM   000 F 1111 (0x0F)  FRMR 100 F 0111 (0x87)

:class:`FrameSplitter` finds frames in a byte stream. Frames that cannot be
trusted (no opening or closing flag, impossible length, bad address field, HCS
or FCS error) come out as :class:`InvalidFrame` and are discarded silently by
the stations (Green Book 8.4.3.5: "invalid frames shall be ignored"); a well
framed frame with a control field we do not know decodes with
``Kind.UNKNOWN``: the secondary answers it with FRMR.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from openamr.errors import DecodeError, EncodeError
from openamr.link.hdlc.address import Address
from openamr.link.hdlc.fcs import check_sequence

FLAG = 0x7E
FORMAT_TYPE_3 = 0xA000
SEGMENTATION = 0x0800
MAX_FRAME_LENGTH = 0x07FF
PF = 0x10
#: format, one byte each of two addresses, control, FCS
MIN_FRAME_LENGTH = 7


class Kind(enum.Enum):
    """Frame types of the DLMS HDLC subset."""

    I = "I"  # noqa: E741 (the standard's name)
    RR = "RR"
    RNR = "RNR"
    SNRM = "SNRM"
    DISC = "DISC"
    UA = "UA"
    DM = "DM"
    FRMR = "FRMR"
    UI = "UI"
    UNKNOWN = "UNKNOWN"


_UNNUMBERED = {
    0x83: Kind.SNRM,
    0x43: Kind.DISC,
    0x63: Kind.UA,
    0x0F: Kind.DM,
    0x87: Kind.FRMR,
    0x03: Kind.UI,
}
_SUPERVISORY = {0x01: Kind.RR, 0x05: Kind.RNR}
_CODE = {kind: code for code, kind in (_UNNUMBERED | _SUPERVISORY).items()}


@dataclass(frozen=True, slots=True)
class Control:
    """A decoded control field; ``raw`` keeps the byte of an UNKNOWN one."""

    kind: Kind
    pf: bool = False
    ns: int = 0
    nr: int = 0
    raw: int = 0

    def encode(self) -> int:
        pf = PF if self.pf else 0
        if self.kind is Kind.I:
            return (self.nr & 7) << 5 | pf | (self.ns & 7) << 1
        if self.kind in _SUPERVISORY.values():
            return (self.nr & 7) << 5 | pf | _CODE[self.kind]
        if self.kind is Kind.UNKNOWN:
            return self.raw
        return _CODE[self.kind] | pf

    @classmethod
    def decode(cls, byte: int) -> Control:
        pf = bool(byte & PF)
        if not byte & 1:
            return cls(Kind.I, pf, ns=(byte >> 1) & 7, nr=byte >> 5)
        if byte & 3 == 1:
            kind = _SUPERVISORY.get(byte & 0x0F)
            return cls(kind, pf, nr=byte >> 5) if kind else cls(Kind.UNKNOWN, pf, raw=byte)
        kind = _UNNUMBERED.get(byte & ~PF & 0xFF)
        return cls(kind, pf) if kind else cls(Kind.UNKNOWN, pf, raw=byte)


@dataclass(frozen=True, slots=True)
class Frame:
    """One HDLC frame (without the flags' role in framing: :meth:`encode` adds them)."""

    destination: Address
    source: Address
    control: Control
    information: bytes = b""
    segmented: bool = False

    @property
    def kind(self) -> Kind:
        return self.control.kind

    def encode(self) -> bytes:
        header = self.destination.encode() + self.source.encode()
        header += bytes([self.control.encode()])
        length = 2 + len(header) + 2 + (len(self.information) + 2 if self.information else 0)
        if length > MAX_FRAME_LENGTH:
            raise EncodeError(f"HDLC frame of {length} bytes above {MAX_FRAME_LENGTH}")
        fmt = FORMAT_TYPE_3 | (SEGMENTATION if self.segmented else 0) | length
        body = fmt.to_bytes(2, "big") + header
        if self.information:
            body += check_sequence(body) + self.information
        return b"\x7e" + body + check_sequence(body) + b"\x7e"

    @classmethod
    def decode(cls, data: bytes) -> Frame:
        """Decode one whole frame, flags included; raises :class:`DecodeError`."""
        result = _parse(data, 0, len(data))
        if isinstance(result, InvalidFrame):
            raise DecodeError(result.offset, result.reason)
        return result


@dataclass(frozen=True, slots=True)
class InvalidFrame:
    """Bytes that were not a valid frame; ``offset`` within the bytes fed so far."""

    reason: str
    offset: int = 0


def _parse(buf: bytes | bytearray, start: int, end: int) -> Frame | InvalidFrame:
    """Parse buf[start:end], a frame from opening to closing flag."""
    if end - start < MIN_FRAME_LENGTH + 2 or buf[start] != FLAG or buf[end - 1] != FLAG:
        return InvalidFrame("no frame between two flags", start)
    fmt = int.from_bytes(buf[start + 1 : start + 3], "big")
    if fmt & 0xF000 != FORMAT_TYPE_3 or (fmt & MAX_FRAME_LENGTH) != end - start - 2:
        return InvalidFrame(f"bad frame format 0x{fmt:04x}", start + 1)
    if check_sequence(buf[start + 1 : end - 3]) != buf[end - 3 : end - 1]:
        return InvalidFrame("FCS error", end - 3)
    try:
        destination, pos = Address.decode(buf, start + 3)
        source, pos = Address.decode(buf, pos)
    except DecodeError as e:
        return InvalidFrame(f"address field: {e.reason}", e.offset)
    if source.is_broadcast or pos >= end - 3:
        return InvalidFrame("bad source address or no control field", pos)
    control = Control.decode(buf[pos])
    info = b""
    if pos + 1 < end - 3:
        hcs_end = pos + 3
        if hcs_end >= end - 3:
            return InvalidFrame("an HCS without information", pos + 1)
        if check_sequence(buf[start + 1 : pos + 1]) != buf[pos + 1 : hcs_end]:
            return InvalidFrame("HCS error", pos + 1)
        info = bytes(buf[hcs_end : end - 3])
    return Frame(destination, source, control, info, bool(fmt & SEGMENTATION))


class FrameSplitter:
    """Finds frames in a byte stream; keeps a partial frame until the rest comes.

    Two frames may share a flag (the closing flag of one opens the next), and
    idle flags between frames are skipped. ``max_length`` bounds the length
    field accepted, so a corrupted length cannot make the splitter wait for
    bytes that never come (the inter-octet timeout, :meth:`discard_partial`,
    covers the rest).
    """

    __slots__ = ("_buf", "_offset", "max_length")

    def __init__(self, max_length: int = MAX_FRAME_LENGTH) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._offset = 0  # stream offset of _buf[0]

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame kept (a lone flag does not count)."""
        return len(self._buf) if self._buf != b"\x7e" else 0

    def discard_partial(self) -> InvalidFrame | None:
        """Drop an incomplete frame (inter-octet timeout); report it if there was one."""
        if not self.pending:
            return None
        invalid = InvalidFrame("inter-octet timeout in a partial frame", self._offset)
        self._consume(len(self._buf))
        return invalid

    def feed(self, data: bytes) -> list[Frame | InvalidFrame]:
        self._buf += data
        out: list[Frame | InvalidFrame] = []
        while (item := self._next()) is not None:
            out.append(item)
        return out

    def _consume(self, n: int) -> None:
        del self._buf[:n]
        self._offset += n

    def _next(self) -> Frame | InvalidFrame | None:
        buf = self._buf
        flag = buf.find(FLAG)
        if flag < 0:
            return self._garbage(len(buf)) if buf else None
        if flag:
            return self._garbage(flag)
        while len(buf) > 1 and buf[1] == FLAG:
            self._consume(1)  # idle or shared flags
        if len(buf) < 3:
            return None
        length = ((buf[1] & 0x07) << 8) | buf[2]
        if buf[1] & 0xF0 != 0xA0 or not MIN_FRAME_LENGTH <= length <= self.max_length:
            return self._drop_flag(f"bad frame format {bytes(buf[1:3]).hex()}")
        if len(buf) < length + 2:
            return None
        if buf[length + 1] != FLAG:
            return self._drop_flag("no closing flag where the length says")
        item = _parse(buf, 0, length + 2)
        if isinstance(item, InvalidFrame):
            item = InvalidFrame(item.reason, self._offset + item.offset)
        self._consume(length + 1)  # keep the closing flag: it may open the next frame
        return item

    def _garbage(self, n: int) -> InvalidFrame:
        invalid = InvalidFrame(f"{n} bytes outside any frame", self._offset)
        self._consume(n)
        return invalid

    def _drop_flag(self, reason: str) -> InvalidFrame:
        invalid = InvalidFrame(reason, self._offset)
        self._consume(1)
        nxt = self._buf.find(FLAG)
        self._consume(nxt if nxt >= 0 else len(self._buf))
        return invalid
