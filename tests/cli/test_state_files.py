"""The counters file of a twin served without --state (cli/state_files.py): a file
held by another twin is a warning, a damaged one a refusal that says what to do."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from openamr.cli.state_files import counters_path, open_counters
from openamr.meter.state import StateStore

TITLE = bytes.fromhex("49534B0000BC614E")


@pytest.fixture
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    return tmp_path


def test_a_file_held_by_another_twin_is_a_warning(
    state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    held = open_counters(TITLE)
    assert held is not None
    try:
        assert open_counters(TITLE) is None
        assert "another running twin" in capsys.readouterr().err
    finally:
        held.close()


def test_a_file_whose_wal_was_lost_is_refused_not_taken_for_a_running_twin(
    state_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = counters_path(TITLE)
    path.parent.mkdir(parents=True)
    store = StateStore.open(path)
    store.mark_open()  # as a running twin leaves it; then its -wal is lost
    store._db.close()  # a crash: no clean close
    Path(f"{path}-wal").unlink(missing_ok=True)
    with pytest.raises(click.ClickException, match="write-ahead log"):
        open_counters(TITLE)
    assert "another running twin" not in capsys.readouterr().err
