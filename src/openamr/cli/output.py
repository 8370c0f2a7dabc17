"""How the meter commands print: rich tables for people, JSON and CSV for scripts,
progress bars on stderr (so that ``--json > file`` stays clean).

Values read from a meter are shown by :func:`text` (octet-strings as text when
printable, date-times in ISO 8601, other octets in hex) and made JSON by
:func:`jsonable` (octet-strings in hex, date-times in ISO 8601).

A profile has one time stamp a row, so :func:`iso_octets` reads a COSEM date-time
(Blue Book 4.1.6.1) straight to ISO 8601, checked equal to the way through
:class:`~openamr.codec.CosemDateTime` by a property test. rich is imported only
when a table or a progress bar is drawn (it costs more to import than a CSV of a
day of rows costs to write).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from openamr.cli.render import JsonValue, to_jsonable
from openamr.client.values import as_datetime
from openamr.codec import BitString, CompactArray, CosemDate, CosemDateTime, CosemTime, Table
from openamr.errors import DecodeError

if TYPE_CHECKING:
    from rich.console import Console

#: Width of tables when stdout is not a terminal (pipes, files, tests).
PIPE_WIDTH = 200
_PRINTABLE = frozenset(range(0x20, 0x7F))
#: The ISO 8601 text of the parts of the date-times seen: the date (octets 0-3: year,
#: month, day), the time (5-8) and the offset (9-10); None: not one instant.
_DAYS: dict[bytes, str | None] = {}
_TIMES: dict[bytes, str | None] = {}
_OFFSETS: dict[bytes, str | None] = {}


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    c = Console(stderr=stderr, highlight=False)
    return c if c.is_terminal else Console(stderr=stderr, highlight=False, width=PIPE_WIDTH)


def iso(when: dt.datetime | None) -> str:
    return "" if when is None else when.isoformat()


def iso_octets(value: bytes) -> str | None:
    """A 12-octet COSEM date-time in ISO 8601 (with the offset when the deviation is
    given); None when it is not one instant (wildcards, out of range): the text of
    ``as_datetime(value)``. A profile's stamps share a few days, times and offsets,
    so each part is worked out once and looked up after that."""
    try:
        day, time, offset = _DAYS[value[:4]], _TIMES[value[5:9]], _OFFSETS[value[9:11]]
    except KeyError:
        day, time, offset = _day(value[:4]), _time(value[5:9]), _offset(value[9:11])
    if day is None or time is None or offset is None:
        return None
    return f"{day}T{time}{offset}"


_DATE, _CLOCK = itemgetter(slice(0, 4)), itemgetter(slice(5, 11))


def iso_parts(values: Sequence[bytes]) -> tuple[Iterator[str], Iterator[str]] | None:
    """The :func:`iso_octets` of every one of ``values`` (12-octet date-times) in
    two parts, the date with the ``T`` and the time with the offset, each an
    iterator over the column (their concatenation is the stamp); None when one of
    them is not one instant. No Python function is called per value: the column
    is sliced and looked up by C iterators, after the few distinct parts (octets
    0-3 and 5-10) are worked out once."""
    dates, clocks = list(map(_DATE, values)), list(map(_CLOCK, values))
    date_text: dict[bytes, str | None] = {}
    for octets in set(dates):
        day = _DAYS[octets] if octets in _DAYS else _day(octets)
        date_text[octets] = None if day is None else f"{day}T"
    clock_text: dict[bytes, str | None] = {}
    for octets in set(clocks):
        time, offset = octets[:4], octets[4:]
        t = _TIMES[time] if time in _TIMES else _time(time)
        o = _OFFSETS[offset] if offset in _OFFSETS else _offset(offset)
        clock_text[octets] = None if t is None or o is None else f"{t}{o}"
    if None in date_text.values() or None in clock_text.values():
        return None
    texts = cast("tuple[dict[bytes, str], dict[bytes, str]]", (date_text, clock_text))
    return map(texts[0].__getitem__, dates), map(texts[1].__getitem__, clocks)


def scaled(value: int, scaler: int) -> str:
    """``value * 10**scaler`` in decimal, as many places as the scaler gives:
    ``scaled(12345, -3) == "12.345"``, ``scaled(0, -3) == "0.000"``,
    ``scaled(5, 2) == "500"`` (what ``format(Decimal(value).scaleb(scaler), "f")``
    prints for every integer a meter sends)."""
    if scaler >= 0:
        return str(value * 10**scaler)
    digits = str(abs(value)).rjust(1 - scaler, "0")
    return f"{'-' if value < 0 else ''}{digits[:scaler]}.{digits[scaler:]}"


def _day(octets: bytes) -> str | None:
    year, month, day = int.from_bytes(octets[:2], "big"), octets[2], octets[3]
    text = None
    if year != 0xFFFF and month <= 12 and day <= 31:
        with suppress(ValueError):
            text = dt.date(year, month, day).isoformat()
    _DAYS[octets] = text
    return text


def _time(octets: bytes) -> str | None:
    hour, minute, second, hundredths = octets
    text = None
    if hour != 0xFF and minute != 0xFF:
        second = 0 if second == 0xFF else second  # not specified: 0
        hundredths = 0 if hundredths == 0xFF else hundredths
        with suppress(ValueError):
            text = dt.time(hour, minute, second, hundredths * 10_000).isoformat()
    _TIMES[octets] = text
    return text


def _offset(octets: bytes) -> str | None:
    """The deviation (minutes of UTC - local) as an ISO 8601 offset; "" unspecified."""
    deviation = int.from_bytes(octets, "big", signed=True)
    text: str | None = ""
    if deviation != -0x8000:
        try:
            zone = dt.timezone(dt.timedelta(minutes=-deviation))
            text = dt.datetime(2000, 1, 1, tzinfo=zone).isoformat()[19:]
        except ValueError:
            text = None
    _OFFSETS[octets] = text
    return text


def _octets(value: bytes) -> str:
    if len(value) == CosemDateTime.SIZE:
        stamp = iso_octets(value)
        if stamp is not None:
            return stamp
        with suppress(ValueError, DecodeError):
            return str(CosemDateTime.from_bytes(value))
    if value and all(b in _PRINTABLE for b in value):
        return value.decode("ascii")
    return value.hex(" ") if value else ""


def text(value: Any) -> str:
    """A value for a table cell."""
    if type(value) is int:
        return str(value)
    if type(value) is bytes and len(value) == CosemDateTime.SIZE:
        stamp = iso_octets(value)
        if stamp is not None:
            return stamp
    if value is None:
        return "-"
    if isinstance(value, bytes):
        return _octets(value)
    if isinstance(value, CosemDateTime):
        when = as_datetime(value)
        return iso(when) if when is not None else str(value)
    if isinstance(value, (CosemDate, CosemTime, BitString)):
        return str(value)
    if isinstance(value, CompactArray):
        value = value.values
    if isinstance(value, (list, tuple, Table)):
        inner = ", ".join(text(v) for v in value)
        return f"[{inner}]" if isinstance(value, list | Table) else f"{{{inner}}}"
    return str(value)


def jsonable(value: Any) -> JsonValue:
    """A value for JSON: date-times in ISO 8601, other octet-strings in hex."""
    if isinstance(value, bytes) and len(value) == CosemDateTime.SIZE:
        stamp = iso_octets(value)
        if stamp is not None:
            return stamp
    if isinstance(value, CosemDateTime):
        when = as_datetime(value)
        if when is not None:
            return iso(when)
    if isinstance(value, bytes) and len(value) == CosemDateTime.SIZE:
        with suppress(ValueError, DecodeError):
            return str(CosemDateTime.from_bytes(value))
    if isinstance(value, (list, tuple)) and not isinstance(value, Table):
        return [jsonable(v) for v in value]
    if isinstance(value, Table):
        return [jsonable(row) for row in value.rows]
    if isinstance(value, dt.datetime):
        return iso(value)
    return to_jsonable(value)


def table(
    title: str | None, headers: Sequence[str], rows: Sequence[Sequence[str]], header: bool = True
) -> None:
    """Print a rich table on stdout."""
    from rich.table import Table as RichTable

    t = RichTable(title=title, title_justify="left", show_header=header)
    for name in headers:
        t.add_column(name, overflow="fold")
    for row in rows:
        t.add_row(*row)
    console().print(t)


def pairs(title: str | None, items: Sequence[tuple[str, str]]) -> None:
    """A two-column table of names and values."""
    table(title, ("", ""), [list(item) for item in items], header=False)


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[object]], more: str = "") -> None:
    """Rows as CSV on stdout, then ``more`` (lines already CSV), in one write
    (stdout may be unbuffered)."""
    sys.stdout.write(csv_text(headers, rows) + more)


def csv_text(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The text ``csv.writer(..., lineterminator="\\n")`` writes for ``headers`` and
    ``rows`` (None as an empty field). Text cells that need no quoting (the whole
    of a profile) are joined directly, which is several times faster."""
    lines = [headers, *rows]
    if set(map(type, chain.from_iterable(lines))) <= {str} and min(map(len, lines)) >= 2:
        texts = cast("list[Sequence[str]]", lines)
        joined = "\n".join(map(",".join, texts)) + "\n"
        commas = sum(map(len, lines)) - len(lines)
        plain = '"' not in joined and "\r" not in joined
        if plain and joined.count(",") == commas and joined.count("\n") == len(lines):
            return joined
    import csv  # loaded for cells that need quoting only

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)  # None: an empty field
    return buffer.getvalue()


def write_json(document: JsonValue) -> None:
    import json

    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


ProgressUpdate = Callable[[int, int | None], None]


def _no_progress(done: int, total: int | None = None) -> None:
    """The update of a progress bar that is not shown."""


def _may_be_terminal(stream: object) -> bool:
    """Whether rich could take ``stream`` for a terminal; False spares importing rich."""
    forced = any(os.environ.get(k) for k in ("FORCE_TERMINAL", "FORCE_COLOR", "TTY_COMPATIBLE"))
    isatty = getattr(stream, "isatty", None)
    return forced or (callable(isatty) and bool(isatty()))


@contextmanager
def progress(label: str) -> Iterator[ProgressUpdate]:
    """A progress bar on stderr (shown on a terminal only); yields ``update(done,
    total)`` (``total`` None while unknown: a spinner with the count)."""
    if not _may_be_terminal(sys.stderr) or not (err := console(stderr=True)).is_terminal:
        yield _no_progress
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None = None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
