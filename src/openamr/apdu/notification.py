"""DATA-NOTIFICATION [15] and EVENT-NOTIFICATION-Request [194] (Green Book 9.5).

Byte layouts (A-XDR)::

    0F long-invoke-id-and-priority(4) date-time notification-body   DataNotification
       date-time is an OCTET STRING: 00 (none) or 0C + 12 octets;
       notification-body is one Data (a structure, as pushed by Push setup)
    C2 00|01 len time  class(2) ln(6) attr(1)  Data                 EventNotificationRequest

Long-Invoke-Id-And-Priority (Unsigned32)::

    bit 31 priority (1 high)       bit 30 service class (1 confirmed)
    bit 29 processing option (1 break on error)   bit 28 self-descriptive
    bits 27-24 reserved            bits 23-0 long-invoke-id
"""

from __future__ import annotations

from dataclasses import field
from typing import ClassVar

from openamr.apdu.base import Apdu, message, register
from openamr.apdu.descriptors import (
    CosemAttributeDescriptor,
    read_optional,
)
from openamr.codec.axdr import read_data, write_data
from openamr.codec.buffer import Reader, Writer
from openamr.codec.datetime import CosemDateTime
from openamr.codec.types import Data
from openamr.errors import EncodeError

DATA_NOTIFICATION = 0x0F
EVENT_NOTIFICATION_REQUEST = 0xC2

_BITS = (("high_priority", 31), ("confirmed", 30), ("break_on_error", 29),
         ("self_descriptive", 28))  # fmt: skip


@message
class LongInvokeIdAndPriority:
    """Long-Invoke-Id-And-Priority (Unsigned32); ``reserved`` keeps bits 27-24 as received."""

    long_invoke_id: int = 0
    self_descriptive: bool = False
    break_on_error: bool = False
    confirmed: bool = False
    high_priority: bool = False
    reserved: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.long_invoke_id <= 0xFFFFFF:
            raise EncodeError(f"long_invoke_id must be 0..16777215, got {self.long_invoke_id}")
        if not 0 <= self.reserved <= 0xF:
            raise EncodeError(f"reserved must be 0..15, got {self.reserved}")

    @classmethod
    def from_int(cls, v: int) -> LongInvokeIdAndPriority:
        flags = {name: bool(v >> bit & 1) for name, bit in _BITS}
        return cls(v & 0xFFFFFF, reserved=v >> 24 & 0xF, **flags)

    def to_int(self) -> int:
        v = self.long_invoke_id | self.reserved << 24
        for name, bit in _BITS:
            if getattr(self, name):
                v |= 1 << bit
        return v


def _read_octets(r: Reader) -> bytes:
    return r.read(r.length())


def _check_time(name: str, value: bytes | None) -> None:
    if value is not None and not value:
        raise EncodeError(f"{name}: use None for no date-time, not an empty octet-string")


@message
class DataNotification(Apdu):
    """DATA-NOTIFICATION: an unsolicited push (Push setup, class 40).

    ``date_time`` holds the octet-string as sent (normally a 12-octet COSEM
    date-time, see :attr:`cosem_date_time`) or ``None`` when absent (``00``).
    """

    TAG: ClassVar[int] = DATA_NOTIFICATION

    notification_body: Data
    date_time: bytes | None = None
    long_invoke_id_and_priority: LongInvokeIdAndPriority = field(
        default_factory=LongInvokeIdAndPriority
    )

    def __post_init__(self) -> None:
        _check_time("date_time", self.date_time)

    @property
    def cosem_date_time(self) -> CosemDateTime | None:
        """The date-time decoded, when it is 12 octets (``None`` otherwise)."""
        if self.date_time is None or len(self.date_time) != CosemDateTime.SIZE:
            return None
        return CosemDateTime.from_bytes(self.date_time)

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        w.u32(self.long_invoke_id_and_priority.to_int())
        time = self.date_time or b""
        w.length(len(time))
        w.write(time)
        write_data(w, self.notification_body)

    @classmethod
    def decode(cls, r: Reader) -> DataNotification:
        liip = LongInvokeIdAndPriority.from_int(r.u32())
        time = _read_octets(r) or None
        return cls(read_data(r), time, liip)


@message
class EventNotificationRequest(Apdu):
    """EVENT-NOTIFICATION-Request: an attribute value the server reports on its own.

    ``time`` is the OPTIONAL octet-string (normally a COSEM date-time) or ``None``.
    """

    TAG: ClassVar[int] = EVENT_NOTIFICATION_REQUEST

    cosem_attribute_descriptor: CosemAttributeDescriptor
    attribute_value: Data
    time: bytes | None = None

    def encode(self, w: Writer) -> None:
        w.u8(self.TAG)
        if self.time is None:
            w.u8(0)
        else:
            w.u8(1)
            w.length(len(self.time))
            w.write(self.time)
        self.cosem_attribute_descriptor.write(w)
        write_data(w, self.attribute_value)

    @classmethod
    def decode(cls, r: Reader) -> EventNotificationRequest:
        time = read_optional(r, _read_octets)
        desc = CosemAttributeDescriptor.read(r)
        return cls(desc, read_data(r), time)


register(DATA_NOTIFICATION)(DataNotification.decode)
register(EVENT_NOTIFICATION_REQUEST)(EventNotificationRequest.decode)

__all__ = ["DataNotification", "EventNotificationRequest", "LongInvokeIdAndPriority"]
