"""``openamr``: the command-line entry point. Subcommands register here."""

from __future__ import annotations

import click

from openamr import __version__
from openamr.cli.clock import clock_command
from openamr.cli.decode import decode_command
from openamr.cli.dump import dump_command
from openamr.cli.events import events_command
from openamr.cli.firmware import firmware_command
from openamr.cli.fleet import fleet_group
from openamr.cli.headend import headend_group
from openamr.cli.iec21 import iec21_group
from openamr.cli.meter_serve import meter_group
from openamr.cli.objects import objects_command
from openamr.cli.profile import profile_command
from openamr.cli.read import read_command
from openamr.cli.relay import relay_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="openamr")
def cli() -> None:
    """openamr: DLMS/COSEM tools and the Iskraemeco MT372 meter twin."""


cli.add_command(decode_command)
cli.add_command(meter_group)
cli.add_command(fleet_group)
cli.add_command(iec21_group)
cli.add_command(read_command)
cli.add_command(profile_command)
cli.add_command(events_command)
cli.add_command(objects_command)
cli.add_command(clock_command)
cli.add_command(relay_command)
cli.add_command(firmware_command)
cli.add_command(dump_command)
cli.add_command(headend_group)


def main() -> None:
    cli(prog_name="openamr")


if __name__ == "__main__":  # pragma: no cover
    main()
