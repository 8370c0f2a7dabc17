"""CSV (RFC 4180, "\\n" line ends): one line per reading, with its quality.

Columns: ``meter, channel, time, value, unit, status, quality, method, original``:
time in ISO 8601 UTC (a profile entry: the end of its interval), status the profile's
status byte in hex, quality the flags by name joined by ``;`` (the head-end's:
``meter_flagged``, ``estimated``, ``edited``, ``clock_suspect``; then VEE's: ``gap``,
``zero_run``, ``spike``, ``backwards``, ``energy``, ``meter_status``, ``invalid``), method
how VEE made the value (``linear``, ``similar_days``; empty: as read), original the raw
value VEE replaced.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openamr.headend.exports import ExportRow, iso, number

COLUMNS = ("meter", "channel", "time", "value", "unit", "status", "quality", "method", "original")


class CsvWriter:
    def begin(self) -> str:
        return ",".join(COLUMNS) + "\n"

    def rows(self, rows: Sequence[ExportRow]) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows(
            (r.serial, r.channel, iso(r.ts), number(r.value), r.unit,
             "" if r.status is None else f"0x{r.status:02x}", ";".join(r.quality_names()),
             r.method, "" if r.original is None else number(r.original))
            for r in rows
        )  # fmt: skip
        return buffer.getvalue()

    def end(self) -> str:
        return ""
