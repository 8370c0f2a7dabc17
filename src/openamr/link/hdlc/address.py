"""HDLC addresses (IEC 62056-46 / Green Book 8.4.2.2, "Addressing").

Every address byte carries 7 address bits and, in bit 0, the extension bit:
0 means "another address byte follows", 1 ends the address::

    client (1 byte):       [ sap(7)         | 1 ]
    server, 1 byte:        [ upper(7)       | 1 ]
    server, 2 bytes:       [ upper(7) | 0 ] [ lower(7) | 1 ]
    server, 4 bytes:       [ upper hi(7) | 0 ] [ upper lo(7) | 0 ]
                           [ lower hi(7) | 0 ] [ lower lo(7) | 1 ]

The upper HDLC address is the server's logical device (1 = the management
logical device), the lower HDLC address the physical device on the line.
Reserved values: 0 no station, 0x7F (0x3FFF in 4 bytes) all stations
(broadcast), 0x7E (0x3FFE) the calling physical device.

The MT372 answers as logical device 1, physical device 17, with 2-byte server
addresses: ``MT372_SERVER`` encodes as ``02 23``.
"""

from __future__ import annotations

from dataclasses import dataclass

from openamr.errors import DecodeError, EncodeError

#: The fixed client SAPs (Green Book 8.4.2.2, table "Reserved client addresses").
NO_STATION = 0x00
CLIENT_MANAGEMENT = 0x01
PUBLIC_CLIENT = 0x10
ALL_STATION = 0x7F
ALL_STATION_4 = 0x3FFF
CALLING_4 = 0x3FFE
CALLING = 0x7E

_LIMIT = {1: 0x7F, 2: 0x7F, 4: 0x3FFF}


@dataclass(frozen=True, slots=True)
class Address:
    """An HDLC address: ``upper`` alone (1 byte) or ``upper`` and ``lower``."""

    upper: int
    lower: int | None = None
    size: int = 1

    def __post_init__(self) -> None:
        if self.size not in _LIMIT or (self.size == 1) != (self.lower is None):
            raise EncodeError(f"an HDLC address of {self.size} bytes with lower={self.lower}")
        limit = _LIMIT[self.size]
        if not 0 <= self.upper <= limit or not 0 <= (self.lower or 0) <= limit:
            raise EncodeError(f"HDLC address {self.upper}/{self.lower} above {limit}")

    @classmethod
    def client(cls, sap: int) -> Address:
        """A client address (always one byte)."""
        return cls(sap)

    @classmethod
    def server(cls, logical: int, physical: int | None = None, size: int = 2) -> Address:
        """A server address; ``physical=None`` gives the 1-byte form."""
        return cls(logical) if physical is None else cls(logical, physical, size)

    @property
    def is_broadcast(self) -> bool:
        """Addressed to all stations (upper or lower all-station value)."""
        limit = _LIMIT[self.size]
        return self.upper == limit or self.lower == limit

    def same_station(self, other: Address) -> bool:
        """Same upper and lower values, whatever the size of the form."""
        return self.upper == other.upper and self.lower == other.lower

    def in_form(self, size: int) -> Address:
        """This address written in ``size`` bytes (the form a peer used)."""
        return self if size == self.size else Address(self.upper, self.lower, size)

    def encode(self) -> bytes:
        if self.lower is None:
            return bytes([(self.upper << 1) | 1])
        if self.size == 2:
            return bytes([self.upper << 1, (self.lower << 1) | 1])
        return bytes(
            [
                (self.upper >> 7) << 1,
                (self.upper & 0x7F) << 1,
                (self.lower >> 7) << 1,
                ((self.lower & 0x7F) << 1) | 1,
            ]
        )

    @classmethod
    def decode(cls, data: bytes | bytearray, pos: int) -> tuple[Address, int]:
        """Read an address at ``pos``; return it and the position after it."""
        end = pos
        while end < len(data) and end - pos < 4 and not data[end] & 1:
            end += 1
        if end >= len(data) or not data[end] & 1:
            raise DecodeError(pos, "HDLC address without a final extension bit")
        size = end - pos + 1
        b = [x >> 1 for x in data[pos : end + 1]]
        if size == 1:
            return cls(b[0]), end + 1
        if size == 2:
            return cls(b[0], b[1], 2), end + 1
        if size == 4:
            return cls((b[0] << 7) | b[1], (b[2] << 7) | b[3], 4), end + 1
        raise DecodeError(pos, f"HDLC address of {size} bytes (1, 2 or 4 allowed)")


#: The MT372's server address: logical device 1, physical device 17, 2 bytes.
MT372_SERVER = Address.server(1, 17)


def mt372_server(physical: int = 17, logical: int = 1, size: int = 2) -> Address:
    """An MT372 server address; on a multi-drop bus each meter has its own physical."""
    return Address.server(logical, physical, size)
