"""``openamr iec21``: read a meter through its optical port (IEC 62056-21, mode C).

URL is ``tcp://host:port`` (a twin's optical port, or a TCP-to-probe bridge) or a serial
device (``/dev/ttyUSB0``, ``serial:///dev/ttyUSB0``) with an IR probe on the meter.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from openamr.aio.hhu import OpticalPortError, read_readout, read_register, write_register
from openamr.cli.advice import serial_advice
from openamr.link.iec21 import BAUD_MODE_C, DataSet, FailureKind, Timing

T = TypeVar("T")

_ADVICE: dict[FailureKind, str] = {
    FailureKind.NO_ANSWER: (
        "no answer from {url}: check that the probe sits on the meter's optical port "
        "(cable pointing down), that the port or host:port is right, and that no other "
        "program holds the port"
    ),
    FailureKind.BAD_BCC: (
        "the meter's answers kept failing the block check (BCC): clean the optical "
        "window, shade the probe from daylight, or try a lower speed (--baud 2400)"
    ),
    FailureKind.WRONG_PASSWORD: (
        "the meter refused the password: check --password (the P1 password of the "
        "meter's programming mode)"
    ),
    FailureKind.REFUSED: (
        "the meter refused {address} ({detail}): check the address (e.g. 1.8.0) and "
        "that it can be read or written in programming mode"
    ),
}
_DEFAULT_ADVICE = "the meter answered unexpectedly ({kind}: {detail}); try again, or read it slower"

password_option = click.option(
    "--password",
    "-p",
    required=True,
    envvar="OPENAMR_IEC21_PASSWORD",
    help="P1 password of programming mode (or $OPENAMR_IEC21_PASSWORD).",
)


def _run(coroutine: Coroutine[Any, Any, T], url: str, address: str = "") -> T:
    try:
        return asyncio.run(coroutine)
    except OpticalPortError as e:
        failure = e.failure
        advice = _ADVICE.get(failure.kind, _DEFAULT_ADVICE)
        fields = {"url": url, "address": address, "detail": failure.detail, "kind": failure.kind}
        raise click.ClickException(advice.format(**fields)) from None
    except (RuntimeError, ValueError) as e:  # the serial package missing, a bad URL
        raise click.ClickException(str(e)) from None
    except OSError as e:  # the serial device: missing, not a tty, a setting refused
        raise click.ClickException(serial_advice(url.removeprefix("serial://"), e)) from None


def _as_json(data_set: DataSet) -> dict[str, str]:
    return {"address": data_set.address, "value": data_set.value, "unit": data_set.unit}


@click.group("iec21")
def iec21_group() -> None:
    """The optical port (IEC 62056-21 mode C): readout, programming-mode get and set."""


@iec21_group.command("read")
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--address", default="", help="Device address for the request /?address!.")
@click.option(
    "--baud",
    type=click.Choice([str(b) for b in BAUD_MODE_C.values()]),
    help="Read at this speed instead of the meter's highest.",
)
@click.option("--timeout", type=float, default=2.2, show_default=True, help="Answer window (s).")
def read_command(url: str, as_json: bool, address: str, baud: str | None, timeout: float) -> None:
    """Sign on and print the data readout of the meter at URL."""
    timing = Timing(response=timeout)
    ident, readout = _run(read_readout(url, address, timing, int(baud) if baud else None), url)
    if as_json:
        document = {
            "identification": ident.encode().decode("latin-1").strip(),
            "data": [_as_json(s) for s in readout.data_sets],
        }
        click.echo(json.dumps(document, indent=2))
        return
    table = Table(title=f"{ident.manufacturer} {ident.ident}", title_justify="left")
    for column in ("address", "value", "unit"):
        table.add_column(column, justify="right" if column == "value" else "left")
    for data_set in readout.data_sets:
        table.add_row(data_set.address, data_set.value, data_set.unit)
    Console().print(table)


@iec21_group.command("get")
@click.argument("url")
@click.argument("address")
@password_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def get_command(url: str, address: str, password: str, as_json: bool) -> None:
    """Read ADDRESS (e.g. 1.8.0) in programming mode (P1, R1, B0)."""
    data_set = _run(read_register(url, address, password), url, address)
    if as_json:
        click.echo(json.dumps(_as_json(data_set)))
    else:
        click.echo(
            f"{data_set.address} = {data_set.value}{' ' + data_set.unit if data_set.unit else ''}"
        )


@iec21_group.command("set")
@click.argument("url")
@click.argument("address")
@click.argument("value")
@password_option
def set_command(url: str, address: str, value: str, password: str) -> None:
    """Write VALUE to ADDRESS in programming mode (P1, W1, B0)."""
    _run(write_register(url, address, value, password), url, address)
    click.echo(f"{address} <- {value}: accepted")
