"""``openamr profile URL OBIS``: a Profile generic's buffer (load profile, billing
profiles, log-books), whole, by time range or by entries, with column selection.

Register columns are scaled by their objects' scaler_unit (read once, in one
GET-with-list when allowed) and headed with their unit; ``--raw`` shows the
values as captured. Time stamps print in ISO 8601 with the meter's offset.

``--from``/``--to`` take ISO 8601; a time without an offset is the meter's local
time (the request's deviation is then "not specified"; :mod:`openamr.cli.times`).
``--entries A:B`` are 1-based and inclusive; ``A:`` reads to the newest entry.

A buffer has tens of thousands of cells: each column makes one formatter up front
(:meth:`Column.formatter`), integers are scaled by moving the decimal point of their
digits (:func:`~openamr.cli.output.scaled`, the text of ``Decimal(value).scaleb(scaler)``) and time
stamps go straight to ISO 8601 (:func:`~openamr.cli.output.iso_octets`).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from typing import Any, cast

import click

from openamr.apdu.descriptors import CosemAttributeDescriptor
from openamr.apdu.selective_access import CaptureObjectDefinition
from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import (
    iso_octets,
    iso_parts,
    jsonable,
    progress,
    scaled,
    table,
    text,
    write_csv,
    write_json,
)
from openamr.cli.render import JsonValue
from openamr.cli.times import parse_time
from openamr.client.meter import Meter
from openamr.client.values import Profile, scaler_of
from openamr.codec.datetime import CosemDateTime
from openamr.codec.obis import Obis
from openamr.codec.record import record
from openamr.codec.units import ScalerUnit
from openamr.cosem.scaling import scaler_attribute


@record
class Column:
    """A captured column and the scaler_unit of its object (None: shown as captured)."""

    capture: CaptureObjectDefinition
    scaler_unit: ScalerUnit | None = None

    @property
    def header(self) -> str:
        """``OBIS [unit]`` (``OBIS:attribute`` for another attribute than the value)."""
        c = self.capture
        name = (
            str(c.logical_name)
            if c.attribute_index == 2
            else f"{c.logical_name}:{c.attribute_index}"
        )
        unit = self.scaler_unit.unit.symbol if self.scaler_unit else ""
        return f"{name} [{unit}]" if unit else name

    @property
    def name(self) -> str:
        """What the column holds, in words (the device profile's name)."""
        from openamr.cli.names import column_name  # the names load for a table only

        c = self.capture
        return column_name(c.class_id, c.logical_name, c.attribute_index)

    @property
    def heading(self) -> str:
        """The table's heading: the header, and the name below it."""
        return f"{self.header}\n{self.name}" if self.name else self.header

    def _scaled(self, value: Any) -> bool:
        return (
            self.scaler_unit is not None
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        )

    def text(self, value: Any) -> str:
        if self._scaled(value) and self.scaler_unit is not None:
            if isinstance(value, int):
                return scaled(value, self.scaler_unit.scaler)
            return repr(float(self.scaler_unit.apply(value)))
        return text(value)

    def texts(self, values: Sequence[Any]) -> Iterable[str]:
        """:meth:`text` of each of ``values``: integers shown as they are in C."""
        types = set(map(type, values))
        if self.scaler_unit is None or self.scaler_unit.scaler == 0:
            if types <= {int}:
                return map(str, values)
            if types == {bytes} and set(map(len, values)) == {CosemDateTime.SIZE}:
                stamps = list(map(iso_octets, values))
                if None not in stamps:
                    return cast("list[str]", stamps)
        return map(self.formatter(), values)

    def formatter(self) -> Callable[[Any], str]:
        """:meth:`text` as one function for the whole column."""
        if self.scaler_unit is None:
            return text
        scaler, slow = self.scaler_unit.scaler, self.text
        if scaler == 0:
            return lambda value: str(value) if type(value) is int else slow(value)
        return lambda value: scaled(value, scaler) if type(value) is int else slow(value)

    def json(self, value: Any) -> JsonValue:
        if self._scaled(value) and self.scaler_unit is not None:
            return self.scaler_unit.apply(value)
        return jsonable(value)

    def describe(self) -> dict[str, JsonValue]:
        c, su = self.capture, self.scaler_unit
        return {
            "obis": str(c.logical_name), "class_id": c.class_id, "attribute": c.attribute_index,
            "name": self.name or None,
            "unit": su.unit.symbol if su else None, "scaler": su.scaler if su else None,
        }  # fmt: skip


def _scaler_descriptor(c: CaptureObjectDefinition) -> CosemAttributeDescriptor | None:
    scaler = scaler_attribute(c.class_id, c.attribute_index)
    if scaler is None:
        return None
    return CosemAttributeDescriptor(c.class_id, c.logical_name, scaler)


async def scale_columns(
    meter: Meter, captured: tuple[CaptureObjectDefinition, ...]
) -> list[Column]:
    """The columns with the scaler_units of their register objects."""
    wanted = {d for d in map(_scaler_descriptor, captured) if d is not None}
    descs = list(wanted)
    results = dict(zip(descs, await meter.get_many(descs), strict=True)) if descs else {}
    columns = []
    for c in captured:
        d = _scaler_descriptor(c)
        columns.append(Column(c, scaler_of(results.get(d)) if d is not None else None))
    return columns


MAX_ENTRY = 0xFFFFFFFF


def parse_entries(text: str | None) -> tuple[int, int] | None:
    """``"1:96"`` -> (1, 96); ``"100:"`` -> (100, 0) (to the newest)."""
    if text is None:
        return None
    first, sep, last = text.partition(":")
    try:
        entries = (int(first), int(last) if last else 0)
    except ValueError:
        entries = (0, -1)
    if not sep or entries[0] < 1 or entries[1] < 0 or (entries[1] and entries[1] < entries[0]):
        raise click.BadParameter(
            f"{text!r}: write A:B (1-based) or A: to the newest", param_hint="--entries"
        )
    if max(entries) > MAX_ENTRY:  # entry_descriptor: double-long-unsigned (Blue Book 4.3.6)
        raise click.BadParameter(
            f"{text!r}: an entry number is at most {MAX_ENTRY:,}", param_hint="--entries"
        )
    return entries


def check_range(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """--from after --to selects nothing: refused rather than answered with no rows."""
    if since is None or until is None:
        return
    naive = since.tzinfo is None, until.tzinfo is None
    if naive[0] != naive[1]:
        return  # one in the meter's time, one with an offset: the meter compares them
    if since > until:
        raise click.BadParameter(
            f"--from {since.isoformat()} is later than --to {until.isoformat()}",
            param_hint="--from/--to",
        )


def parse_columns(text: str | None) -> list[int | str] | None:
    """``"0,2"`` (0-based indexes) or OBIS codes, comma-separated."""
    if not text:
        return None
    return [int(p) if p.strip().isdigit() else p.strip() for p in text.split(",")]


def cells(columns: list[Column], rows: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    """The rows' text, formatted a column at a time."""
    width = len(columns)
    odd = next((row for row in rows if len(row) != width), None)
    if odd is not None:
        raise click.ClickException(
            f"the meter sent an entry of {len(odd)} values for {width} columns captured"
        )
    if not rows:
        return []
    values = zip(*rows, strict=True)
    by_column = [c.texts(column) for c, column in zip(columns, values, strict=True)]
    return list(zip(*by_column, strict=True))


def csv_body(columns: list[Column], rows: list[tuple[Any, ...]]) -> str | None:
    """The CSV lines of ``rows`` (no header) when every column is integers or
    12-octet date-times that are instants (a load profile): the text
    ``csv_text`` writes of :func:`cells`, made by one ``%`` of one format a row
    over the cells of all rows (``"%d"`` of an int is its ``str``), so that no
    Python function is called per cell and no string or tuple is made per row;
    None for any other rows (and for no columns), which take :func:`cells`."""
    if not rows or not columns:
        return None
    try:
        by_column = list(zip(*rows, strict=True))
    except ValueError:  # entries of different lengths
        return None
    if len(by_column) != len(columns):
        return None
    pieces: list[str] = []
    arguments: list[Iterable[Any]] = []
    for c, values in zip(columns, by_column, strict=True):
        scaler = c.scaler_unit.scaler if c.scaler_unit is not None else 0
        if _every(values, int):
            pieces.append("%s" if scaler else "%d")
            arguments.append(map(scaled, values, repeat(scaler)) if scaler else values)
        elif scaler == 0 and _every(values, bytes) and _sizes(values, CosemDateTime.SIZE):
            parts = iso_parts(values)
            if parts is None:
                return None
            pieces.append("%s%s")
            arguments.extend(parts)
        else:
            return None
    width = len(arguments)
    cells: list[Any] = [None] * (len(rows) * width)
    for i, column in enumerate(arguments):
        cells[i::width] = column  # row by row: cell i of each row
    return ((",".join(pieces) + "\n") * len(rows)) % tuple(cells)


def _every(values: Sequence[Any], kind: type) -> bool:
    """Whether each of ``values`` is of type ``kind`` itself (a bool is not an int
    here: its text is ``True``)."""
    return list(map(type, values)).count(kind) == len(values)


def _sizes(values: Sequence[bytes], size: int) -> bool:
    """Whether each of ``values`` is ``size`` octets long."""
    return list(map(len, values)).count(size) == len(values)


def show(profile: Profile, columns: list[Column], fmt: str) -> None:
    if fmt == "json":
        rows: list[JsonValue] = [
            [c.json(v) for c, v in zip(columns, row, strict=True)] for row in profile.rows
        ]
        described: list[JsonValue] = [c.describe() for c in columns]
        write_json({"obis": str(profile.logical_name), "columns": described, "rows": rows})
        return
    if fmt == "csv" and (body := csv_body(columns, profile.rows)) is not None:
        write_csv([c.header for c in columns], [], body)
        return
    rows_text = cells(columns, profile.rows)
    if fmt == "csv":
        write_csv([c.header for c in columns], rows_text)
    else:
        title = f"{profile.logical_name}: {len(profile.rows)} entries"
        table(title, [c.heading for c in columns], rows_text)


async def read_profile(
    meter: Meter, obis: Obis, start: dt.datetime | None, end: dt.datetime | None,
    entries: tuple[int, int] | None, columns: list[int | str] | None, raw: bool,
) -> tuple[Profile, list[Column]]:  # fmt: skip
    with progress(f"reading {obis}") as update:
        profile = await meter.profile(
            obis, start, end, entries, columns, progress=lambda n: update(n, None)
        )
    if raw:
        return profile, [Column(c) for c in profile.columns]
    return profile, await scale_columns(meter, profile.columns)


@click.command("profile")
@meter_options
@click.argument("obis", metavar="OBIS")
@click.option("--from", "start", metavar="ISO", help="First capture time (inclusive).")
@click.option("--to", "end", metavar="ISO", help="Last capture time (inclusive).")
@click.option("--entries", metavar="A:B", help="Entries A to B (1-based); A: to the newest.")
@click.option("--columns", metavar="LIST", help="Columns by 0-based index or OBIS, e.g. 0,2.")
@click.option("--raw", is_flag=True, help="Values as captured, without scalers.")
@format_option("json", "csv")
def profile_command(
    url: MeterOptions, obis: str, start: str | None, end: str | None, entries: str | None,
    columns: str | None, raw: bool, fmt: str,
) -> None:  # fmt: skip
    """Read a profile's buffer (load profile, billing values), scaled.

    \b
      openamr profile tcp://10.0.0.5:4059 1.0.99.1.0.255 --from 2026-01-01T00:00 --csv
    """
    try:
        name = Obis.parse(obis)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="OBIS") from None
    since, until = parse_time(start, "--from"), parse_time(end, "--to")
    check_range(since, until)
    span = parse_entries(entries)
    if span and (since or until):
        raise click.UsageError("use --from/--to or --entries, not both")
    wanted = parse_columns(columns)

    async def go() -> tuple[Profile, list[Column], str | None]:
        async with url.connect() as meter:
            read = await read_profile(meter, name, since, until, span, wanted, raw)
            held = None
            if not read[0].rows and (since or until or span):
                held = await holdings(meter, name)
            return *read, held

    with collector_paused():
        profile, shown, held = url.run(go)
        show(profile, shown, fmt)
    if held is not None:
        flags = [("--entries", entries), ("--from", start), ("--to", end)]
        asked = " ".join(f"{flag} {value}" for flag, value in flags if value is not None)
        raise click.ClickException(
            f"no entry of {name} for {asked}: {held}; choose a range inside it"
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off while a buffer is read and printed: its rows are
    tens of thousands of tuples that hold no cycle, which each collection on the
    way would walk again (~10 M instructions for 17,520 rows, callgrind)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


async def holdings(meter: Meter, obis: Obis) -> str:
    """How many entries the buffer holds and the span of their first time stamp, in
    words (Blue Book 4.3.6: entries_in_use, attribute 7; the first and last entries
    read by entry_descriptor)."""
    count = await meter.get(obis, 7, class_id=7)
    if not isinstance(count, int) or count <= 0:
        return "the meter holds no entries in it yet"
    first = await meter.profile(obis, entries=(1, 1))
    last = await meter.profile(obis, entries=(count, count))
    stamps = [_stamp(p.rows[0]) if p.rows else None for p in (first, last)]
    span = f", from {stamps[0]} to {stamps[1]}" if None not in stamps else ""
    return f"the meter holds {count:,} entries (--entries 1:{count}){span}"


def _stamp(row: tuple[Any, ...]) -> str | None:
    """The row's first value that is a date-time, in ISO 8601."""
    for value in row:
        if isinstance(value, bytes) and len(value) == CosemDateTime.SIZE:
            return iso_octets(value)
        if isinstance(value, dt.datetime):
            return value.isoformat()
    return None
