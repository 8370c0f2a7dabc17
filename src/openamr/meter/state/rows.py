"""The row codec of the twin's state store: one profile row (a tuple of plain
values, :data:`openamr.codec.table.Row`) as one compact, self-describing BLOB.

A row is stored as its *shape* (ASCII, one code per cell), a colon, then the
cells packed little-endian by ``struct`` with the format the shape spells::

    "12sBII" ":" <12 bytes clock> <u8 status> <u32 A+> <u32 A->
    31 32 73 42 49 49 3a  ...                                  (7 + 21 bytes)

=====  ==================================  ============================
code   cell                                body
=====  ==================================  ============================
N      None (null-data)                    nothing
?      bool                                1 byte
B H I  int >= 0 (smallest that fits)       1, 2, 4 bytes
Q      int in 2**32 .. 2**64 - 1           8 bytes
b h i  int < 0 (smallest that fits)        1, 2, 4 bytes
q      int in -2**63 .. -2**31 - 1         8 bytes
<n>Z   any other int: n-byte signed        n bytes, two's complement
d      float                               8 bytes (IEEE 754, exact)
<n>s   bytes of length n                   n bytes
=====  ==================================  ============================

No pickle: a corrupt or hostile BLOB raises :class:`~openamr.errors.DecodeError`
and nothing else. The decoder compiled for a shape is cached, so rows of one
profile (one or a few shapes) decode with one ``Struct.unpack_from`` each.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Sequence

from openamr.codec.table import Row
from openamr.errors import DecodeError

#: A cell of a stored row.
Cell = int | float | bytes | None

_SEPARATOR = 0x3A  # ":"
_TOKEN = re.compile(rb"(\d+)([sZ])|([NbhiqBHIQd?])")
_UNSIGNED = ((0xFF, "B"), (0xFFFF, "H"), (0xFFFF_FFFF, "I"), (0xFFFF_FFFF_FFFF_FFFF, "Q"))
_SIGNED = ((-0x80, "b"), (-0x8000, "h"), (-0x8000_0000, "i"), (-0x8000_0000_0000_0000, "q"))
_CACHE_LIMIT = 4096

Decoder = Callable[[bytes, int], Row]
_decoders: dict[bytes, Decoder] = {}
_packers: dict[str, struct.Struct] = {}


def _int_code(v: int) -> tuple[str, int | bytes]:
    if v >= 0:
        for top, code in _UNSIGNED:
            if v <= top:
                return code, v
    else:
        for bottom, code in _SIGNED:
            if v >= bottom:
                return code, v
    n = (v.bit_length() + 8) // 8  # room for the sign bit
    return f"{n}Z", v.to_bytes(n, "little", signed=True)


def _cell(v: object) -> tuple[str, int | float | bytes | None]:
    if v is None:
        return "N", None
    if isinstance(v, bool):
        return "?", v
    if isinstance(v, int):
        return _int_code(v)
    if isinstance(v, float):
        return "d", v
    if isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        return f"{len(b)}s", b
    raise TypeError(f"a stored row holds int, float, bytes or None, not {type(v).__name__}")


def encode_row(row: Sequence[object]) -> bytes:
    """The BLOB of one row; raises TypeError for a cell of another type."""
    codes: list[str] = []
    values: list[int | float | bytes] = []
    for v in row:
        code, packed = _cell(v)
        codes.append(code)
        if packed is not None:
            values.append(packed)
    shape = "".join(codes)
    packer = _packers.get(shape)
    if packer is None:
        packer = struct.Struct("<" + shape.replace("N", "").replace("Z", "s"))
        if len(_packers) >= _CACHE_LIMIT:
            _packers.clear()
        _packers[shape] = packer
    return shape.encode("ascii") + b":" + packer.pack(*values)


def _compile(shape: bytes) -> Decoder:
    """The decoder of one shape: a Struct, then (rarely) big ints and Nones."""
    pos, fmt = 0, "<"
    nulls: list[int] = []  # row positions of None, increasing
    bigs: list[int] = []  # struct positions of n-byte ints
    cells = values = 0
    for m in _TOKEN.finditer(shape):
        if m.start() != pos:
            break
        pos, cells = m.end(), cells + 1
        count, code, single = m.group(1), m.group(2), m.group(3)
        if single == b"N":
            nulls.append(cells - 1)
            continue
        if code == b"Z":
            bigs.append(values)
        fmt += (count + b"s").decode() if code else single.decode()
        values += 1
    if pos != len(shape):
        raise DecodeError(pos, f"a stored row's shape has an unknown code at {pos}")
    try:
        layout = struct.Struct(fmt)
    except (struct.error, OverflowError, MemoryError):
        raise DecodeError(0, "a stored row's shape is too large") from None
    if not nulls and not bigs:
        return _plain(layout)
    return _fixed(layout, nulls, bigs)


def _check(layout: struct.Struct, blob: bytes, start: int) -> None:
    if len(blob) - start != layout.size:
        have = len(blob) - start
        raise DecodeError(start, f"a stored row needs {layout.size} bytes, it has {have}")


def _plain(layout: struct.Struct) -> Decoder:
    def decode(blob: bytes, start: int) -> Row:
        _check(layout, blob, start)
        return layout.unpack_from(blob, start)

    return decode


def _fixed(layout: struct.Struct, nulls: list[int], bigs: list[int]) -> Decoder:
    def decode(blob: bytes, start: int) -> Row:
        _check(layout, blob, start)
        values: list[object] = list(layout.unpack_from(blob, start))
        for i in bigs:
            raw = values[i]
            assert isinstance(raw, bytes)
            values[i] = int.from_bytes(raw, "little", signed=True)
        for i in nulls:
            values.insert(i, None)
        return tuple(values)

    return decode


def decode_row(blob: bytes) -> Row:
    """The row of one BLOB; raises DecodeError when the BLOB is not a row."""
    start = blob.find(_SEPARATOR)
    if start < 0:
        raise DecodeError(len(blob), "a stored row has no shape separator")
    shape = blob[:start]
    decoder = _decoders.get(shape)
    if decoder is None:
        decoder = _compile(shape)
        if len(_decoders) >= _CACHE_LIMIT:
            _decoders.clear()
        _decoders[shape] = decoder
    return decoder(blob, start + 1)


def decode_rows(blobs: Iterable[bytes]) -> list[Row]:
    return [decode_row(b) for b in blobs]
