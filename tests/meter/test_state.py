"""The twin's state store: round-trips of every kind of state, FIFO trimming,
atomic transactions, the schema version and the one-writer lock."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openamr.meter.state import SCHEMA_VERSION, StateError, StateStore, Value

STAMP = bytes.fromhex("07 ea 01 01 04 00 0f 00 00 80 00 00")
T0 = dt.datetime(2026, 3, 29, 1, 59, 58, tzinfo=dt.UTC)


def lp1(n: int, start: int = 0) -> list[tuple[bytes, int, int, int]]:
    return [(STAMP, i % 256, 1000 * i, 7 * i) for i in range(start, start + n)]


@pytest.fixture
def store() -> StateStore:
    return StateStore.memory()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "meter.state"


# -- small typed state ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(123_456_789_012_345, id="energy-mWh"),
        pytest.param(2**70, id="beyond-int64"),
        pytest.param(-5, id="negative"),
        pytest.param(0.25, id="float"),
        pytest.param(True, id="bool"),
        pytest.param("text", id="str"),
        pytest.param(None, id="null"),
        pytest.param([1, "a", None, [2]], id="list"),
        pytest.param({"rate": 2, "season": "winter"}, id="dict"),
        pytest.param(bytes.fromhex("09 06 00 00 01 00 00 ff"), id="axdr-bytes"),
        pytest.param(bytes(16), id="key-bytes"),
        pytest.param(b"", id="empty-bytes"),
    ],
)
def test_kv_round_trips_in_memory_and_on_disk(value: Value, path: Path) -> None:
    with StateStore.open(path) as s:
        s.put("k", value)
        assert s.get("k") == value
    with StateStore.open(path) as s:
        got = s.get("k")
    assert got == value and type(got) is type(value)


def test_kv_defaults_overwrites_deletes_and_lists(store: StateStore) -> None:
    assert store.get("missing") is None and store.get("missing", 7) == 7
    store.put("energy/a_plus", 1)
    store.put("energy/a_plus", 2)
    store.put("energy/a_minus", 3)
    store.put("key/ek", bytes(16))
    assert store.get_int("energy/a_plus") == 2
    assert store.keys("energy/") == ["energy/a_minus", "energy/a_plus"]
    store.delete("energy/a_minus")
    assert store.keys() == ["energy/a_plus", "key/ek"]
    assert store.get_bytes("key/ek") == bytes(16) and store.get_bytes("nothing") is None


def test_tuples_come_back_as_lists_and_wrong_types_are_refused(store: StateStore) -> None:
    store.put("t", (1, 2))  # type: ignore[arg-type]
    assert store.get("t") == [1, 2]
    with pytest.raises(TypeError):
        store.put("x", {1, 2})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.put("nan", float("nan"))
    store.put("s", "12")
    with pytest.raises(TypeError):
        store.get_int("s")
    with pytest.raises(TypeError):
        store.get_bytes("s")


def test_values_never_reach_the_log(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = bytes.fromhex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff")
    caplog.set_level(logging.DEBUG)
    with StateStore.open(path) as s:
        s.put("key/ek", secret)
        s.put_attribute("0.0.43.0.0.255", 2, secret)
        assert "0011" not in repr(s) and secret.hex() not in repr(s)
    with pytest.raises(TypeError) as e:
        StateStore.memory().put("key/x", {secret.hex(): object()})  # type: ignore[dict-item]
    assert secret.hex() not in str(e.value)
    assert caplog.records and not any(secret.hex() in r.getMessage() for r in caplog.records)


def test_advance_never_goes_backwards(store: StateStore) -> None:
    assert store.advance("c", 10) == 10
    assert store.advance("c", 3) == 10
    assert store.get_int("c") == 10
    assert store.advance("c", 11) == 11


def test_instants_round_trip_with_their_offset(store: StateStore) -> None:
    local = T0.astimezone(dt.timezone(dt.timedelta(hours=2)))
    store.put_instant("advanced", local)
    got = store.get_instant("advanced")
    assert got == local and got is not None and got.utcoffset() == dt.timedelta(hours=2)
    assert store.get_instant("nothing") is None
    with pytest.raises(ValueError, match="aware"):
        store.put_instant("naive", dt.datetime(2026, 1, 1))


def test_mark_alive_keeps_the_last_instant(path: Path) -> None:
    with StateStore.open(path) as s:
        assert s.last_alive() is None
        for i in range(5):
            s.mark_alive(T0 + dt.timedelta(seconds=5 * i))
    with StateStore.open(path) as s:
        assert s.last_alive() == T0 + dt.timedelta(seconds=20)


def test_mark_alive_cost(path: Path) -> None:
    """Report what a durable mark_alive costs (no timing assertion)."""
    with StateStore.open(path) as s:
        n, began = 200, time.perf_counter()
        for i in range(n):
            s.mark_alive(T0 + dt.timedelta(seconds=i))
        per_call = (time.perf_counter() - began) / n
        assert s.last_alive() == T0 + dt.timedelta(seconds=n - 1)
    print(f"mark_alive (synchronous=FULL): {per_call * 1e6:.0f} us per call")


def test_attributes_replay_in_last_written_order(store: StateStore) -> None:
    store.put_attribute("1.0.99.1.0.255", 4, bytes.fromhex("06 00 00 07 08"))
    store.put_attribute("0.0.13.0.0.255", 10, bytes.fromhex("09 02 01 02"))
    store.put_attribute("1.0.99.1.0.255", 4, bytes.fromhex("06 00 00 03 84"))
    assert store.attributes() == [
        ("0.0.13.0.0.255", 10, bytes.fromhex("09 02 01 02")),
        ("1.0.99.1.0.255", 4, bytes.fromhex("06 00 00 03 84")),
    ]


# -- profiles --------------------------------------------------------------------------------


def test_rows_round_trip_and_load_the_newest_in_order(path: Path) -> None:
    with StateStore.open(path) as s:
        s.append_rows("1.0.99.1.0.255", lp1(10))
        s.append_rows("1.0.99.1.0.255", lp1(5, start=10))
        s.append_rows("1.0.99.98.0.255", [(STAMP, 1), (None, 2)])
    with StateStore.open(path) as s:
        assert s.load_rows("1.0.99.1.0.255") == lp1(15)
        assert s.load_rows("1.0.99.1.0.255", limit=4) == lp1(4, start=11)
        assert s.load_rows("1.0.99.1.0.255", limit=0) == []
        assert s.load_rows("1.0.99.98.0.255") == [(STAMP, 1), (None, 2)]
        assert s.load_rows("unknown") == [] and s.count_rows("unknown") == 0
        assert s.profiles() == ["1.0.99.1.0.255", "1.0.99.98.0.255"]


def test_fifo_trimming_drops_only_the_oldest(store: StateStore) -> None:
    for start in range(0, 300, 7):
        store.append_rows("lp", lp1(7, start), capacity=128)
        assert store.count_rows("lp") == min(start + 7, 128)
    assert store.load_rows("lp") == lp1(128, start=301 - 128)
    store.trim_rows("lp", 10)
    assert store.load_rows("lp") == lp1(10, start=291)
    store.append_rows("lp", lp1(1, 301), capacity=10)
    assert store.load_rows("lp") == lp1(10, start=292)


def test_a_batch_larger_than_the_capacity_keeps_its_newest_rows(store: StateStore) -> None:
    store.append_rows("lp", lp1(50), capacity=8)
    assert store.load_rows("lp") == lp1(8, start=42)
    store.append_rows("lp", lp1(3, start=50), capacity=0)
    assert store.load_rows("lp") == []


def test_trimming_deletes_without_rewriting(store: StateStore) -> None:
    store.append_rows("lp", lp1(100), capacity=100)
    before = store._db.execute("SELECT seq FROM profile_row WHERE seq = 50").fetchone()
    store.append_rows("lp", lp1(1, 100), capacity=100)
    seqs = [r[0] for r in store._db.execute("SELECT seq FROM profile_row ORDER BY seq")]
    assert before == (50,) and seqs == list(range(1, 101))  # the kept rows kept their keys


def vm_steps(store: StateStore, action: Callable[[StateStore], object]) -> int:
    """SQLite virtual-machine instructions ``action`` runs (a cost that is not time)."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store._db.set_progress_handler(count, 1)
    action(store)
    store._db.set_progress_handler(None, 1)
    return steps[0]


def test_an_append_to_a_full_profile_costs_what_it_costs_on_a_small_one() -> None:
    """No scan of the profile per append, load or count (the 19,680-row LP1)."""
    small, full = StateStore.memory(), StateStore.memory()
    small.append_rows("lp", lp1(10), capacity=19_680)
    full.append_rows("lp", lp1(19_680), capacity=19_680)
    for op in (
        lambda s: s.append_rows("lp", lp1(1, 20_000), capacity=19_680),
        lambda s: s.count_rows("lp"),
        lambda s: s.load_rows("lp", 5),
    ):
        assert vm_steps(full, op) < vm_steps(small, op) + 50


def test_clear_then_append(store: StateStore) -> None:
    store.append_rows("lp", lp1(5))
    store.clear_rows("lp")
    assert store.load_rows("lp") == [] and store.count_rows("lp") == 0
    store.append_rows("lp", lp1(2, 9))
    assert store.load_rows("lp") == lp1(2, 9)


def test_a_bad_row_writes_nothing(store: StateStore) -> None:
    with pytest.raises(TypeError):
        store.append_rows("lp", [*lp1(3), (STAMP, "text", 1, 2)])  # type: ignore[list-item]
    assert store.count_rows("lp") == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.none() | st.integers(), st.binary(max_size=20)), max_size=9)))
def test_appends_with_capacity_match_a_list_model(batches: list[list[tuple[object, ...]]]) -> None:
    store, model = StateStore.memory(), []
    for batch in batches:
        store.append_rows("p", batch, capacity=17)
        model = (model + batch)[-17:]
    assert store.load_rows("p") == model
    assert store.load_rows("p", 5) == model[-5:]


# -- transactions ----------------------------------------------------------------------------


def test_a_transaction_that_raises_leaves_nothing_behind(path: Path) -> None:
    with StateStore.open(path) as s:
        s.put("energy", 1)
        s.append_rows("lp", lp1(2))
        with pytest.raises(RuntimeError), s.transaction():
            s.put("energy", 2)
            s.put("new", "x")
            s.append_rows("lp", lp1(3, 2))
            s.append_rows("events", [(STAMP, 1)])
            s.put_attribute("0.0.1.0.0.255", 2, b"\x01")
            s.mark_alive(T0)
            raise RuntimeError("power cut mid-batch")
        assert not s.in_transaction
    with StateStore.open(path) as s:
        assert s.get("energy") == 1 and s.get("new") is None and s.last_alive() is None
        assert s.load_rows("lp") == lp1(2) and s.load_rows("events") == []
        assert s.attributes() == [] and s.profiles() == ["lp"]
        s.append_rows("events", [(STAMP, 3)])  # the rolled-back profile id is not reused stale
        assert s.load_rows("events") == [(STAMP, 3)]


def test_a_transaction_commits_everything_together(path: Path) -> None:
    with StateStore.open(path) as s, s.transaction():
        s.put("energy", 5)
        s.append_rows("lp", lp1(1))
    with StateStore.open(path) as s:
        assert s.get("energy") == 5 and s.load_rows("lp") == lp1(1)


def test_a_nested_transaction_is_a_savepoint(store: StateStore) -> None:
    with store.transaction():
        store.put("outer", 1)
        with pytest.raises(KeyError), store.transaction():
            store.put("inner", 2)
            raise KeyError("inner")
        with store.transaction():
            store.put("inner2", 3)
    assert store.keys() == ["inner2", "outer"]


# -- the file --------------------------------------------------------------------------------


def test_the_file_is_wal_full_with_a_schema_version(path: Path) -> None:
    with StateStore.open(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 1
        assert s._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert s._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    with StateStore.open(path, synchronous="NORMAL") as s:
        assert s._db.execute("PRAGMA synchronous").fetchone() == (1,)
    with pytest.raises(ValueError, match="FULL or NORMAL"):
        StateStore.open(path, synchronous="OFF")  # type: ignore[arg-type]


def test_one_writer_at_a_time(path: Path) -> None:
    with StateStore.open(path), pytest.raises(StateError, match="in use"):
        StateStore.open(path)
    StateStore.open(path).close()  # free again once closed


def test_a_newer_schema_is_refused(path: Path) -> None:
    StateStore.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(StateError, match="schema version 99"):
        StateStore.open(path)


def test_a_file_that_is_not_a_state_store_is_refused(path: Path) -> None:
    path.write_bytes(b"this is not an SQLite file at all, just bytes " * 40)
    with pytest.raises(StateError, match="not a state file"):
        StateStore.open(path)


def test_a_missing_directory_is_a_state_error(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="cannot open"):
        StateStore.open(tmp_path / "no" / "such" / "dir" / "meter.state")


def test_a_failed_commit_leaves_the_store_usable(store: StateStore) -> None:
    store._db.execute(
        "CREATE TABLE t (x INTEGER REFERENCES kv (key) DEFERRABLE INITIALLY DEFERRED)"
    )
    store._db.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.put("a", 1)
        store._db.execute("INSERT INTO t VALUES (42)")  # fails only at COMMIT
    assert not store.in_transaction and store.get("a") is None
    store.put("b", 2)
    assert store.get("b") == 2


def test_loading_a_full_lp1(path: Path) -> None:
    """19,680 LP1 rows (380 days at 30 min): report the load time, no assertion on it."""
    rows = lp1(19_680)
    with StateStore.open(path) as s:
        began = time.perf_counter()
        s.append_rows("1.0.99.1.0.255", rows, capacity=19_680)
        stored = time.perf_counter() - began
    with StateStore.open(path) as s:
        began = time.perf_counter()
        loaded = s.load_rows("1.0.99.1.0.255")
        took = time.perf_counter() - began
    assert loaded == rows
    print(f"LP1 19,680 rows: stored in {stored * 1e3:.0f} ms, loaded in {took * 1e3:.0f} ms, "
          f"file {path.stat().st_size // 1024} KiB")  # fmt: skip
