"""``openamr set URL CLASS OBIS ATTR VALUE``: SET any attribute (Green Book 9.3.7,
SET service). VALUE is typed JSON or ``hex:`` A-XDR (:mod:`openamr.cli.values`)."""

from __future__ import annotations

import click

from openamr.cli.get import obis_argument
from openamr.cli.options import MeterOptions, meter_options
from openamr.cli.output import progress
from openamr.codec import Data


def value_argument(text: str, hint: str = "VALUE") -> Data:
    from openamr.cli.values import parse_value

    try:
        return parse_value(text)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint=hint) from None


@click.command("set")
@meter_options
@click.argument("class_id", metavar="CLASS", type=click.IntRange(0, 0xFFFF))
@click.argument("obis", metavar="OBIS")
@click.argument("attribute", metavar="ATTR", type=click.IntRange(1, 127))
@click.argument("value", metavar="VALUE")
def set_command(url: MeterOptions, class_id: int, obis: str, attribute: int, value: str) -> None:
    """SET attribute ATTR of CLASS OBIS to VALUE, e.g. '{"unsigned": 5}'."""
    name = obis_argument(obis)
    data = value_argument(value)

    async def go() -> None:
        async with url.connect() as meter:
            with progress(f"writing {class_id}/{name}/{attribute}"):
                await meter.set(name, data, attribute, class_id=class_id)

    url.run(go)
    click.echo(f"set {class_id}/{name}/{attribute}: success")
