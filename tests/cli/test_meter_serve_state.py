"""`openamr meter serve --state`: a SQLite file of another program is refused (and left
as it was); --start and --history-days with a state file that resumes a meter warn."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from openamr.cli.main import cli
from openamr.meter.mt372 import build_mt372
from openamr.meter.state import StateError, StateStore


def foreign(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
        db.execute("INSERT INTO songs VALUES ('a')")


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def test_a_database_of_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "music.db"
    foreign(path)
    with pytest.raises(StateError, match=r"not an openamr state file .*songs"):
        StateStore.open(path)
    result = CliRunner().invoke(cli, ["meter", "serve", "--port", "0", "--state", str(path)])
    assert result.exit_code == 1 and "not an openamr state file" in result.output
    assert "Traceback" not in result.output and "listening" not in result.output
    assert tables(path) == ["songs"]  # nothing written into it


def test_start_and_history_with_a_resuming_state_warn(tmp_path: Path) -> None:
    path = tmp_path / "meter.db"
    with StateStore.open(path) as store:
        build_mt372("12345678", state=store)
    with socket.socket() as busy:  # the server stops right after its start-up
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        args = ["meter", "serve", "--port", port, "--state", str(path)]
        warned = CliRunner().invoke(cli, [*args, "--history-days", "3", "--start", "2026-06-01"])
        assert "warning: --start and --history-days ignored" in warned.output, warned.output
        quiet = CliRunner().invoke(cli, args)
        assert "warning" not in quiet.output, quiet.output
