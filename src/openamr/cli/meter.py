"""``openamr meter serve``: run an MT372 twin that DLMS clients can read."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import click

from openamr.aio.dlms_server import serve_hdlc, serve_wrapper
from openamr.meter.mt372 import build_mt372


@click.group("meter")
def meter_group() -> None:
    """The MT372 meter twin."""


@meter_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4059, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port (4059 is the registered DLMS port; 0 picks a free one).")  # fmt: skip
@click.option(
    "--transport",
    type=click.Choice(["wrapper", "hdlc"]),
    default="wrapper",
    show_default=True,
    help="IEC 62056-47 wrapper (GPRS) or HDLC over TCP (terminal server, RS485).",
)
@click.option("--serial-number", default="12345678", show_default=True, help="Meter serial number.")
@click.option("--history-days", default=0.0, show_default=True, type=click.FloatRange(0, 410),
              help="Pre-fill the load profile with N days of placeholder rows.")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log protocol events.")
def serve_command(
    host: str, port: int, transport: str, serial_number: str, history_days: float, verbose: bool
) -> None:
    """Serve the MT372 object list: client 16 public, 32 LLS, 1 HLS-GMAC + ciphering."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    try:
        asyncio.run(_serve(host, port, transport, serial_number, history_days))
    except KeyboardInterrupt:
        pass
    except OSError as e:
        raise click.ClickException(
            f"cannot listen on {host}:{port}: {e.strerror}; choose another --port"
        ) from None


def wall_clock() -> dt.datetime:
    """The system's UTC time: the time base of a twin serving real clients."""
    return dt.datetime.now(dt.UTC)


async def _serve(
    host: str, port: int, transport: str, serial_number: str, history_days: float
) -> None:
    app = build_mt372(serial_number, time_base=wall_clock, history_days=history_days)
    serve = serve_wrapper if transport == "wrapper" else serve_hdlc
    server = await serve(app, host, port)
    bound = server.sockets[0].getsockname()
    click.echo(
        f"MT372 {serial_number} listening on {bound[0]}:{bound[1]} ({transport}); "
        f"logical device {app.logical_address}, HDLC address {app.physical_address}",
    )
    async with server:
        await server.serve_forever()
