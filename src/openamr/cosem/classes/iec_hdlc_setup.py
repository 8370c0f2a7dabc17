"""IEC HDLC setup, class_id 23, version 1 (Blue Book 4.7.3): the HDLC parameters
of one port (0.0.22.0.0.255 for the optical / RS485 port)::

    comm_speed                      enum baud (IEC local port setup), default 5 = 9600
    window_size_transmit            unsigned 1..7, default 1
    window_size_receive             unsigned 1..7, default 1
    max_info_field_length_transmit  long-unsigned 32..2030, default 128
    max_info_field_length_receive   long-unsigned 32..2030, default 128
    inter_octet_time_out            long-unsigned ms 20..6000, default 25
    inactivity_time_out             long-unsigned s, 0 = none, default 120
    device_address                  long-unsigned 0x0010..0x3FFD (physical address)

MT372: physical address 17, 2-byte server addressing (MT372.md section 5). A value
out of range is refused with OTHER_REASON.
"""

from __future__ import annotations

from openamr.codec.obis import Obis
from openamr.codec.types import Data, Enum, LongUnsigned, Tag, Unsigned
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.iec_local_port_setup import Baud
from openamr.cosem.classes.shape import among, within

MT372_PHYSICAL_ADDRESS = 17


class IecHdlcSetup(CosemObject, class_id=23, version=1):
    """HDLC parameters; the link layer reads them when it opens the port."""

    ATTRIBUTES = (
        Attribute(2, "comm_speed", Tag.ENUM, static=True, check=among(Baud)),
        Attribute(3, "window_size_transmit", Tag.UNSIGNED, static=True, check=within(1, 7)),
        Attribute(4, "window_size_receive", Tag.UNSIGNED, static=True, check=within(1, 7)),
        Attribute(
            5, "max_info_field_length_transmit", Tag.LONG_UNSIGNED, True, check=within(32, 2030)
        ),
        Attribute(
            6, "max_info_field_length_receive", Tag.LONG_UNSIGNED, True, check=within(32, 2030)
        ),
        Attribute(7, "inter_octet_time_out", Tag.LONG_UNSIGNED, True, check=within(20, 6000)),
        Attribute(8, "inactivity_time_out", Tag.LONG_UNSIGNED, static=True),
        Attribute(9, "device_address", Tag.LONG_UNSIGNED, True, check=within(0x10, 0x3FFD)),
    )

    def __init__(
        self,
        logical_name: Obis | str = "0.0.22.0.0.255",
        comm_speed: Baud = Baud.B9600,
        window_size: int = 1,
        max_info_field_length: int = 128,
        inter_octet_time_out: int = 25,
        inactivity_time_out: int = 120,
        device_address: int = MT372_PHYSICAL_ADDRESS,
    ) -> None:
        super().__init__(logical_name)
        self.comm_speed: Data = Enum(comm_speed)
        self.window_size_transmit: Data = Unsigned(window_size)
        self.window_size_receive: Data = Unsigned(window_size)
        self.max_info_field_length_transmit: Data = LongUnsigned(max_info_field_length)
        self.max_info_field_length_receive: Data = LongUnsigned(max_info_field_length)
        self.inter_octet_time_out: Data = LongUnsigned(inter_octet_time_out)
        self.inactivity_time_out: Data = LongUnsigned(inactivity_time_out)
        self.device_address: Data = LongUnsigned(device_address)
