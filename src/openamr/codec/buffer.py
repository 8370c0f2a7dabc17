"""Reader and Writer: the byte cursors every decoder and encoder uses.

A-XDR (IEC 61334-6) variable-length encoding, used for array counts and string
lengths (DLMS UA 1000-2 "Green Book", 9.3 / A-XDR rules)::

    0x00..0x7F            length in one byte
    0x8N  b1 .. bN        N following bytes hold the length, big-endian
"""

from __future__ import annotations

import struct

from openamr.errors import DecodeError, EncodeError

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")

#: The largest length we accept from the wire: a declared length larger than the
#: bytes that follow is refused anyway, this bounds the length field itself.
MAX_LENGTH_BYTES = 4


class Reader:
    """A cursor over immutable bytes; every shortfall raises :class:`DecodeError`."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self.data = bytes(data)
        self.pos = pos
        self.end = len(self.data)

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def fail(self, reason: str, offset: int | None = None) -> DecodeError:
        """Build a DecodeError at the cursor (or at ``offset``)."""
        return DecodeError(self.pos if offset is None else offset, reason)

    def need(self, n: int, what: str = "bytes") -> None:
        if n > self.end - self.pos:
            raise DecodeError(self.pos, f"{what}: need {n} bytes, {self.end - self.pos} left")

    def u8(self) -> int:
        if self.pos >= self.end:
            raise DecodeError(self.pos, "unexpected end of data")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def peek(self) -> int:
        if self.pos >= self.end:
            raise DecodeError(self.pos, "unexpected end of data")
        return self.data[self.pos]

    def u16(self) -> int:
        self.need(2, "uint16")
        (v,) = _U16.unpack_from(self.data, self.pos)
        self.pos += 2
        return int(v)

    def u32(self) -> int:
        self.need(4, "uint32")
        (v,) = _U32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(v)

    def u64(self) -> int:
        self.need(8, "uint64")
        (v,) = _U64.unpack_from(self.data, self.pos)
        self.pos += 8
        return int(v)

    def unpack(self, fmt: struct.Struct) -> tuple[object, ...]:
        self.need(fmt.size, fmt.format)
        values = fmt.unpack_from(self.data, self.pos)
        self.pos += fmt.size
        return values

    def read(self, n: int) -> bytes:
        self.need(n)
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def rest(self) -> bytes:
        b = self.data[self.pos :]
        self.pos = self.end
        return b

    def length(self) -> int:
        """A-XDR variable-length field; the length must fit in the remaining bytes
        only when the caller checks it (counts of elements are not byte lengths)."""
        start = self.pos
        first = self.u8()
        if first < 0x80:
            return first
        n = first & 0x7F
        if n == 0 or n > MAX_LENGTH_BYTES:
            raise DecodeError(start, f"length field of {n} bytes is not supported")
        return int.from_bytes(self.read(n), "big")


class Writer:
    """An append-only byte buffer with the same vocabulary as :class:`Reader`."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def u8(self, v: int) -> None:
        self.buf.append(v)

    def u16(self, v: int) -> None:
        self.buf += _U16.pack(v)

    def u32(self, v: int) -> None:
        self.buf += _U32.pack(v)

    def u64(self, v: int) -> None:
        self.buf += _U64.pack(v)

    def write(self, b: bytes | bytearray | memoryview) -> None:
        self.buf += b

    def length(self, n: int) -> None:
        """A-XDR variable-length field (shortest form)."""
        if n < 0:
            raise EncodeError(f"negative length {n}")
        if n < 0x80:
            self.buf.append(n)
            return
        size = (n.bit_length() + 7) // 8
        if size > MAX_LENGTH_BYTES:
            raise EncodeError(f"length {n} does not fit in {MAX_LENGTH_BYTES} bytes")
        self.buf.append(0x80 | size)
        self.buf += n.to_bytes(size, "big")

    def getvalue(self) -> bytes:
        return bytes(self.buf)
