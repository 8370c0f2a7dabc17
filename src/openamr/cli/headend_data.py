"""``openamr headend readings``, ``vee`` and ``export``: the stored readings, their
quality and the data out (docs/vee.md, docs/exports.md)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any, TextIO

import click

from openamr.cli.headend import (
    ISO,
    Context,
    _epoch,
    _options,
    _run,
    _utc,
    _with_store,
    pass_context,
)
from openamr.cli.options import format_option

if TYPE_CHECKING:
    from openamr.headend.model import MeterRecord
    from openamr.headend.store import Store
    from openamr.headend.vee import Rules

_RULES = (
    click.option("--period", type=click.IntRange(60, 86400), default=900, show_default=True,
                 help="Seconds between profile entries."),
    click.option("--linear-max", type=click.IntRange(0), default=4, show_default=True,
                 help="Gaps of up to this many intervals are estimated linearly."),
    click.option("--similar-weeks", type=click.IntRange(0, 52), default=4, show_default=True,
                 help="Weeks looked back for similar days (longer gaps)."),
    click.option("--spike-factor", type=click.FloatRange(1, min_open=True), default=20.0,
                 show_default=True, help="A spike: this many times the median interval."),
    click.option("--spike-min", type=click.FloatRange(0), default=1000.0, show_default=True,
                 help="Wh: an interval below this is never a spike."),
    click.option("--max-interval", type=click.FloatRange(0, min_open=True), default=17250.0,
                 show_default=True, help="Wh: the most one interval can hold."),
    click.option("--zero-run", type=click.IntRange(1), default=96, show_default=True,
                 help="Consecutive zero intervals flagged."),
    click.option("--energy-tolerance", type=click.FloatRange(0), default=0.01,
                 show_default=True, help="Profile against register advance, relative."),
)  # fmt: skip


def rules_options(command: Any) -> Any:
    for option in reversed(_RULES):
        command = option(command)
    return command


def rules_of(values: dict[str, Any]) -> Rules:
    from openamr.headend.vee import Rules

    return Rules(**{k: values.pop(k) for k in list(values) if k in Rules.__dataclass_fields__})


async def _selected(store: Store, meter: tuple[str, ...], group: str | None) -> list[MeterRecord]:
    if meter:
        return [await store.meter(s) for s in meter]
    found = await store.meters(group=group, state=None)
    if group is not None and not found:
        raise click.ClickException(
            f"no meter in group {group!r}; see 'openamr headend meters list'"
        )
    return found


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[int | None, int | None]:
    first, last = _utc(start), _utc(end)
    if first is not None and last is not None and last < first:
        raise click.UsageError("--to is before --from: give the range in order")
    return first, last


@click.command("vee")
@click.option("--meter", multiple=True, metavar="SERIAL", help="This meter (repeatable).")
@click.option("--group", default=None, help="Every meter of this group.")
@click.option("--from", "start", type=click.DateTime(ISO), required=True, help="UTC.")
@click.option("--to", "end", type=click.DateTime(ISO), default=None,
              help="UTC, inclusive (default: now).")  # fmt: skip
@rules_options
@format_option("json")
@pass_context
def vee_command(
    ctx: Context, /, meter: tuple[str, ...], group: str | None, start: dt.datetime,
    end: dt.datetime | None, fmt: str, **rules: Any,
) -> None:  # fmt: skip
    """Validate the stored load profiles, estimate their gaps, edit what is out of line.
    The raw readings stay as read; findings go beside them (docs/vee.md). Without
    --meter or --group: every meter."""
    from openamr.cli.output import table, write_json
    from openamr.headend import quality

    try:
        chosen = rules_of(rules)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    first, last = _range(start, end)
    assert first is not None

    async def work(store: Store) -> dict[str, Any]:
        meters = await _selected(store, meter, group)
        if not meters:
            raise click.ClickException("no meters; see 'openamr headend meters list'")
        report = await quality.run(store, meters, first, last or _epoch(), chosen, _epoch())
        return report.as_dict()

    out = _run(lambda: _with_store(ctx, work))
    if fmt == "json":
        write_json(out)
        return
    flags = ", ".join(f"{k} {v}" for k, v in sorted(out["flags"].items())) or "none"
    table(f"VEE of {out['meters']} meters", ("intervals", "findings", "estimated", "edited",
          "flags"), [[str(out["intervals"]), str(out["findings"]), str(out["estimated"]),
                      str(out["edited"]), flags]])  # fmt: skip


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "cim", "mscons"]), default=None,
              help="csv, cim (IEC 61968-9 MeterReadings XML) or mscons (EDIFACT).")  # fmt: skip
@click.option("--csv", "as_csv", is_flag=True, help="The same as --format csv.")
@click.option("--meter", multiple=True, metavar="SERIAL", help="This meter (repeatable).")
@click.option("--group", default=None, help="Every meter of this group.")
@click.option("--channel", default=None, help="e.g. 1.0.1.8.0.255:2")
@click.option("--from", "start", type=click.DateTime(ISO), default=None, help="UTC.")
@click.option("--to", "end", type=click.DateTime(ISO), default=None, help="UTC, inclusive.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="File to write ('-': standard output).")  # fmt: skip
@click.option("--sender", default="OPENAMR", show_default=True,
              help="MSCONS: the sender's code (13 digits: a BDEW code).")  # fmt: skip
@click.option("--receiver", default="RECEIVER", show_default=True,
              help="MSCONS: the receiver's code.")  # fmt: skip
@pass_context
def export_command(
    ctx: Context, /, fmt: str | None, as_csv: bool, meter: tuple[str, ...], group: str | None,
    channel: str | None, start: dt.datetime | None, end: dt.datetime | None, output: str,
    sender: str, receiver: str,
) -> None:  # fmt: skip
    """Stored readings with their quality flags and VEE's estimates, streamed to a
    file (docs/exports.md). Without --meter or --group: every meter."""
    from openamr.headend.exports.source import rows as export_rows
    from openamr.headend.exports.source import writer_for

    if fmt is None and not as_csv:
        raise click.UsageError("give --format csv, cim or mscons")
    kind = fmt or "csv"
    first, last = _range(start, end)
    writer = writer_for(kind, _epoch(), first, last, sender, receiver)

    async def work(store: Store) -> int:
        meters = await _selected(store, meter, group)
        target: TextIO = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
        count = 0
        try:
            target.write(writer.begin())
            async for batch in export_rows(store, meters, first, last, channel):
                count += len(batch)
                target.write(writer.rows(batch))
            target.write(writer.end())
        finally:
            if target is not sys.stdout:
                target.close()
        return count

    count = _run(lambda: _with_store(ctx, work))
    if output != "-":
        click.echo(f"{count} readings to {output} ({kind})", err=True)


_SELECT = (
    click.option("--meter", "serial", default=None, metavar="SERIAL"),
    click.option("--channel", default=None, help="e.g. 1.0.1.8.0.255:2"),
    click.option("--from", "start", type=click.DateTime(ISO), default=None, help="UTC."),
    click.option("--to", "end", type=click.DateTime(ISO), default=None, help="UTC, inclusive."),
)


_select_options = _options(*_SELECT)


@click.command("readings")
@_select_options
@click.option("--limit", type=click.IntRange(1), default=100, show_default=True)
@format_option("json", "csv")
@pass_context
def readings_command(
    ctx: Context,
    /,
    serial: str | None,
    channel: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
    fmt: str,
) -> None:
    """Stored readings, with units, status and quality flags."""
    from openamr.cli.output import table, write_csv, write_json
    from openamr.headend.service import READING_COLUMNS, reading_rows

    first, last = _utc(start), _utc(end)
    rows = _run(
        lambda: _with_store(ctx, lambda s: reading_rows(s, serial, first, last, channel, limit))
    )
    if fmt == "json":
        write_json([dict(zip(READING_COLUMNS, r, strict=True)) for r in rows])
    elif fmt == "csv":
        write_csv(READING_COLUMNS, rows)
    else:
        table(f"{len(rows)} readings", READING_COLUMNS, [[str(v) for v in r] for r in rows])
