"""``openamr``: the command-line entry point, a table of commands loaded lazily.

Each command lives in its own module and is imported only when it runs (or when its
own ``--help`` is asked for), so ``openamr --version``, ``openamr --help`` and a
command that needs only the codec do not pay for the client stack, asyncio, rich or
the twin. ``openamr --help`` lists the commands from :data:`COMMANDS` without
importing any of them.

Adding a command is one line in :data:`COMMANDS`: its name, ``module:attribute`` of
the :class:`click.Command` (or group), and the short help shown by ``openamr --help``::

    Entry("headend", "openamr.cli.headend:headend_group",
          "The head-end: ..."),

The module must import nothing heavy at import time beyond what the command itself
needs (``tests/cli/test_main.py`` checks what ``--help``, ``--version`` and ``decode``
load).
"""

from __future__ import annotations

import gc

# The collector is off while this module's own imports load too (click, typing):
# what they make lives to the end, and the 19 collections on the way found
# nothing to free (~7 M instructions of ``openamr profile``, callgrind).
_COLLECTING = gc.isenabled()
gc.disable()

import importlib  # noqa: E402
from typing import NamedTuple  # noqa: E402

import click  # noqa: E402

from openamr import __version__  # noqa: E402

if _COLLECTING:
    gc.enable()


class Entry(NamedTuple):
    """One command of ``openamr``: name, ``module:attribute``, short help."""

    name: str
    target: str
    help: str


#: The commands of ``openamr``, in the order ``openamr --help`` lists them.
COMMANDS: tuple[Entry, ...] = (
    Entry("read", "openamr.cli.read:read_command",
          "Read attributes by OBIS: values scaled, with units."),
    Entry("profile", "openamr.cli.profile:profile_command",
          "Read a profile's buffer (load profile, billing values), scaled."),
    Entry("events", "openamr.cli.events:events_command",
          "Read the event log, with event names."),
    Entry("objects", "openamr.cli.objects:objects_command",
          "List the objects this client sees: classes, access rights."),
    Entry("clock", "openamr.cli.clock:clock_command",
          "Show the meter's time against the system's; set or sync it."),
    Entry("relay", "openamr.cli.relay:relay_command",
          "Connect or disconnect the supply, or show its state."),
    Entry("firmware", "openamr.cli.firmware:firmware_command",
          "Upgrade the firmware through Image transfer (resumable)."),
    Entry("dump", "openamr.cli.dump:dump_command",
          "Read every readable attribute of every object to JSON."),
    Entry("get", "openamr.cli.get:get_command",
          "GET any attribute: CLASS OBIS ATTR, printed as decode does."),
    Entry("set", "openamr.cli.set_:set_command",
          "SET any attribute to a value given as typed JSON."),
    Entry("action", "openamr.cli.action:action_command",
          "Invoke any method, with parameters as typed JSON."),
    Entry("install-check", "openamr.cli.install_check:install_check_command",
          "The datasheet's Fit and go installation check, step by step."),
    Entry("listen", "openamr.cli.listen:listen_command",
          "Receive the meter's alarm call-backs and print them decoded."),
    Entry("iec21", "openamr.cli.iec21:iec21_group",
          "The optical port (IEC 62056-21 mode C): readout, get, set."),
    Entry("decode", "openamr.cli.decode:decode_command",
          "Decode captured hex: Data, APDUs, wrapper or HDLC frames."),
    Entry("meter", "openamr.cli.meter_serve:meter_group",
          "The MT372 meter twin."),
    Entry("fleet", "openamr.cli.fleet:fleet_group",
          "Many MT372 twins in one process, each at its own address."),
    Entry("headend", "openamr.cli.headend:headend_group",
          "The head-end: inventory, collection, readings, VEE, export."),
    Entry("demo", "openamr.cli.demo:demo_command",
          "The AMR system: a fleet of twins, the head-end, both web pages."),
    Entry("gsm", "openamr.cli.gsm:gsm_group",
          "The GSM network and the head-end's modem: AT, CSD, SMS."),
)  # fmt: skip


class LazyGroup(click.Group):
    """A group whose subcommands are :class:`Entry` lines, imported when used; a
    command added the usual way (``@group.command``) is listed after them, unless a
    line names it too. ``col_max``: the widest name the help's table aligns to."""

    def __init__(
        self, *args: object, entries: tuple[Entry, ...], col_max: int = 10, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.entries = {entry.name: entry for entry in entries}
        self.col_max = col_max

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.entries, *(n for n in super().list_commands(ctx) if n not in self.entries)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.entries.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = entry.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        # What start-up made lives to the end: kept out of the collector's sight
        # (main() turned it off for the imports), which is on again for the command.
        gc.freeze()
        gc.enable()
        if not isinstance(command, click.Command):  # pragma: no cover - a wrong table line
            raise TypeError(f"{entry.target} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their short help, a table line's from the table (importing
        none of them), another's from its docstring as click shortens it."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        rows = []
        for name in names:
            entry = self.entries.get(name)
            if entry is not None:
                rows.append((name, entry.help))
            elif not self.commands[name].hidden:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows, col_max=self.col_max)  # a longer name: its own line


@click.group(
    "openamr",
    cls=LazyGroup,
    entries=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="openamr")
def cli() -> None:
    """openamr: DLMS/COSEM tools and the Iskraemeco MT372 meter twin."""


def main() -> None:
    """The ``openamr`` script. The cyclic collector is off while the command's
    modules load: the ~10^5 objects of an import (classes, functions, the code of
    dataclasses) all outlive the process, so every collection on the way (~70 M
    instructions for ``openamr profile``, callgrind) would find nothing to free;
    :meth:`LazyGroup.get_command` freezes them and turns it back on."""
    gc.disable()
    try:
        cli(prog_name="openamr")
    finally:
        gc.enable()


if __name__ == "__main__":  # pragma: no cover
    main()
