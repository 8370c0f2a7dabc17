"""IEC 61968-9 MeterReadings XML (the CIM's message payload, namespace
``http://iec.ch/TC57/2011/MeterReadings#``), written as the schema orders it.

One ``MeterReading`` per meter: an ``IntervalBlocks`` per load-profile channel (its
``IntervalReadings`` by interval end), the ``Meter`` (mRID: the serial), a ``Readings``
per register value, and the ``valuesInterval`` it spans; then the
``ReadingQualityType`` and ``ReadingType`` definitions the readings referred to.

Qualities are ``ReadingQualities`` with the three-part codes of IEC 61968-9 Annex D
(system.category.subcategory): system 1 the meter, 2 the head-end (metering system);
category 2 power quality, 4 data collection, 1 diagnostics, 6 failed validation,
7 edited, 8 estimated. The codes used here:

========  ==========================================================================
1.2.32    the meter flagged a power failure or return (status 0x80, 0x40)
1.4.9     the meter flagged its clock adjusted or invalid (status 0x20, 0x02)
1.1.0     the meter flagged the value not valid or a critical error (status 0x04, 0x01)
2.4.9     the head-end found the meter's clock off by more than its threshold
2.6.0     VEE: failed validation (the rules in the comment: gap, spike, ...)
2.7.0     VEE: edited (the method and the original value in the comment)
2.8.0     VEE: estimated (the method in the comment)
========  ==========================================================================

Reading types are the 18-field codes of Annex C (macroPeriod.aggregate.
measuringPeriod.accumulation.flowDirection.commodity.measurementKind.
interharmonic(2).argument(2).tou.cpp.consumptionTier.phases.multiplier.unit.currency);
a profile column is a 15-minute bulk quantity, a register a bulk quantity with its
rate as ``tou`` (docs/exports.md lists the mapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from openamr.headend.exports import ExportRow, iso, number
from openamr.headend.model import Quality
from openamr.headend.vee import Flag, flag_names

NAMESPACE = "http://iec.ch/TC57/2011/MeterReadings#"
QUALITY_TYPES = {
    "1.2.32": (1, 2, 32, "power failure or return flagged by the meter"),
    "1.4.9": (1, 4, 9, "clock adjusted or invalid, flagged by the meter"),
    "1.1.0": (1, 1, 0, "value not valid or critical error, flagged by the meter"),
    "2.4.9": (2, 4, 9, "meter clock off by more than the head-end's threshold"),
    "2.6.0": (2, 6, 0, "failed validation (VEE)"),
    "2.7.0": (2, 7, 0, "edited (VEE)"),
    "2.8.0": (2, 8, 0, "estimated (VEE)"),
}
_FAILED = Flag.GAP | Flag.ZERO_RUN | Flag.SPIKE | Flag.BACKWARDS | Flag.ENERGY
#: CIM UnitSymbol codes (IEC 61968-9 Annex C) by the unit symbols the store keeps
UNITS = {"Wh": 72, "varh": 73, "W": 38, "var": 63, "V": 29, "A": 5, "m3": 42, "m³": 42}
#: OBIS value group A -> (commodity, measurement kind) of Annex C
COMMODITY = {1: (1, 12), 7: (7, 58), 8: (9, 58)}  # electricity energy; gas, water volume
#: OBIS value group C -> flow direction (1 forward, 19 reverse)
FLOW = {1: 1, 2: 19}


def reading_type(channel: str, unit: str) -> str:
    """The Annex C code of a channel (``OBIS:attr`` or ``PROFILE/OBIS:attr``)."""
    profile = "/" in channel
    obis = channel.rsplit("/", 1)[-1].split(":", 1)[0]
    try:
        a, _b, c, _d, e, _f = (int(x) for x in obis.split("."))
    except ValueError:
        a = c = e = 0
    commodity, kind = COMMODITY.get(a, (0, 0))
    flow = FLOW.get(c, 0) if a == 1 else 0
    period = 2 if profile else 0  # 2: fifteen minutes
    fields = [0, 0, period, 1, flow, commodity, kind, 0, 0, 0, 0, e if 0 < e <= 8 else 0,
              0, 0, 0, 0, UNITS.get(unit, 0), 0]  # fmt: skip
    return ".".join(map(str, fields))


def qualities(row: ExportRow) -> list[tuple[str, str]]:
    """(code, comment) of one row."""
    out = []
    status = row.status or 0
    if row.quality & Quality.METER_FLAGGED:
        if status & 0xC0:
            out.append(("1.2.32", f"status 0x{status:02x}"))
        if status & 0x22:
            out.append(("1.4.9", f"status 0x{status:02x}"))
        if status & 0x05:
            out.append(("1.1.0", f"status 0x{status:02x}"))
    if row.quality & Quality.CLOCK_SUSPECT:
        out.append(("2.4.9", ""))
    if row.vee & _FAILED:
        out.append(("2.6.0", " ".join(flag_names(row.vee & _FAILED))))
    if row.quality & Quality.EDITED:
        original = "" if row.original is None else f"; original {number(row.original)}"
        out.append(("2.7.0", f"{row.method}{original}"))
    if row.quality & Quality.ESTIMATED:
        out.append(("2.8.0", row.method))
    return out


def _qualities_xml(row: ExportRow, seen: set[str]) -> str:
    parts = []
    for code, comment in qualities(row):
        seen.add(code)
        note = f"<comment>{escape(comment)}</comment>" if comment else ""
        parts.append(f'<ReadingQualities>{note}<ReadingQualityType ref="{code}"/>'
                     "</ReadingQualities>")  # fmt: skip
    return "".join(parts)


class CimWriter:
    def __init__(self) -> None:
        self.meter: str | None = None
        self.block: str | None = None  # the profile channel whose IntervalBlocks is open
        self.meter_written = False
        self.span: tuple[int, int] | None = None
        self.types: dict[str, str] = {}  # code -> the first channel of that type
        self.channel_type: dict[str, str] = {}  # channel -> code
        self.quality_codes: set[str] = set()

    def begin(self) -> str:
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<MeterReadings xmlns="{NAMESPACE}">\n'

    def _close_block(self) -> str:
        if self.block is None:
            return ""
        row_type = self.channel_type[self.block]
        self.block = None
        return f'<ReadingType ref="{row_type}"/></IntervalBlocks>\n'

    def _meter_element(self) -> str:
        self.meter_written = True
        serial = escape(self.meter or "")
        return f"<Meter><mRID>{serial}</mRID><Names><name>{serial}</name></Names></Meter>\n"

    def _close_meter(self) -> str:
        if self.meter is None:
            return ""
        out = self._close_block()
        if not self.meter_written:
            out += self._meter_element()
        if self.span is not None:
            out += (f"<valuesInterval><end>{iso(self.span[1])}</end>"
                    f"<start>{iso(self.span[0])}</start></valuesInterval>\n")  # fmt: skip
        self.meter, self.span = None, None
        return out + "</MeterReading>\n"

    def rows(self, rows: Sequence[ExportRow]) -> str:
        out: list[str] = []
        for r in rows:
            if r.serial != self.meter:
                out.append(self._close_meter())
                self.meter, self.meter_written = r.serial, False
                out.append("<MeterReading>\n")
            lo, hi = self.span or (r.ts, r.ts)
            self.span = (min(lo, r.ts), max(hi, r.ts))
            code = self.channel_type.get(r.channel)
            if code is None:
                code = self.channel_type[r.channel] = reading_type(r.channel, r.unit)
                self.types.setdefault(code, r.channel)
            quality = _qualities_xml(r, self.quality_codes)
            if r.profile:
                if r.channel != self.block:
                    out.append(self._close_block())
                    self.block = r.channel
                    out.append("<IntervalBlocks>")
                out.append(f"<IntervalReadings><timeStamp>{iso(r.ts)}</timeStamp>"
                           f"<value>{number(r.value)}</value>{quality}"
                           "</IntervalReadings>\n")  # fmt: skip
                continue
            out.append(self._close_block())
            if not self.meter_written:
                out.append(self._meter_element())
            out.append(f"<Readings><timeStamp>{iso(r.ts)}</timeStamp><value>{number(r.value)}"
                       f'</value>{quality}<ReadingType ref="{code}"/></Readings>\n')  # fmt: skip
        return "".join(out)

    def end(self) -> str:
        out = [self._close_meter()]
        for code in sorted(self.quality_codes):
            system, category, sub, name = QUALITY_TYPES[code]
            out.append(f"<ReadingQualityType><mRID>{code}</mRID><category>{category}</category>"
                       f"<subCategory>{sub}</subCategory><systemId>{system}</systemId>"
                       f"<Names><name>{escape(name)}</name></Names>"
                       "</ReadingQualityType>\n")  # fmt: skip
        for code, channel in sorted(self.types.items()):
            out.append(f"<ReadingType><mRID>{code}</mRID><Names><name>{escape(channel)}</name>"
                       "</Names></ReadingType>\n")  # fmt: skip
        out.append("</MeterReadings>\n")
        return "".join(out)
