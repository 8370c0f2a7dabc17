"""``openamr get URL CLASS OBIS ATTR``: GET any attribute (Green Book 9.3.6, GET
service; Blue Book 4.1.2, attribute references), printed as ``openamr decode``
prints values, or as typed JSON (:mod:`openamr.cli.values`) with ``--json``."""

from __future__ import annotations

import json

import click

from openamr.cli.options import MeterOptions, format_option, meter_options
from openamr.cli.output import progress
from openamr.codec import Data
from openamr.codec.obis import Obis


def obis_argument(text: str) -> Obis:
    try:
        return Obis.parse(text)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="OBIS") from None


def show_value(value: Data | None, fmt: str) -> None:
    from openamr.cli.render import tree
    from openamr.cli.values import to_typed

    if fmt == "json":
        click.echo(json.dumps(None if value is None else to_typed(value)))
    elif value is None:
        click.echo("(no data)")
    else:
        click.echo("\n".join(tree(value)))


@click.command("get")
@meter_options
@click.argument("class_id", metavar="CLASS", type=click.IntRange(0, 0xFFFF))
@click.argument("obis", metavar="OBIS")
@click.argument("attribute", metavar="ATTR", type=click.IntRange(1, 127))
@format_option("json")
def get_command(url: MeterOptions, class_id: int, obis: str, attribute: int, fmt: str) -> None:
    """GET attribute ATTR of the object CLASS OBIS (e.g. 3 1.0.1.8.0.255 2)."""
    name = obis_argument(obis)

    async def go() -> Data:
        async with url.connect() as meter:
            with progress(f"reading {class_id}/{name}/{attribute}"):
                return await meter.get(name, attribute, class_id=class_id)

    show_value(url.run(go), fmt)
