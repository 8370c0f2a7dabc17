"""``openamr decode HEX``: show what a captured DLMS Data value holds."""

from __future__ import annotations

import json
import sys

import click

from openamr.cli.render import tree
from openamr.cli.values import to_typed
from openamr.codec import decode
from openamr.errors import DecodeError


@click.command("decode")
@click.argument("hexdata", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
def decode_command(hexdata: str | None, as_json: bool) -> None:
    """Decode A-XDR Data given as hex (spaces allowed; read from stdin if omitted)."""
    text = hexdata if hexdata is not None else sys.stdin.read()
    try:
        raw = bytes.fromhex("".join(text.split()))
    except ValueError as e:
        raise click.UsageError(f"not hex: {e}; give bytes like '11 05' or '1105'") from None
    try:
        value = decode(raw)
    except DecodeError as e:
        raise click.ClickException(
            f"cannot decode: {e.reason} at byte {e.offset} "
            f"(…{raw[max(0, e.offset - 4) : e.offset + 4].hex(' ')}…)"
        ) from None
    if as_json:
        click.echo(json.dumps(to_typed(value)))
    else:
        click.echo("\n".join(tree(value)))
