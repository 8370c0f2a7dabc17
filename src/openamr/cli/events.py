"""``openamr events URL [OBIS]``: a log-book (default the MT372's event log
1.0.99.98.0.255) with the events' names (docs/mt372.md).

Codes without bit 15 are bit flags and may combine ("billing reset, power
failure"); codes with bit 15 are whole values ("meter cover opened").
"""

from __future__ import annotations

import click

from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import iso, progress, table, write_csv, write_json
from openamr.client.values import Event
from openamr.codec.obis import Obis

EVENT_LOG = "1.0.99.98.0.255"


def show(events: list[Event], fmt: str, title: str) -> None:
    if fmt == "json":
        write_json([{"time": iso(e.time) or None, "code": e.code, "name": e.name} for e in events])
        return
    if fmt == "csv":
        write_csv(("time", "code", "event"), [[iso(e.time), e.code, e.name] for e in events])
    else:
        lines = [[str(n), iso(e.time), f"0x{e.code:04x}", e.name] for n, e in enumerate(events, 1)]
        table(title, ("#", "time", "code", "event"), lines)


@click.command("events")
@meter_options
@click.argument("obis", metavar="[OBIS]", default=EVENT_LOG)
@click.option("--from", "start", metavar="ISO", help="First event time (inclusive).")
@click.option("--to", "end", metavar="ISO", help="Last event time (inclusive).")
@click.option("--last", type=click.IntRange(1), default=None, help="Only the newest N events.")
@format_option("json", "csv")
def events_command(
    url: MeterOptions, obis: str, start: str | None, end: str | None, last: int | None, fmt: str
) -> None:
    """Read the event log, with event names (--from/--to: as for `openamr profile`)."""
    from openamr.cli.times import parse_time

    since, until = parse_time(start, "--from"), parse_time(end, "--to")
    try:
        name = Obis.parse(obis)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="OBIS") from None

    async def go() -> list[Event]:
        async with url.connect() as meter:
            with progress(f"reading {name}"):
                return await meter.events(name, since, until)

    events = url.run(go)
    events = events[-last:] if last else events
    show(events, fmt, f"{name}: {len(events)} event{'' if len(events) == 1 else 's'}")
