"""How the meter commands print: rich tables for people, JSON and CSV for scripts,
progress bars on stderr (so that ``--json > file`` stays clean).

Values read from a meter are shown by :func:`text` (octet-strings as text when
printable, date-times in ISO 8601, other octets in hex) and made JSON by
:func:`jsonable` (octet-strings in hex, date-times in ISO 8601).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from openamr.cli.render import JsonValue, to_jsonable
from openamr.client.values import as_datetime
from openamr.codec import BitString, CompactArray, CosemDate, CosemDateTime, CosemTime, Table
from openamr.errors import DecodeError

#: Width of tables when stdout is not a terminal (pipes, files, tests).
PIPE_WIDTH = 200
_PRINTABLE = frozenset(range(0x20, 0x7F))


def console(stderr: bool = False) -> Console:
    c = Console(stderr=stderr, highlight=False)
    return c if c.is_terminal else Console(stderr=stderr, highlight=False, width=PIPE_WIDTH)


def iso(when: dt.datetime | None) -> str:
    return "" if when is None else when.isoformat()


def _octets(value: bytes) -> str:
    when = as_datetime(value) if len(value) == CosemDateTime.SIZE else None
    if when is not None:
        return iso(when)
    if len(value) == CosemDateTime.SIZE:
        with suppress(ValueError, DecodeError):
            return str(CosemDateTime.from_bytes(value))
    if value and all(b in _PRINTABLE for b in value):
        return value.decode("ascii")
    return value.hex(" ") if value else ""


def text(value: Any) -> str:
    """A value for a table cell."""
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
    if isinstance(value, (bytes, CosemDateTime)) and not isinstance(value, bool):
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
    t = RichTable(title=title, title_justify="left", show_header=header)
    for name in headers:
        t.add_column(name, overflow="fold")
    for row in rows:
        t.add_row(*row)
    console().print(t)


def pairs(title: str | None, items: Sequence[tuple[str, str]]) -> None:
    """A two-column table of names and values."""
    table(title, ("", ""), [list(item) for item in items], header=False)


def write_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(headers)
    out.writerows(["" if v is None else v for v in row] for row in rows)


def write_json(document: JsonValue) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


ProgressUpdate = Callable[[int, int | None], None]


@contextmanager
def progress(label: str) -> Iterator[ProgressUpdate]:
    """A progress bar on stderr (shown on a terminal only); yields ``update(done,
    total)`` (``total`` None while unknown: a spinner with the count)."""
    err = console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None = None) -> None:
            bar.update(task, completed=done, total=total)

        yield update
