"""HDLC parameter negotiation (IEC 62056-46 6.4.4.4.3.2 / Green Book 8.4.5.3.2):
the information field of SNRM and UA.

Each side states its own view: "transmit" is what the sender of the frame will
transmit. The client proposes in SNRM, the server answers in UA::

    81 | 80 | group length | parameters, each  id | length | value (big-endian)
    format identifier  group identifier
      05  maximum information field length, transmit  (1 or 2 bytes)
      06  maximum information field length, receive   (1 or 2 bytes)
      07  window size, transmit                       (4 bytes, 1..7)
      08  window size, receive                        (4 bytes, 1..7)

An absent field or parameter means the default: 128 bytes, window 1. Each side
then transmits no more than the other receives: the negotiated value is the
minimum of both sides (:func:`negotiate`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from openamr.codec import Reader
from openamr.errors import DecodeError, EncodeError

FORMAT_ID = 0x81
GROUP_ID = 0x80
DEFAULT_MAX_INFO = 128
DEFAULT_WINDOW = 1
MAX_INFO_RANGE = range(32, 2031)  # HDLC setup (class 23) max_info_length bounds
WINDOW_RANGE = range(1, 8)

_IDS = {0x05: "max_info_tx", 0x06: "max_info_rx", 0x07: "window_tx", 0x08: "window_rx"}
_ID_OF = {name: pid for pid, name in _IDS.items()}


@dataclass(frozen=True, slots=True)
class HdlcParameters:
    """Link parameters from one side's point of view."""

    max_info_tx: int = DEFAULT_MAX_INFO
    max_info_rx: int = DEFAULT_MAX_INFO
    window_tx: int = DEFAULT_WINDOW
    window_rx: int = DEFAULT_WINDOW

    def __post_init__(self) -> None:
        for name in ("max_info_tx", "max_info_rx"):
            if getattr(self, name) not in MAX_INFO_RANGE:
                raise EncodeError(f"{name} {getattr(self, name)} outside 32..2030")
        for name in ("window_tx", "window_rx"):
            if getattr(self, name) not in WINDOW_RANGE:
                raise EncodeError(f"{name} {getattr(self, name)} outside 1..7")

    @property
    def is_default(self) -> bool:
        return self == HdlcParameters()

    def encode(self) -> bytes:
        """The SNRM/UA information field with all four parameters."""
        body = bytearray()
        for f in fields(self):
            value = getattr(self, f.name)
            size = 4 if f.name.startswith("window") else (1 if value < 0x100 else 2)
            body += bytes([_ID_OF[f.name], size]) + value.to_bytes(size, "big")
        return bytes([FORMAT_ID, GROUP_ID, len(body)]) + body

    @classmethod
    def decode(cls, data: bytes) -> HdlcParameters:
        """Parse an SNRM/UA information field (empty means all defaults).

        Unknown parameter identifiers are skipped; values out of range are
        clamped into range (a peer offering 4000 bytes can still be served 2030).
        """
        if not data:
            return cls()
        r = Reader(data)
        if r.u8() != FORMAT_ID or r.u8() != GROUP_ID:
            raise DecodeError(0, "not an HDLC parameter field (81 80 ...)")
        group = Reader(r.read(r.u8()))
        values: dict[str, int] = {}
        while not group.at_end():
            pid, size = group.u8(), group.u8()
            if size not in (1, 2, 4):
                raise DecodeError(group.pos + 2, f"HDLC parameter of {size} bytes")
            value = int.from_bytes(group.read(size), "big")
            if pid in _IDS:
                values[_IDS[pid]] = value
        return cls(**{name: _clamp(name, v) for name, v in values.items()})

    def mirrored(self) -> HdlcParameters:
        """The same link seen from the other side (transmit and receive swapped)."""
        return HdlcParameters(self.max_info_rx, self.max_info_tx, self.window_rx, self.window_tx)


def _clamp(name: str, value: int) -> int:
    bounds = WINDOW_RANGE if name.startswith("window") else MAX_INFO_RANGE
    return min(max(value, bounds.start), bounds.stop - 1)


def negotiate(own: HdlcParameters, peer: HdlcParameters) -> HdlcParameters:
    """Our negotiated parameters, from our capability and the peer's (its own view).

    We transmit no more than the peer receives and receive no more than it
    transmits.
    """
    theirs = peer.mirrored()
    return replace(
        own,
        max_info_tx=min(own.max_info_tx, theirs.max_info_tx),
        max_info_rx=min(own.max_info_rx, theirs.max_info_rx),
        window_tx=min(own.window_tx, theirs.window_tx),
        window_rx=min(own.window_rx, theirs.window_rx),
    )
