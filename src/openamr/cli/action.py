"""``openamr action URL CLASS OBIS METHOD [VALUE]``: invoke any method (Green
Book 9.3.8, ACTION service). VALUE (the method's parameters) is typed JSON or
``hex:`` A-XDR (:mod:`openamr.cli.values`); without it, ``{"integer": 0}``, the
Blue Book's parameter of methods that take none of their own."""

from __future__ import annotations

import click

from openamr.cli.get import obis_argument, show_value
from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import progress
from openamr.cli.set_ import value_argument
from openamr.codec import Data
from openamr.codec.types import Integer


@click.command("action")
@meter_options
@click.argument("class_id", metavar="CLASS", type=click.IntRange(0, 0xFFFF))
@click.argument("obis", metavar="OBIS")
@click.argument("method", metavar="METHOD", type=click.IntRange(1, 127))
@click.argument("value", metavar="[VALUE]", required=False)
@format_option("json")
def action_command(
    url: MeterOptions, class_id: int, obis: str, method: int, value: str | None, fmt: str
) -> None:
    """Invoke METHOD of CLASS OBIS, e.g. 70 0.0.96.3.10.255 1 (remote disconnect)."""
    name = obis_argument(obis)
    data = value_argument(value) if value is not None else Integer(0)

    async def go() -> Data | None:
        async with url.connect() as meter:
            with progress(f"invoking {class_id}/{name}/{method}"):
                return await meter.action(name, method, data, class_id=class_id)

    answer = url.run(go)
    if fmt == "json":
        show_value(answer, fmt)
    else:
        click.echo(f"action {class_id}/{name}/{method}: success")
        if answer is not None:
            show_value(answer, fmt)
