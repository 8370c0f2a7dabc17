"""EDIFACT MSCONS (metered services consumption report, UN/EDIFACT directory D.04B,
the version the German market's EDI@Energy guide 2.4c builds on): load-profile energy
per interval, with the quality of each value.

One interchange (``UNA``, ``UNB`` ... ``UNZ`` with the count of messages), one message
per meter (``UNH`` ... ``UNT`` with the count of its segments)::

    UNH+1+MSCONS:D:04B:UN:2.4c'      message header
    BGM+7+<document>+9'              a metered data report, original
    DTM+137:<created>?+00:303'       document date, UTC
    NAD+MS+<sender>::<agency>'       sender; NAD+MR: receiver
    UNS+D'                           detail section
    NAD+DP'                          delivery party
    LOC+172+<serial>'                the metering point (here: the meter's serial)
    DTM+163/164:...'                 the period reported (from, to)
    LIN+<n>'                         one line item per profile channel (and per 9,999 values)
    PIA+5+1-0?:1.29.0:SRW'           its OBIS code: the energy of each interval
    QTY+220:<kWh>:KWH'               a value: 220 true value, 67 substitute (VEE's)
    DTM+163/164:...'                 the interval's start and end, UTC
    UNT+<segments>+1'

An interval's energy is the difference of two consecutive profile entries (the
profile captures the registers, docs/mt372.md); it is a substitute (67) when VEE
estimated or edited either end. Registers (billing values) are not in this message.
Special characters in data are escaped with the release character ``?``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openamr.headend.exports import ExportRow
from openamr.headend.model import Quality

TRUE, SUBSTITUTE = "220", "67"
MAX_QTY = 9999  # QTY repeats in one LIN group (D.04B MSCONS, segment group 10)
#: the unit the store keeps -> (EDIFACT unit, divisor)
UNITS = {"Wh": ("KWH", 1000.0), "kWh": ("KWH", 1.0), "varh": ("KVR", 1000.0)}


def release(text: str) -> str:
    """Escape the service characters (ISO 9735 UNA: ? release, ' + : separators)."""
    return "".join("?" + c if c in "?'+:" else c for c in text)


def stamp(ts: int) -> str:
    """Format 303: CCYYMMDDHHMM and the UTC offset, the + released."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y%m%d%H%M") + "?+00"


def obis_code(channel: str) -> str:
    """A profile column's OBIS as EDI@Energy writes it, D set to 29 (energy per
    interval, IEC 62056-61): ``.../1.0.1.8.0.255:2`` -> ``1-0?:1.29.0``."""
    a, b, c, _d, e, _f = channel.rsplit("/", 1)[-1].split(":", 1)[0].split(".")
    return f"{a}-{b}?:{c}.29.{e}"


def quantity(kwh: float) -> str:
    text = f"{kwh:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


class MsconsWriter:
    def __init__(
        self, created: int, reference: str, sender: str = "OPENAMR", receiver: str = "RECEIVER",
        period: tuple[int, int] | None = None, interval: int = 900, max_qty: int = MAX_QTY,
    ) -> None:  # fmt: skip
        if not reference.isalnum() or len(reference) > 14:
            raise ValueError(f"interchange reference {reference!r}: up to 14 letters or digits")
        self.created, self.reference = created, reference
        self.sender, self.receiver = sender, receiver
        self.period, self.interval = period, interval
        self.max_qty = max_qty
        self.messages = 0
        self.segments = 0  # in the open message
        self.meter: str | None = None
        self.channel: str | None = None
        self.quantities = 0  # in the open LIN
        self.lines = 0
        self.previous: tuple[int, float, bool] | None = None  # ts, value, substitute

    @staticmethod
    def _party(code: str) -> tuple[str, str]:
        """(UNB qualifier, NAD agency): BDEW codes have 13 digits, others are mutual."""
        return ("500", "293") if code.isdigit() and len(code) == 13 else ("ZZ", "ZZZ")

    def _segment(self, text: str) -> str:
        self.segments += 1
        return text + "'"

    def begin(self) -> str:
        when = dt.datetime.fromtimestamp(self.created, dt.UTC)
        (q_from, _), (q_to, _) = self._party(self.sender), self._party(self.receiver)
        return (f"UNA:+.? 'UNB+UNOC:3+{release(self.sender)}:{q_from}+"
                f"{release(self.receiver)}:{q_to}+{when:%y%m%d}:{when:%H%M}+"
                f"{self.reference}'\n")  # fmt: skip

    def _open(self, serial: str) -> str:
        self.messages += 1
        self.segments = 0
        self.meter, self.channel, self.previous, self.lines = serial, None, None, 0
        (_, a_from), (_, a_to) = self._party(self.sender), self._party(self.receiver)
        parts = [
            f"UNH+{self.messages}+MSCONS:D:04B:UN:2.4c",
            f"BGM+7+{self.reference}{self.messages:06d}+9",
            f"DTM+137:{stamp(self.created)}:303",
            f"NAD+MS+{release(self.sender)}::{a_from}",
            f"NAD+MR+{release(self.receiver)}::{a_to}",
            "UNS+D",
            "NAD+DP",
            f"LOC+172+{release(serial)}",
        ]
        if self.period is not None:
            parts += [
                f"DTM+163:{stamp(self.period[0])}:303",
                f"DTM+164:{stamp(self.period[1])}:303",
            ]
        return "".join(self._segment(p) for p in parts) + "\n"

    def _close(self) -> str:
        if self.meter is None:
            return ""
        self.meter = None
        count = self.segments + 1
        return f"UNT+{count}+{self.messages}'\n"

    def _line(self, channel: str) -> str:
        self.lines += 1
        self.quantities = 0
        return (self._segment(f"LIN+{self.lines}")
                + self._segment(f"PIA+5+{obis_code(channel)}:SRW"))  # fmt: skip

    def rows(self, rows: Sequence[ExportRow]) -> str:
        out: list[str] = []
        for r in rows:
            if r.serial != self.meter:
                out.append(self._close())
                out.append(self._open(r.serial))
            if not r.profile or r.unit not in UNITS:
                continue
            substitute = bool(r.quality & (Quality.ESTIMATED | Quality.EDITED))
            if r.channel != self.channel:  # a new LIN at its first value
                self.channel, self.previous, self.quantities = r.channel, None, self.max_qty
            previous, self.previous = self.previous, (r.ts, r.value, substitute)
            if previous is None or r.ts - previous[0] != self.interval:
                continue  # the first entry, or after a gap: no interval ends here
            if self.quantities >= self.max_qty:
                out.append(self._line(r.channel))
            unit, divisor = UNITS[r.unit]
            qualifier = SUBSTITUTE if substitute or previous[2] else TRUE
            energy = quantity((r.value - previous[1]) / divisor)
            self.quantities += 1
            out.append(self._segment(f"QTY+{qualifier}:{energy}:{unit}")
                       + self._segment(f"DTM+163:{stamp(previous[0])}:303")
                       + self._segment(f"DTM+164:{stamp(r.ts)}:303") + "\n")  # fmt: skip
        return "".join(out)

    def end(self) -> str:
        return self._close() + f"UNZ+{self.messages}+{self.reference}'\n"
