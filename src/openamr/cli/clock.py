"""``openamr clock URL [--set ISO | --sync]``: the meter's time (Clock
0.0.1.0.0.255 attribute 2), the system's time and the difference; set it, or
synchronise it to the system's time when it is off by more than a threshold.

Times follow :mod:`openamr.cli.times`: ``--set`` takes ISO 8601, a time without an
offset being the meter's local time (sent without a deviation: the meter places it
in its own zone); the system's time is shown in the meter's offset. A time the meter
gives without a deviation is compared as a wall-clock time of the system's zone.
"""

from __future__ import annotations

import datetime as dt

import click

from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import iso, pairs, write_json
from openamr.cli.times import in_offset_of, parse_time
from openamr.client.meter import Meter
from openamr.codec.record import record


@record
class ClockReport:
    meter_time: dt.datetime
    system_time: dt.datetime
    adjusted: bool = False
    before: dt.timedelta | None = None  # the difference before --set / --sync

    @property
    def difference(self) -> dt.timedelta:
        """meter - system (positive: the meter is ahead)."""
        meter = self.meter_time
        if meter.tzinfo is None:
            meter = meter.replace(tzinfo=self.system_time.tzinfo)
        return meter - self.system_time


def system_now() -> dt.datetime:
    """The system's time, aware, in its local zone."""
    return dt.datetime.now(dt.UTC).astimezone()


async def report(
    meter: Meter, adjusted: bool = False, before: dt.timedelta | None = None
) -> ClockReport:
    meter_time = await meter.clock()
    return ClockReport(meter_time, in_offset_of(system_now(), meter_time), adjusted, before)


async def clock(
    meter: Meter, set_to: dt.datetime | None, sync: bool, threshold: float
) -> ClockReport:
    if set_to is not None:
        before = (await report(meter)).difference
        await meter.set_clock(set_to)  # naive: the meter's local time
        return await report(meter, True, before)
    if sync:
        result = await meter.sync_clock(system_now(), dt.timedelta(seconds=threshold))
        return await report(meter, result.adjusted, result.offset)
    return await report(meter)


def _seconds(delta: dt.timedelta) -> str:
    """``+1.5 s``, ``-0.3 s``; a difference that rounds to zero is ``0.0 s`` (no sign)."""
    text = f"{delta.total_seconds():+.1f}"
    return f"{'0.0' if text in ('+0.0', '-0.0') else text} s"


def show(r: ClockReport, fmt: str) -> None:
    if fmt == "json":
        doc: dict[str, str | float | bool | None] = {
            "meter_time": iso(r.meter_time), "system_time": iso(r.system_time),
            "difference_s": r.difference.total_seconds(), "adjusted": r.adjusted,
            "difference_before_s": None if r.before is None else r.before.total_seconds(),
        }  # fmt: skip
        write_json(doc)  # type: ignore[arg-type]
        return
    items = [("meter time", iso(r.meter_time)), ("system time", iso(r.system_time)),
             ("difference", f"{_seconds(r.difference)} (meter - system)")]  # fmt: skip
    if r.before is not None:
        items.append(("before", _seconds(r.before)))
        items.append(("adjusted", "yes" if r.adjusted else "no (within the threshold)"))
    pairs(None, items)


@click.command("clock")
@meter_options
@click.option(
    "--set",
    "set_to",
    metavar="ISO",
    help="Set the meter's time, e.g. 2026-03-01T12:00 (its local time) or ...T12:00+01:00.",
)
@click.option(
    "--sync", is_flag=True, help="Set it to the system's time if off by more than --threshold."
)
@click.option("--threshold", type=click.FloatRange(0), default=10.0, show_default=True,
              help="Seconds of difference that --sync tolerates.")  # fmt: skip
@format_option("json")
def clock_command(
    url: MeterOptions, set_to: str | None, sync: bool, threshold: float, fmt: str
) -> None:
    """Show the meter's time against the system's; set or sync it."""
    if set_to and sync:
        raise click.UsageError("use --set or --sync, not both")
    when = parse_time(set_to, "--set")

    async def go() -> ClockReport:
        async with url.connect() as meter:
            return await clock(meter, when, sync, threshold)

    show(url.run(go), fmt)
