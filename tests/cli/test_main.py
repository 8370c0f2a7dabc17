"""The command table of ``openamr`` (cli/main.py): every line loads its command, and
``--help``, ``--version`` and ``decode`` import only what they need (each checked in
a fresh interpreter, whose ``sys.modules`` starts empty)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

import openamr
from openamr.cli.main import COMMANDS, Entry, cli
from tests.cli.conftest import Twin

PROBE = """
import json, sys
from openamr.cli.main import cli
try:
    cli(sys.argv[1:], prog_name="openamr")
except SystemExit:
    pass
sys.stdout.write("\\n" + json.dumps(sorted(sys.modules)))
"""


def modules_loaded(*args: str) -> tuple[str, set[str]]:
    """The output of ``openamr ARGS`` in a fresh interpreter, and the modules it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    output, _, last = done.stdout.rpartition("\n")
    return output, set(json.loads(last))


def ours(modules: set[str]) -> set[str]:
    return {m for m in modules if m == "openamr" or m.startswith("openamr.")}


@pytest.mark.parametrize("entry", COMMANDS, ids=[e.name for e in COMMANDS])
def test_every_line_loads_its_command(entry: Entry) -> None:
    command = cli.get_command(click.Context(cli), entry.name)
    assert isinstance(command, click.Command)
    assert command.name == entry.name
    assert entry.help and len(entry.help) <= 70


def test_names_are_unique() -> None:
    assert len({e.name for e in COMMANDS}) == len(COMMANDS)


def test_help_lists_the_table_and_imports_no_command() -> None:
    output, modules = modules_loaded("--help")
    for entry in COMMANDS:
        assert f"  {entry.name}" in output and entry.help in output
    assert ours(modules) == {"openamr", "openamr.cli", "openamr.cli.main"}
    assert "importlib.metadata" not in modules


def test_version_is_the_package_version_without_metadata() -> None:
    output, modules = modules_loaded("--version")
    assert output.strip() == f"openamr, version {openamr.__version__}"
    # pyproject reads the same literal: the installed distribution agrees
    assert version("openamr") == openamr.__version__
    assert ours(modules) == {"openamr", "openamr.cli", "openamr.cli.main"}
    assert "importlib.metadata" not in modules


def test_decode_loads_the_codec_only() -> None:
    output, modules = modules_loaded("decode", "0202 1105 0904 41424344")
    assert "unsigned: 5" in output
    loaded = ours(modules)
    assert "openamr.codec" in loaded
    heavy = {"asyncio", "rich", "cryptography"}
    assert not heavy & {m.split(".")[0] for m in modules}
    layers = {m.split(".")[1] for m in loaded - {"openamr"}}
    assert layers == {"cli", "codec", "errors"}


def test_a_read_over_tcp_runs_without_asyncio(twin: Twin) -> None:
    """A tcp:// read blocks on its socket (openamr.client.sockets): no event loop,
    so neither asyncio nor ssl is loaded; over HDLC the event loop drives the
    link's timers."""
    output, modules = modules_loaded("read", twin.url, "1.0.1.8.0.255")
    assert "Wh" in output
    assert not {"asyncio", "ssl", "encodings.idna", "openamr.client.transport"} & modules
    output, modules = modules_loaded("read", twin.url_of("hdlc"), "1.0.1.8.0.255")
    assert "Wh" in output
    assert {"asyncio", "openamr.client.transport"} <= modules


def test_an_unknown_command_says_what_to_do() -> None:
    result = CliRunner().invoke(cli, ["nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output
    assert "openamr --help" in result.output


def test_every_headend_line_loads_its_command_and_says_its_short_help() -> None:
    """``openamr headend``'s own table (cli/headend.py): each line's help is what click
    makes of the command's docstring at 80 columns, so the table repeats no stale text."""
    from openamr.cli.headend import COMMANDS as HEADEND
    from openamr.cli.headend import headend_group

    assert [e.name for e in HEADEND] == sorted(e.name for e in HEADEND)
    limit = 78 - 6 - max(len(e.name) for e in HEADEND)  # click's formatter at 80 columns
    for entry in HEADEND:
        command = headend_group.get_command(click.Context(headend_group), entry.name)
        assert isinstance(command, click.Command) and command.name == entry.name
        assert entry.help == command.get_short_help_str(limit), entry.name
    assert set(headend_group.list_commands(click.Context(headend_group))) == {
        e.name for e in HEADEND
    }


def test_headend_help_imports_no_subcommand_module() -> None:
    output, modules = modules_loaded("headend", "--help")
    from openamr.cli.headend import COMMANDS as HEADEND

    for entry in HEADEND:
        assert f"  {entry.name}" in output and entry.help in output
    subcommands = {e.target.partition(":")[0] for e in HEADEND} - {"openamr.cli.headend"}
    assert len(subcommands) == 5 and not subcommands & modules
    assert not {"sqlalchemy", "openamr.headend"} & modules
