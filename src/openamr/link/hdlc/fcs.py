"""The HDLC check sequences HCS and FCS (IEC 62056-46 / Green Book 8.4.1.3.4-5;
ISO/IEC 13239 4.2.4): CRC-16/X.25.

Polynomial x^16 + x^12 + x^5 + 1, bits processed least significant first
(reflected polynomial 0x8408), initial value 0xFFFF, result complemented, and
sent least significant byte first::

    ... | data bytes ... | crc & 0xFF | crc >> 8 | 7E

The work is done in C: the bytes are bit-reversed with a 256-entry translation
table, run through :func:`binascii.crc_hqx` (the same polynomial, most significant
bit first), and the 16-bit result is reversed back. About 100x faster than a
Python loop over a table, and byte-identical to it (the tests check both).
"""

from __future__ import annotations

import binascii

_REVERSE8 = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _reverse16(value: int) -> int:
    return (_REVERSE8[value & 0xFF] << 8) | _REVERSE8[value >> 8]


def crc16(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/X.25 of ``data`` as an integer (``0x906E`` for ``b"123456789"``)."""
    return _reverse16(binascii.crc_hqx(bytes(data).translate(_REVERSE8), 0xFFFF)) ^ 0xFFFF


def check_sequence(data: bytes | bytearray | memoryview) -> bytes:
    """The two bytes of the HCS or FCS over ``data``, in transmission order."""
    return crc16(data).to_bytes(2, "little")
