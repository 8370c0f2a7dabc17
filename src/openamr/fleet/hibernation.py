"""The fleet's one state file (issue 12, "Persistence", "Memory"): SQLite, stdlib
``sqlite3``, WAL, one writer (exclusive lock), as the single twin's.

A meter that is awake keeps its non-volatile memory in its own in-memory
:class:`~openamr.meter.state.StateStore` (the twin's persistence commits there, as
it would to its own file). Hibernating a meter serialises that database
(``sqlite3.Connection.serialize``), compresses it (zlib) and stores it in one row;
waking it deserialises the row into a fresh in-memory store that the twin resumes
from (``build_mt372(state=..., outage=False)``: no outage, time ran on)::

    fleet(key TEXT PRIMARY KEY, value)     the fleet's epoch, clock anchor, and its
                                           downtimes (restart/N: "down/up" instants)
    meter(serial TEXT PRIMARY KEY,         one row per meter that was ever awake
          snapshot BLOB, saved TEXT)       saved: the fleet's true time of the snapshot

A meter that never talked to anyone has no row: it is built from its identity and
the fleet's epoch when first reached, and the lazy twin makes it exact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path

from openamr.meter.state import StateError, StateStore

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS fleet (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS meter (serial TEXT PRIMARY KEY, snapshot BLOB NOT NULL,"
    " saved TEXT NOT NULL) WITHOUT ROWID",
)


class FleetState:
    """The fleet's state file (or an in-memory one: :meth:`memory`)."""

    def __init__(self, db: sqlite3.Connection, path: str) -> None:
        self._db, self.path = db, path
        try:
            for statement in _SCHEMA:
                self._db.execute(statement)
        except sqlite3.DatabaseError as e:
            raise StateError(f"{path}: not a fleet state file: {e}") from None

    # check_same_thread=False: one event loop uses the file, but not always from the
    # thread that opened it (the tests run the fleet's loop in a background thread).
    @classmethod
    def open(cls, path: str | Path) -> FleetState:
        try:
            db = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now: one writer
            db.execute("COMMIT")
        except sqlite3.Error as e:
            raise StateError(f"{path}: the fleet state file is in use or unreadable: {e}") from None
        return cls(db, str(path))

    @classmethod
    def memory(cls) -> FleetState:
        return cls(
            sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False), ":memory:"
        )

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """The writes within as one transaction: all of them in the file, or none
        (one sync of the file for them all, not one each)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- the fleet ----------------------------------------------------------------------

    def get_instant(self, key: str) -> dt.datetime | None:
        row = self._db.execute("SELECT value FROM fleet WHERE key = ?", (key,)).fetchone()
        return None if row is None else dt.datetime.fromisoformat(row[0])

    def put_instant(self, key: str, value: dt.datetime) -> None:
        self._db.execute(
            "INSERT INTO fleet VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?2",
            (key, value.isoformat()),
        )

    # -- the meters ---------------------------------------------------------------------

    def save(self, serial: str, store: MeterStore, saved: dt.datetime) -> None:
        """Store the meter's memory (one transaction: the old row or the new one)."""
        blob = zlib.compress(store.connection.serialize(), 1)
        self._db.execute(
            "INSERT INTO meter VALUES (?, ?, ?) ON CONFLICT (serial) DO UPDATE"
            " SET snapshot = ?2, saved = ?3",
            (serial, blob, saved.isoformat()),
        )

    def load(self, serial: str) -> MeterStore | None:
        """The meter's memory as it was saved (None: it never was)."""
        row = self._db.execute("SELECT snapshot FROM meter WHERE serial = ?", (serial,)).fetchone()
        if row is None:
            return None
        db = sqlite3.connect(":memory:", isolation_level=None)
        try:
            db.deserialize(zlib.decompress(row[0]))
        except (zlib.error, sqlite3.DatabaseError) as e:
            db.close()
            raise StateError(f"{self.path}: meter {serial}'s snapshot is damaged: {e}") from None
        return MeterStore(db, f"{self.path}#{serial}")

    def saved_at(self, serial: str) -> dt.datetime | None:
        """The fleet's true time of the meter's last snapshot."""
        row = self._db.execute("SELECT saved FROM meter WHERE serial = ?", (serial,)).fetchone()
        return None if row is None else dt.datetime.fromisoformat(row[0])

    def restarts(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The fleet's downtimes (last save, restart), oldest first."""
        rows = self._db.execute(
            "SELECT value FROM fleet WHERE key LIKE 'restart/%' ORDER BY key"
        ).fetchall()
        spans = (row[0].split("/") for row in rows)
        return [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in spans]

    def add_restart(self, down: dt.datetime, up: dt.datetime) -> None:
        key = f"restart/{len(self.restarts()):06d}"
        self._db.execute(
            "INSERT INTO fleet VALUES (?, ?)", (key, f"{down.isoformat()}/{up.isoformat()}")
        )

    def serials(self) -> set[str]:
        return {row[0] for row in self._db.execute("SELECT serial FROM meter")}

    def bytes_of(self, serial: str) -> int:
        row = self._db.execute(
            "SELECT length(snapshot) FROM meter WHERE serial = ?", (serial,)
        ).fetchone()
        return 0 if row is None else int(row[0])


class MeterStore(StateStore):
    """One awake meter's state store, in memory, that the fleet can serialise."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        super().__init__(connection, path)
        self.connection = connection

    @classmethod
    def fresh(cls, serial: str) -> MeterStore:
        """A new meter's empty store: a copy of :func:`empty_image` (the schema made
        once per process, not for every meter built)."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.deserialize(empty_image())
        return cls(db, f":memory:#{serial}")


@functools.cache
def empty_image() -> bytes:
    """An empty state store with its schema (``StateStore``'s own), serialised."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    store = StateStore(db, ":memory:")  # closes the connection when it goes
    try:
        return db.serialize()
    finally:
        store.close()
