"""IEC local port setup, class_id 19, version 1 (Blue Book 4.7.1): the optical
port of IEC 62056-21 (0.0.20.0.0.255)::

    default_mode   enum: 0 IEC 62056-21 (modes A..E), 1 DLMS/COSEM (HDLC), 2 not specified
    default_baud   enum baud: the rate of the first message (0 = 300 baud)
    prop_baud      enum baud: the rate the meter proposes in its identification
    response_time  enum: 0 20 ms, 1 200 ms (minimum time before the meter answers)
    device_addr    octet-string: the address of the sign-on /?<addr>!  (empty: any)
    pass_p1, pass_p2, pass_w5   octet-string: the passwords of programming mode

    baud ::= enum { 0 300, 1 600, 2 1200, 3 2400, 4 4800, 5 9600, 6 19200, 7 38400,
                    8 57600, 9 115200 }

MT372: mode C at 300 baud, 9600 proposed (baud character '5'), DLMS reached through
mode E. Decision: the passwords are write-only (a GET is refused whatever the rights).
"""

from __future__ import annotations

import enum

from openamr.codec.obis import Obis
from openamr.codec.types import Data, Enum, OctetString, Tag
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import among, hidden


class OpticalMode(enum.IntEnum):
    IEC_62056_21 = 0
    DLMS_COSEM = 1
    NOT_SPECIFIED = 2


class Baud(enum.IntEnum):
    """The baud enumeration shared with IEC HDLC setup (the rate is ``int(name[1:])``)."""

    B300 = 0
    B600 = 1
    B1200 = 2
    B2400 = 3
    B4800 = 4
    B9600 = 5
    B19200 = 6
    B38400 = 7
    B57600 = 8
    B115200 = 9

    @property
    def rate(self) -> int:
        return int(self.name[1:])


class ResponseTime(enum.IntEnum):
    MS_20 = 0
    MS_200 = 1


class IecLocalPortSetup(CosemObject, class_id=19, version=1):
    """The optical port's parameters."""

    ATTRIBUTES = (
        Attribute(2, "default_mode", Tag.ENUM, static=True, check=among(OpticalMode)),
        Attribute(3, "default_baud", Tag.ENUM, static=True, check=among(Baud)),
        Attribute(4, "prop_baud", Tag.ENUM, static=True, check=among(Baud)),
        Attribute(5, "response_time", Tag.ENUM, static=True, check=among(ResponseTime)),
        Attribute(6, "device_addr", Tag.OCTET_STRING, static=True),
        Attribute(7, "pass_p1", Tag.OCTET_STRING, static=True),
        Attribute(8, "pass_p2", Tag.OCTET_STRING, static=True),
        Attribute(9, "pass_w5", Tag.OCTET_STRING, static=True),
    )

    get_pass_p1 = get_pass_p2 = get_pass_w5 = staticmethod(hidden)

    def __init__(
        self,
        logical_name: Obis | str = "0.0.20.0.0.255",
        default_mode: OpticalMode = OpticalMode.IEC_62056_21,
        default_baud: Baud = Baud.B300,
        prop_baud: Baud = Baud.B9600,
        response_time: ResponseTime = ResponseTime.MS_200,
        device_addr: bytes = b"",
        pass_p1: bytes = b"",
        pass_p2: bytes = b"",
        pass_w5: bytes = b"",
    ) -> None:
        super().__init__(logical_name)
        self.default_mode: Data = Enum(default_mode)
        self.default_baud: Data = Enum(default_baud)
        self.prop_baud: Data = Enum(prop_baud)
        self.response_time: Data = Enum(response_time)
        self.device_addr: Data = OctetString(device_addr)
        self.pass_p1: Data = OctetString(pass_p1)
        self.pass_p2: Data = OctetString(pass_p2)
        self.pass_w5: Data = OctetString(pass_w5)
