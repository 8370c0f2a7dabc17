"""The whole test session's environment: nothing a test does lands in the user's home.

``meter serve`` without ``--state`` keeps its invocation counters under
``$XDG_STATE_HOME/openamr`` (:mod:`openamr.cli.state_files`; the default is
``~/.local/state``). ``XDG_STATE_HOME`` points to a directory of this session for
the test process and every subprocess it starts (they inherit the environment);
a test that needs its own directory still sets it with ``monkeypatch``.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_SESSION_STATE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    state = tempfile.mkdtemp(prefix="openamr-tests-state-")
    _SESSION_STATE.append(state)
    os.environ["XDG_STATE_HOME"] = state


def pytest_unconfigure(config: pytest.Config) -> None:
    while _SESSION_STATE:
        shutil.rmtree(_SESSION_STATE.pop(), ignore_errors=True)
