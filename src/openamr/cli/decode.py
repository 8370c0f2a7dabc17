"""``openamr decode HEX``: show what captured bytes hold: a DLMS Data value (Blue
Book 4.1.5), a whole APDU (Green Book 9.5), a wrapper frame (Green Book 7.3.3.2)
or HDLC frames (IEC 62056-46); ciphered APDUs are deciphered when ``--ek/--ak``
(and, for glo-ciphering, ``--system-title`` of the sender) are given.

With ``--json``, a Data value prints in the typed form ``openamr set`` takes
(:mod:`openamr.cli.values`).
"""

from __future__ import annotations

import json
import sys

import click


@click.command("decode")
@click.argument("hexdata", required=False)
@click.option("--as", "kind", type=click.Choice(["auto", "data", "apdu", "wrapper", "hdlc"]),
              default="auto", show_default=True,
              help="What the bytes are (auto: HDLC from 7E, a wrapper frame from 00 01, "
                   "else Data, else an APDU).")  # fmt: skip
@click.option("--ek", default=None, metavar="HEX", help="Encryption key, to decipher.")
@click.option("--ak", default=None, metavar="HEX", help="Authentication key, to decipher.")
@click.option("--system-title", default=None, metavar="HEX",
              help="The sender's system title (glo-ciphering does not carry it).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a tree.")
def decode_command(
    hexdata: str | None,
    kind: str,
    ek: str | None,
    ak: str | None,
    system_title: str | None,
    as_json: bool,
) -> None:
    """Decode captured bytes given as hex (spaces allowed; read from stdin if omitted)."""
    from openamr.errors import DecodeError

    text = hexdata if hexdata is not None else sys.stdin.read()
    try:
        raw = bytes.fromhex("".join(text.split()))
    except ValueError as e:
        raise click.UsageError(f"not hex: {e}; give bytes like '11 05' or '1105'") from None
    if not raw:
        raise click.UsageError("no bytes given: give them as hex, e.g. '11 05'")
    if kind in ("auto", "data") and raw[:1] != b"\x7e":
        # a Data value needs the codec only (the frames' stack loads when it is not one)
        from openamr.cli.render import tree
        from openamr.cli.values import to_typed
        from openamr.codec import decode

        try:
            value = decode(raw)
        except DecodeError:
            if kind == "data":
                raise click.ClickException(_cannot(raw, *_where(raw))) from None
        else:
            click.echo(json.dumps(to_typed(value)) if as_json else "\n".join(tree(value)))
            return
    from openamr.cli.frames import Keys, describe
    from openamr.cli.options import hex_flag, keys_flags
    from openamr.errors import SecurityError

    keys = Keys(keys_flags(ek, ak, None), hex_flag("--system-title", system_title))
    try:
        lines, jsn = describe(raw, kind, keys)
    except DecodeError as e:
        raise click.ClickException(_cannot(raw, e.reason, e.offset)) from None
    except SecurityError as e:
        raise click.ClickException(
            f"cannot decipher: {e}: check --ek/--ak and --system-title (the sender's)"
        ) from None
    click.echo(json.dumps(jsn) if as_json else "\n".join(lines))


def _where(raw: bytes) -> tuple[str, int]:
    from openamr.codec import decode
    from openamr.errors import DecodeError

    try:
        decode(raw)
    except DecodeError as e:
        return e.reason, e.offset
    return "", 0  # pragma: no cover - only called after a failure


def _cannot(raw: bytes, reason: str, offset: int) -> str:
    return (
        f"cannot decode: {reason} at byte {offset} "
        f"(…{raw[max(0, offset - 4) : offset + 4].hex(' ')}…); "
        "--as data|apdu|wrapper|hdlc says what the bytes are"
    )
