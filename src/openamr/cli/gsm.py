"""``openamr gsm modem``: the virtual GSM network with the head-end's modem (issue 16,
docs/gsm.md): AT commands on TCP and/or a pseudo-terminal, CSD calls carried to the
twins' HDLC ports at the line's pace, GPRS gates and the address lookup."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import click


@click.group("gsm")
def gsm_group() -> None:
    """The simulated GSM network: the head-end's modem, calls, SMS, GPRS."""


def endpoint_option(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    """A ``HOST:PORT`` option as ``(host, port)`` (None: not given)."""
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(f"{value!r}: write HOST:PORT, e.g. 127.0.0.1:7000")
    return host.strip("[]"), int(port)


@gsm_group.command("modem")
@click.option(
    "--network",
    "network_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The network file: the meters, their SIMs and twins (docs/gsm.md).",
)
@click.option(
    "--tcp",
    callback=endpoint_option,
    default=None,
    metavar="HOST:PORT",
    help="Serve the modem on TCP (each connection is one modem of the pool).",
)
@click.option("--pty", is_flag=True, help="Serve one modem on a new pseudo-terminal.")
@click.option(
    "--lookup",
    callback=endpoint_option,
    default=None,
    metavar="HOST:PORT",
    help="Serve the address lookup (RADIUS stand-in) for wake-ups.",
)
@click.option("--msisdn", default=None, help="The modem's own number (default: the file's).")
@click.option("-v", "--verbose", is_flag=True, help="Log calls and the network's events.")
def modem_command(
    network_file: str | None, tcp: tuple[str, int] | None, pty: bool,
    lookup: tuple[str, int] | None, msisdn: str | None, verbose: bool,
) -> None:  # fmt: skip
    """The head-end's GSM modem: AT, ATD, ATH, +++, AT+CMGS ... on TCP or a pty.

    After CONNECT 9600 the call carries HDLC to the dialled meter's twin at 9600 bit/s
    (10 bits an octet); the meter's inactivity timeout or ATH ends it (NO CARRIER)."""
    from dataclasses import replace

    from openamr.gsm.pool import NetworkFile, NetworkFileError, read_network_file
    from openamr.gsm.sim import normalise_number

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    if tcp is None and not pty:
        raise click.UsageError("serve the modem somewhere: --tcp HOST:PORT and/or --pty")
    try:
        config = NetworkFile() if network_file is None else read_network_file(network_file)
    except NetworkFileError as e:
        raise click.ClickException(str(e)) from None
    if msisdn is not None:
        config = replace(config, msisdn=normalise_number(msisdn))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config, tcp, pty, lookup))


async def _serve(
    config: object, tcp: tuple[str, int] | None, pty: bool, lookup: tuple[str, int] | None
) -> None:
    from openamr.aio.modem import ModemPool
    from openamr.gsm.pool import NetworkFile

    assert isinstance(config, NetworkFile)
    pool = ModemPool(config)
    try:
        await pool.start()
        where: list[tuple[str, str]] = []
        if tcp is not None:
            host, port = await pool.serve_tcp(*tcp)
            where.append(("modem (AT) listening on TCP", f"{host}:{port}"))
        if pty:
            where.append(("modem (AT) listening on a pty", pool.serve_pty()))
        if lookup is not None:
            host, port = await pool.serve_lookup(*lookup)
            where.append(("address lookup listening on", f"{host}:{port}"))
    except OSError as e:
        await pool.close()
        raise click.ClickException(
            f"cannot listen: {e.strerror or e}; choose another port"
        ) from None
    for meter, gate in zip(config.meters, pool.gates_by_meter(), strict=True):
        csd = "-" if meter.csd is None else f"{meter.csd[0]}:{meter.csd[1]}"
        gprs = "-" if gate is None else f"{gate[0]}:{gate[1]}"
        click.echo(f"meter {meter.sim.msisdn:<16} CSD to {csd:<21} GPRS gate {gprs}")
    click.echo(f"{'own number':<30} {config.msisdn}")
    for what, at in where:  # last: "listening" says it is ready
        click.echo(f"{what:<30} {at}", err=False)
    try:
        await asyncio.Event().wait()
    finally:
        await pool.close()
