"""``openamr listen --port N``: a head-end's listener for the meter's alarm
call-backs: DATA-NOTIFICATION (Green Book 9.3.9, as Push setup sends it, Blue Book
4.4.8) and EVENT-NOTIFICATION-Request (9.3.10), in wrapper frames over TCP (Green
Book 7.3.3.2), plain or ciphered (deciphered with ``--ek/--ak`` and the meter's
``--system-title`` when the APDU does not carry it). Each is printed decoded as it
arrives, or as one JSON object a line with ``--json``; ``--count N`` stops after N.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import click


def _show(peer: str, source: int, payload: bytes, keys: Any, as_json: bool) -> None:
    from openamr.cli.frames import describe_apdu
    from openamr.errors import DlmsError

    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    try:
        lines, doc = describe_apdu(payload, keys)
    except DlmsError as e:
        lines, doc = [f"cannot decode: {e} ({payload[:16].hex(' ')}...)"], {"error": str(e)}
    if as_json:
        click.echo(json.dumps({"received": when, "from": peer, "wport": source} | doc))
    else:
        click.echo(f"{when} from {peer} (wrapper port {source}):")
        click.echo("\n".join("  " + line for line in lines))


async def _listen(host: str, port: int, count: int | None, keys: Any, as_json: bool) -> None:
    from openamr.link.wrapper import ApduReceived, WrapperConnection

    heard = 0
    enough = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal heard
        address = writer.get_extra_info("peername")
        peer = f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
        link = WrapperConnection()
        try:
            while (data := await reader.read(65536)) and not enough.is_set():
                for event in link.receive_data(data):
                    if not isinstance(event, ApduReceived):
                        click.echo(f"{peer}: not a wrapper frame ({event}); closing", err=True)
                        return
                    _show(peer, event.source, event.payload, keys, as_json)
                    heard += 1
                    if count is not None and heard >= count:
                        enough.set()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    bound = server.sockets[0].getsockname()
    click.echo(f"listening on {host}:{bound[1]} for alarm call-backs (wrapper over TCP)", err=True)
    async with server:
        await enough.wait()


@click.command("listen")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=4070,
    show_default=True,
    help="TCP port (the Push setup destination's); 0: a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every interface).",
)
@click.option(
    "--count",
    type=click.IntRange(1),
    default=None,
    help="Stop after N notifications (default: until Ctrl-C).",
)
@click.option("--ek", default=None, metavar="HEX", help="Encryption key, to decipher.")
@click.option("--ak", default=None, metavar="HEX", help="Authentication key, to decipher.")
@click.option(
    "--system-title",
    default=None,
    metavar="HEX",
    help="The meter's system title (glo-ciphering does not carry it).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")  # fmt: skip
def listen_command(
    port: int,
    host: str,
    count: int | None,
    ek: str | None,
    ak: str | None,
    system_title: str | None,
    as_json: bool,
) -> None:
    """Receive the meter's alarm call-backs and print them decoded."""
    from openamr.cli.frames import Keys
    from openamr.cli.options import hex_flag, keys_flags

    keys = Keys(keys_flags(ek, ak, None), hex_flag("--system-title", system_title))
    try:
        asyncio.run(_listen(host, port, count, keys, as_json))
    except OSError as e:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {e.strerror}; choose another --port"
        ) from None
    except KeyboardInterrupt:
        pass
