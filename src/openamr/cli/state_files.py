"""Where ``openamr meter serve`` keeps what must outlive a run: the invocation
counters of a twin without ``--state`` (Green Book 9.2.7.2.4: an IV is never used
twice under a key), and the key-encryption key of a state file's keys (never in the
state file: ARCHITECTURE.md "Secrets stay secret").

    OPENAMR_STATE_KEK=<32 hex digits>       the state KEK from the environment, or
    --state-key FILE                        from a file of 32 hex digits (0600);
                                            default <state file>.key, created with a
                                            random key on first use
    $XDG_STATE_HOME/openamr/counters-<system title>.sqlite   counters without --state
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click

from openamr.meter.state import StateError, StateInUseError, StateStore

KEK_ENV = "OPENAMR_STATE_KEK"
KEK_LENGTH = 16


def counters_path(system_title: bytes, environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/openamr/`` (default ``~/.local/state/openamr/``), one file
    per system title."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "openamr" / f"counters-{system_title.hex()}.sqlite"


def open_counters(system_title: bytes) -> StateStore | None:
    """The counters of this system title; None (and a warning) when another running
    twin with the same system title holds them: two meters with one identity cannot
    share a counter, so give each its own ``--state``."""
    path = counters_path(system_title)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return StateStore.open(path)
    except StateInUseError:
        click.echo(
            f"warning: another running twin with system title {system_title.hex()} holds "
            f"{path}: this one's invocation counters are not kept; give each twin its own "
            "--state FILE",
            err=True,
        )
        return None
    except (StateError, OSError) as e:
        raise click.ClickException(
            f"cannot keep the invocation counters in {path}: {e}; "
            "set XDG_STATE_HOME to a writable directory, or use --state FILE"
        ) from None


def _parse_kek(text: str, where: str) -> bytes:
    try:
        kek = bytes.fromhex(text.strip())
    except ValueError:
        kek = b""
    if len(kek) != KEK_LENGTH:
        raise click.ClickException(
            f"{where} must hold the state key-encryption key as 32 hex digits "
            "(16 bytes), e.g. from `python -c 'import os; print(os.urandom(16).hex())'`"
        )
    return kek


def state_kek(state: str, key_file: str | None, environ: Mapping[str, str] | None = None) -> bytes:
    """The state file's key-encryption key: the environment, else ``key_file``, else
    ``<state>.key`` (created 0600 with a random key when absent)."""
    env = os.environ if environ is None else environ
    if env.get(KEK_ENV):
        return _parse_kek(env[KEK_ENV], KEK_ENV)
    path = Path(key_file) if key_file is not None else Path(f"{state}.key")
    if path.resolve() == Path(state).resolve():
        raise click.ClickException("--state-key must be another file than --state")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        try:
            return _parse_kek(path.read_text(), str(path))
        except OSError as e:
            raise click.ClickException(f"cannot read the state key {path}: {e.strerror}") from None
    except OSError as e:
        raise click.ClickException(f"cannot create the state key {path}: {e.strerror}") from None
    kek = os.urandom(KEK_LENGTH)
    with os.fdopen(fd, "w") as f:
        f.write(kek.hex() + "\n")
    click.echo(f"state key-encryption key created in {path} (keep it; back it up apart)", err=True)
    return kek
