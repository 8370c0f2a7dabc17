"""HDLC, IEC 62056-46 (DLMS UA 1000-2 "Green Book" clause 8), sans-IO.

>>> from openamr.link.hdlc import PrimaryStation
>>> PrimaryStation().connect(0.0).hex(" ")
'7e a0 08 02 23 21 93 bd 64 7e'
"""

from openamr.link.hdlc.address import MT372_SERVER, PUBLIC_CLIENT, Address, mt372_server
from openamr.link.hdlc.fcs import check_sequence, crc16
from openamr.link.hdlc.frame import Control, Frame, FrameSplitter, InvalidFrame, Kind
from openamr.link.hdlc.multidrop import MultiDrop
from openamr.link.hdlc.params import HdlcParameters, negotiate
from openamr.link.hdlc.primary import PrimaryState, PrimaryStation
from openamr.link.hdlc.secondary import SecondaryState, SecondaryStation
from openamr.link.hdlc.station import (
    LLC_COMMAND,
    LLC_RESPONSE,
    Connected,
    DataReceived,
    Disconnected,
    FrameDiscarded,
    HdlcEvent,
    MessageTooLong,
    Timeouts,
)

__all__ = [
    "LLC_COMMAND",
    "LLC_RESPONSE",
    "MT372_SERVER",
    "MessageTooLong",
    "PUBLIC_CLIENT",
    "Address",
    "Connected",
    "Control",
    "DataReceived",
    "Disconnected",
    "Frame",
    "FrameDiscarded",
    "FrameSplitter",
    "HdlcEvent",
    "HdlcParameters",
    "InvalidFrame",
    "Kind",
    "MultiDrop",
    "PrimaryState",
    "PrimaryStation",
    "SecondaryState",
    "SecondaryStation",
    "Timeouts",
    "check_sequence",
    "crc16",
    "mt372_server",
    "negotiate",
]
