"""GSM diagnostic, class_id 47, version 1 (Blue Book 4.8.6): what the modem sees
of the mobile network (0.0.25.6.0.255). Read-only: the modem model refreshes it
with :meth:`GsmDiagnostic.capture`::

    operator        visible-string
    status          enum: 0 not registered, 1 registered (home), 2 searching,
                    3 registration denied, 4 unknown, 5 registered (roaming)
    cs_attachment   enum: 0 inactive, 1 incoming call, 2 active
    ps_status       enum: 0 inactive, 1 GPRS, 2 EDGE, 3 UMTS, 4 HSDPA, 5 LTE,
                    6 CDMA, 7 LTE Cat M1, 8 LTE Cat NB1, 9 LTE Cat NB2
    cell_info       structure { cell_ID double-long-unsigned, location_ID long-unsigned,
                    signal_quality unsigned, ber unsigned, mcc long-unsigned,
                    mnc long-unsigned, channel_number double-long-unsigned }
    adjacent_cells  array structure { cell_ID double-long-unsigned, signal_quality unsigned }
    capture_time    date-time

signal_quality is the 3GPP TS 27.007 +CSQ scale: 0 (-113 dBm or less) .. 31
(-51 dBm or more), 99 not known; ber 0..7, 99 not known. The LCD's three segments
come from it (:func:`signal_bars`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from openamr.codec.datetime import CosemDate, CosemDateTime, CosemTime
from openamr.codec.obis import Obis
from openamr.codec.types import (
    Array,
    Data,
    DoubleLongUnsigned,
    Enum,
    LongUnsigned,
    Structure,
    Tag,
    Unsigned,
    VisibleString,
)
from openamr.cosem.base import Attribute, CosemObject
from openamr.cosem.classes.shape import denied

NOT_KNOWN = 99
NOT_SPECIFIED = CosemDateTime(CosemDate(), CosemTime())


class GsmStatus(enum.IntEnum):
    NOT_REGISTERED = 0
    REGISTERED_HOME = 1
    SEARCHING = 2
    REGISTRATION_DENIED = 3
    UNKNOWN = 4
    REGISTERED_ROAMING = 5


class CsAttachment(enum.IntEnum):
    INACTIVE = 0
    INCOMING_CALL = 1
    ACTIVE = 2


class PsStatus(enum.IntEnum):
    INACTIVE = 0
    GPRS = 1
    EDGE = 2
    UMTS = 3
    HSDPA = 4
    LTE = 5
    CDMA = 6
    LTE_CAT_M1 = 7
    LTE_CAT_NB1 = 8
    LTE_CAT_NB2 = 9


@dataclass(frozen=True, slots=True)
class CellInfo:
    cell_id: int = 0
    location_id: int = 0
    signal_quality: int = NOT_KNOWN
    ber: int = NOT_KNOWN
    mcc: int = 0
    mnc: int = 0
    channel_number: int = 0

    def to_data(self) -> Structure:
        return Structure(
            (
                DoubleLongUnsigned(self.cell_id),
                LongUnsigned(self.location_id),
                Unsigned(self.signal_quality),
                Unsigned(self.ber),
                LongUnsigned(self.mcc),
                LongUnsigned(self.mnc),
                DoubleLongUnsigned(self.channel_number),
            )
        )


@dataclass(frozen=True, slots=True)
class AdjacentCell:
    cell_id: int
    signal_quality: int

    def to_data(self) -> Structure:
        return Structure((DoubleLongUnsigned(self.cell_id), Unsigned(self.signal_quality)))


def signal_bars(signal_quality: int) -> int:
    """Decision: 0..3 LCD segments from +CSQ (99/not known and 0..9 -> 0, 10..14 -> 1,
    15..19 -> 2, 20..31 -> 3)."""
    if signal_quality == NOT_KNOWN or signal_quality < 10:
        return 0
    return 1 if signal_quality < 15 else 2 if signal_quality < 20 else 3


class GsmDiagnostic(CosemObject, class_id=47, version=1):
    """The modem's view of the network."""

    ATTRIBUTES = (
        Attribute(2, "operator", Tag.VISIBLE_STRING),
        Attribute(3, "status", Tag.ENUM),
        Attribute(4, "cs_attachment", Tag.ENUM),
        Attribute(5, "ps_status", Tag.ENUM),
        Attribute(6, "cell_info", Tag.STRUCTURE),
        Attribute(7, "adjacent_cells", Tag.ARRAY),
        Attribute(8, "capture_time", Tag.DATE_TIME),
    )

    set_operator = set_status = set_cs_attachment = set_ps_status = staticmethod(denied)
    set_cell_info = set_adjacent_cells = set_capture_time = staticmethod(denied)

    def __init__(self, logical_name: Obis | str = "0.0.25.6.0.255") -> None:
        super().__init__(logical_name)
        self.operator: Data = VisibleString("")
        self.status: Data = Enum(GsmStatus.NOT_REGISTERED)
        self.cs_attachment: Data = Enum(CsAttachment.INACTIVE)
        self.ps_status: Data = Enum(PsStatus.INACTIVE)
        self.cell = CellInfo()
        self.cell_info: Data = self.cell.to_data()
        self.adjacent_cells: Data = Array()
        self.capture_time: Data = NOT_SPECIFIED

    def capture(
        self,
        now: CosemDateTime,
        operator: str,
        status: GsmStatus,
        ps_status: PsStatus,
        cell: CellInfo,
        adjacent: Sequence[AdjacentCell] = (),
        cs_attachment: CsAttachment = CsAttachment.INACTIVE,
    ) -> None:
        """Record what the modem reports, time-stamped ``now`` (the twin's clock)."""
        self.operator = VisibleString(operator)
        self.status, self.ps_status = Enum(status), Enum(ps_status)
        self.cs_attachment = Enum(cs_attachment)
        self.cell, self.cell_info = cell, cell.to_data()
        self.adjacent_cells = Array(c.to_data() for c in adjacent)
        self.capture_time = now

    @property
    def bars(self) -> int:
        """The LCD's signal level, 0..3."""
        return signal_bars(self.cell.signal_quality)
