"""The state file under attack and under stress (issue 11, items 1, 5, 13, 14): keys
wrapped at rest and files 0600, the received counters kept across a restart, a full
disk survived, and every damaged file refused with what to do, nothing overwritten."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from openamr.cosem.classes.security_setup import KeyId
from openamr.meter.assembly import TwinMeter
from openamr.meter.associations import DEFAULT_AK
from openamr.meter.clock import SteppedTime
from openamr.meter.persistence.at_rest import INCOMING
from openamr.meter.persistence.memory import FF_MEMORY
from openamr.meter.state import StateError, StateStore
from openamr.security.counters import ReceivedCounters

from .test_persistence import LP1, START, STATE_KEK, persisted, profile, security

NEW_AK = bytes.fromhex("A1 B2 C3 D4 E5 F6 07 18 29 3A 4B 5C 6D 7E 8F 90")


def raw(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def rekeyed(path: Path, base: SteppedTime) -> tuple[StateStore, TwinMeter]:
    store = StateStore.open(path)
    twin = persisted(store, base)
    security(twin).key_store.install({KeyId.AUTHENTICATION_KEY: NEW_AK})
    base.step(60)
    twin.refresh()  # the commit takes the keys
    return store, twin


def test_keys_are_wrapped_and_the_files_are_private(tmp_path: Path) -> None:
    """Item 5: no key in the clear in the file or its -wal; both 0600."""
    path = tmp_path / "meter.db"
    store, _ = rekeyed(path, SteppedTime(START))
    for p in (path, Path(f"{path}-wal")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert NEW_AK not in raw(path) and DEFAULT_AK not in raw(path)
    assert len(store.get_bytes("keys/ak") or b"") == 24  # AES key wrap
    store.close()
    assert NEW_AK not in raw(path)
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(START + dt.timedelta(minutes=1)))
    assert security(twin).key_store.keys.ak == NEW_AK  # type: ignore[attr-defined]
    again.close()


def test_an_existing_public_state_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "meter.db"
    StateStore.open(path).close()
    path.chmod(0o644)
    StateStore.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("kek", [None, bytes(16)], ids=["no-kek", "wrong-kek"])
def test_wrapped_keys_need_their_kek(tmp_path: Path, kek: bytes | None) -> None:
    path = tmp_path / "meter.db"
    store, _ = rekeyed(path, SteppedTime(START))
    store.close()
    again = StateStore.open(path)
    with pytest.raises(StateError, match="OPENAMR_STATE_KEK"):
        persisted(again, SteppedTime(START), state_kek=kek)
    again.close()


def test_keys_in_the_clear_from_an_older_file_are_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "meter.db"
    store, _ = rekeyed(path, SteppedTime(START))
    store.put("keys/ak", NEW_AK)  # as openamr wrote them before issue 11
    store.close()
    again = StateStore.open(path)
    twin = persisted(again, SteppedTime(START + dt.timedelta(minutes=1)))
    assert security(twin).key_store.keys.ak == NEW_AK  # type: ignore[attr-defined]
    assert len(again.get_bytes("keys/ak") or b"") == 24
    again.close()
    assert NEW_AK not in raw(path)


def test_the_received_counters_survive_a_restart(tmp_path: Path) -> None:
    """Item 1: the last counter accepted per client and key is in the state file."""
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    counter = twin.app.received.counter(b"OPENAMR\x01", bytes(16))
    counter.accept(1004)
    base.step(1)
    twin.refresh()
    store.close()
    again = StateStore.open(path)
    restarted = persisted(again, SteppedTime(base.current))
    assert restarted.app.received.snapshot() == ReceivedCounters({
        ReceivedCounters.name(b"OPENAMR\x01", bytes(16)): 1004
    }).snapshot()  # fmt: skip
    again.put(INCOMING, {"x": "not a counter"})
    again.close()
    with pytest.raises(StateError, match=INCOMING):
        persisted(StateStore.open(path), SteppedTime(base.current))


def test_a_full_disk_leaves_the_meter_running_and_it_resumes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Item 13: SQLite's max_page_count stands for the full disk."""
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    db = store._db  # the test's own lever on the file
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with caplog.at_level(logging.ERROR):
        for _ in range(6):
            base.step(86400)
            twin.refresh()  # no exception: the meter answers from memory
    errors = [r for r in caplog.records if "cannot be written" in r.getMessage()]
    assert len(errors) == 1, "said once, not at every commit"
    assert int(twin.twin.objects.error_register.value) & FF_MEMORY  # type: ignore[call-overload]
    db.execute("PRAGMA max_page_count = 1000000")
    base.step(60)
    twin.refresh()
    assert not int(twin.twin.objects.error_register.value) & FF_MEMORY  # type: ignore[call-overload]
    rows = len(profile(twin, LP1).rows)
    store.close()
    again = StateStore.open(path)
    back = persisted(again, SteppedTime(base.current))
    assert len(profile(back, LP1).rows) == rows  # what was only in memory was committed
    again.close()


def saved(tmp_path: Path) -> Path:
    path = tmp_path / "meter.db"
    store, base = StateStore.open(path), SteppedTime(START)
    twin = persisted(store, base)
    base.step(7200)  # profile rows and events to damage
    twin.refresh()
    store.close()
    return path


def refused(path: Path, match: str, untouched: str = "Nothing was changed|put the -wal") -> None:
    before = {p: p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()}
    with pytest.raises(StateError, match=match) as info:
        store = StateStore.open(path)
        try:
            persisted(store, SteppedTime(START))
        finally:
            store.close()
    assert re.search(untouched, str(info.value)), str(info.value)
    after = {p: p.read_bytes() for p in before}
    assert after == before, "a damaged file is not written to"


def test_an_empty_state_file_is_refused(tmp_path: Path) -> None:
    """Item 14: 0 bytes no longer starts a new meter without a word."""
    path = tmp_path / "meter.db"
    path.touch()
    refused(path, "empty")


@pytest.mark.parametrize("where", ["values", "pages"])
def test_random_damage_is_refused(tmp_path: Path, where: str) -> None:
    path = saved(tmp_path)
    data = bytearray(path.read_bytes())
    page = 4096
    if where == "values":  # inside cells: only reading them back tells
        for i in range(page + 100, len(data), 997):
            data[i] ^= 0x5A
    else:  # the b-tree page headers: SQLite's integrity check tells
        for start in range(page, len(data), page):
            data[start : start + 8] = bytes.fromhex("ff ee dd cc bb aa 99 88")
    path.write_bytes(bytes(data))
    # where the strides land depends on the file's layout: a flipped byte in the
    # wrapped keys is told as keys that do not unwrap (AES key wrap cannot tell
    # damage from another KEK)
    unwrap = "do not unwrap with this key-encryption key"
    refused(path, f"damaged|cannot be read back|{unwrap}", f"Nothing was changed|{unwrap}")


def test_a_stored_row_of_unknown_shape_is_refused(tmp_path: Path) -> None:
    path = saved(tmp_path)
    db = sqlite3.connect(path)
    assert db.execute("UPDATE profile_row SET row = x'ff00ff00'").rowcount > 0
    db.commit()
    db.close()
    refused(path, "cannot be read back")


def test_a_lost_wal_is_refused(tmp_path: Path) -> None:
    """The file as it was while in use, without its -wal (a copy, a bad restore)."""
    path, base = tmp_path / "meter.db", SteppedTime(START)
    store = StateStore.open(path)
    twin = persisted(store, base)
    base.step(7200)
    twin.refresh()  # these commits are in the -wal only
    copy = tmp_path / "copy.db"
    copy.write_bytes(path.read_bytes())
    store.close()
    refused(copy, "-wal")


def test_the_cli_says_what_to_do_with_a_damaged_file(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from openamr.cli.main import cli

    path = tmp_path / "meter.db"
    path.touch()
    env = {"XDG_STATE_HOME": str(tmp_path), "OPENAMR_STATE_KEK": STATE_KEK.hex()}
    result = CliRunner().invoke(cli, ["meter", "serve", "--port", "0", "--state", str(path)],
                                env=env)  # fmt: skip
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "empty" in result.output and "move it away" in result.output
    assert os.path.getsize(path) == 0
