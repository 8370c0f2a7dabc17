"""The twin's non-volatile memory (ARCHITECTURE.md "Nothing lost"; issue 4,
"Persistence and control"): one SQLite file per meter, stdlib ``sqlite3`` only.

What it holds, and how::

    schema_version(version)                       one row: SCHEMA_VERSION
    kv(key TEXT PRIMARY KEY, value)               small typed state: JSON text or a BLOB
    attribute(logical_name, attribute, value)     parameters SET by DLMS, as A-XDR bytes
    profile(id, name UNIQUE)                      one per profile (by logical name)
    profile_row(profile, seq, row BLOB)           FIFO rows, seq contiguous per profile,
                                                  PRIMARY KEY (profile, seq), no rowid

Durability, "committed before the meter acts on it". The file runs in WAL mode
with ``synchronous=FULL``: a COMMIT returns only once the WAL is fsync'ed, so a
committed batch survives a kill -9 *and* a power cut of the host. ``NORMAL``
(``open(path, synchronous="NORMAL")``) skips that fsync: it survives kill -9 (the
WAL is in the OS cache) and stays consistent, but a power cut of the host may lose
the last commits; an invocation counter reservation lost that way would let an IC
be reused, so FULL is the default and the only mode for a meter holding keys.

Atomicity: ``with store.transaction(): ...`` is one SQLite transaction (nested
ones are savepoints); a write outside any is a transaction of its own. The twin
commits "energy up to t + profile rows up to t + events up to t" in one.

One writer: the file is opened in exclusive locking mode, so a second process
(a second twin on the same state) gets :class:`StateError`, not a shared IC.

Nothing here logs a value, and nothing reads the wall clock: instants are
arguments. Secrets never lie here in the clear: the twin stores its keys wrapped
under a key-encryption key kept elsewhere (:mod:`openamr.meter.persistence`);
files are created 0600 (the -wal takes the file's mode), and ``secure_delete``
zeroes what is overwritten.

A damaged file is refused with a :class:`StateError` that says what to do, and
nothing is written to it (issue 11, durability)::

    0 bytes                      "empty": a state file that lost its contents
    not SQLite, or damaged       PRAGMA integrity_check at open (SQLite's own)
    -wal missing after a run     the main file says "open" (``store/open``, made
                                 durable in it by a checkpoint at open, cleared
                                 by a clean close): the last commits are lost

A write that fails at run time (disk full, I/O error) raises
:class:`StateWriteError`; the caller decides (the twin goes on from memory).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypeAlias

from openamr.codec.table import Row
from openamr.errors import DlmsError
from openamr.meter.state.rows import decode_row, encode_row

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
#: JSON-able values; ``kv`` also stores ``bytes`` as a BLOB.
Json: TypeAlias = "bool | int | float | str | list[Json] | dict[str, Json] | None"
Value: TypeAlias = "Json | bytes"
Synchronous = Literal["FULL", "NORMAL"]
ALIVE = "alive"  # the kv key of the last-alive instant
OPEN = "store/open"  # in the main file while a process has it open (see the docstring)

_SCHEMA = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    "CREATE TABLE attribute (logical_name TEXT NOT NULL, attribute INTEGER NOT NULL,"
    " value BLOB NOT NULL, UNIQUE (logical_name, attribute))",
    "CREATE TABLE profile (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE profile_row (profile INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " row BLOB NOT NULL, PRIMARY KEY (profile, seq)) WITHOUT ROWID",
)
#: Two scalar subqueries, each a single index probe (min and max together would scan).
_BOUNDS = (
    "SELECT (SELECT min(seq) FROM profile_row WHERE profile = ?1),"
    " (SELECT max(seq) FROM profile_row WHERE profile = ?1)"
)
_PUT = "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?2"


class StateError(DlmsError):
    """The state file cannot be used: not a state store, damaged, written by a newer
    openamr, or held by another process."""


class StateInUseError(StateError):
    """The state file is held by another process (SQLite's exclusive lock)."""


class StateWriteError(StateError):
    """A commit failed (disk full, I/O error): nothing of it was written."""


def _damaged(path: str | Path, what: str) -> StateError:
    return StateError(
        f"{path}: {what}. Nothing was changed in it. Restore it (and its -wal file) from "
        "a backup, or move it away to start a new meter from the factory state"
    )


def _create_private(path: Path) -> None:
    """Create an empty file only its owner can read and write (a state file holds
    counters and wrapped keys); an existing one is made so."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        for p in (path, Path(f"{path}-wal")):
            if p.exists() and p.stat().st_mode & 0o077:
                p.chmod(0o600)


def _check_integrity(db: sqlite3.Connection, path: str | Path, wal_lost: bool) -> None:
    """Refuse a damaged file (SQLite's integrity check) or one whose -wal was lost."""
    problems = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise _damaged(path, f"the state file is damaged ({'; '.join(problems)})")
    has_kv = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'kv'").fetchone()
    if wal_lost and has_kv:
        row = db.execute("SELECT value FROM kv WHERE key = ?", (OPEN,)).fetchone()
        if row is not None and row[0] == "true":
            raise _damaged(
                path,
                f"its write-ahead log {path}-wal is missing (the file was in use and its "
                "last commits are in that log): put the -wal file back next to it",
            )


class StateStore:
    """The twin's state; open it with :meth:`open` (a file) or :meth:`memory`."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        """Use :meth:`open` or :meth:`memory`; the connection must be in autocommit
        mode (``isolation_level=None``): transactions are explicit here."""
        self._db = connection
        self.path = path
        self._closed = False
        self._depth = 0
        self._profiles: dict[str, int] = {}
        self._migrate()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, synchronous: Synchronous = "FULL") -> StateStore:
        """Open (creating if needed) the state file at ``path``."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous is FULL or NORMAL, not {synchronous!r}")
        file = Path(path)
        existed = file.exists()
        if existed and file.is_file() and file.stat().st_size == 0:
            raise _damaged(path, "the state file is empty (0 bytes): it lost its contents")
        wal_lost = existed and not Path(f"{path}-wal").exists()
        try:
            _create_private(file)
            db = sqlite3.connect(path, isolation_level=None, timeout=0)
        except (OSError, sqlite3.Error) as e:
            raise StateError(f"{path}: cannot open the state file: {e}") from None
        try:
            db.execute("PRAGMA locking_mode = EXCLUSIVE")
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StateError(f"{path}: the state file cannot run in WAL mode ({mode})")
            db.execute(f"PRAGMA synchronous = {synchronous}")
            db.execute("PRAGMA secure_delete = ON")
            if existed:
                _check_integrity(db, path, wal_lost)
            return cls(db, str(path))
        except sqlite3.OperationalError as e:
            db.close()
            raise StateInUseError(f"{path}: the state file is in use or unreadable: {e}") from None
        except sqlite3.DatabaseError as e:
            db.close()
            raise _damaged(path, f"not a state file, or a damaged one ({e})") from None
        except BaseException:
            db.close()
            raise

    @classmethod
    def memory(cls) -> StateStore:
        """A store that lives as long as the object (tests)."""
        return cls(sqlite3.connect(":memory:", isolation_level=None), ":memory:")

    def _migrate(self) -> None:
        """Create the schema of a new file; refuse a file of a newer schema."""
        with self.transaction():
            found = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if found is None:
                others = [
                    name
                    for (name,) in self._db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                    )
                ]
                if others:  # a database of another program: never written into
                    shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
                    raise StateError(
                        f"{self.path}: not an openamr state file (it holds the tables "
                        f"{shown}): give --state a new file or one the twin wrote"
                    )
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        version = self.schema_version
        if version != SCHEMA_VERSION:  # no older version exists yet: nothing to migrate
            raise StateError(f"{self.path}: schema version {version}, expected {SCHEMA_VERSION}")
        log.debug("state store %s opened (schema %d)", self.path, version)

    @property
    def schema_version(self) -> int:
        row = self._db.execute("SELECT version FROM schema_version").fetchone()
        return int(row[0])

    def mark_open(self) -> None:
        """``store/open`` into the main file itself (a checkpoint), so that a -wal lost
        while the file was in use is noticed at the next open. Call it once the file
        was read back whole: nothing is written to a file before (a damaged one is
        refused as it is)."""
        if self.path != ":memory:":
            self.put(OPEN, True)
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close cleanly: ``store/open`` cleared, the WAL checkpointed into the file."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.path != ":memory:" and not self.in_transaction:
                self.put(OPEN, False)
        except (sqlite3.Error, StateError):
            pass  # a full disk: the next open finds the -wal, or says the file was open
        self._db.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True):
            return
        try:
            self.close()
        except Exception:  # collected in another thread or at exit: SQLite closes it
            self._closed = True

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({self.path!r})"

    # -- transactions ----------------------------------------------------------------------

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nested: a savepoint
        (the inner block undone alone if it raises, committed with the outer)."""
        depth = self._depth
        begin, commit = ("BEGIN IMMEDIATE", "COMMIT") if depth == 0 else (
            f"SAVEPOINT s{depth}", f"RELEASE s{depth}"
        )  # fmt: skip
        try:
            self._db.execute(begin)
        except sqlite3.OperationalError as e:
            raise StateWriteError(f"{self.path}: cannot write: {e}") from None
        self._depth += 1
        try:
            yield
            self._db.execute(commit)
        except sqlite3.OperationalError as e:  # disk full, I/O error: nothing written
            self._rollback(depth)
            raise StateWriteError(f"{self.path}: cannot write: {e}") from None
        except BaseException:
            self._rollback(depth)
            raise
        finally:
            self._depth = depth

    def _rollback(self, depth: int) -> None:
        self._profiles.clear()  # a profile created inside may be gone
        try:
            if depth == 0:
                if self._db.in_transaction:  # a failed COMMIT may have ended it already
                    self._db.execute("ROLLBACK")
            else:
                self._db.execute(f"ROLLBACK TO s{depth}")
                self._db.execute(f"RELEASE s{depth}")
        except sqlite3.OperationalError:
            pass  # SQLite already rolled back (SQLITE_FULL ends the transaction)

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        if self._depth:
            yield
        else:
            with self.transaction():
                yield

    # -- small typed state -----------------------------------------------------------------

    def put(self, key: str, value: Value) -> None:
        """Store ``value`` under ``key``: bytes as a BLOB, anything else as JSON
        (a tuple comes back as a list). The value is never logged."""
        if isinstance(value, (bytes, bytearray, memoryview)):
            stored: str | bytes = bytes(value)
        else:
            try:
                stored = json.dumps(value, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError):
                raise TypeError(f"kv {key!r}: a {type(value).__name__} is not JSON") from None
        with self._atomic():
            self._db.execute(_PUT, (key, stored))

    def get(self, key: str, default: Value = None) -> Value:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            return default
        stored = row[0]
        if isinstance(stored, bytes):
            return stored
        loaded: Json = json.loads(stored)
        return loaded

    def get_int(self, key: str, default: int = 0) -> int:
        value = self.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"kv {key!r} holds a {type(value).__name__}, not an int")
        return value

    def get_bytes(self, key: str) -> bytes | None:
        value = self.get(key)
        if value is not None and not isinstance(value, bytes):
            raise TypeError(f"kv {key!r} holds a {type(value).__name__}, not bytes")
        return value

    def put_instant(self, key: str, instant: dt.datetime) -> None:
        """Store an aware instant (ISO 8601 with its UTC offset)."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"kv {key!r}: the instant must be aware, got {instant}")
        self.put(key, instant.isoformat())

    def get_instant(self, key: str) -> dt.datetime | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"kv {key!r} holds a {type(value).__name__}, not an instant")
        return dt.datetime.fromisoformat(value)

    def delete(self, key: str) -> None:
        with self._atomic():
            self._db.execute("DELETE FROM kv WHERE key = ?", (key,))

    def keys(self, prefix: str = "") -> list[str]:
        """The stored keys starting with ``prefix``, sorted."""
        rows = self._db.execute(
            "SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key", (len(prefix), prefix)
        )
        return [r[0] for r in rows]

    def advance(self, key: str, value: int) -> int:
        """Store ``max(stored, value)`` and return it: a counter that never goes
        backwards (an IC reservation, a register's high-water mark)."""
        with self._atomic():
            highest = max(self.get_int(key, value), value)
            self._db.execute(_PUT, (key, json.dumps(highest)))
        return highest

    # -- the last-alive instant ------------------------------------------------------------

    def mark_alive(self, instant: dt.datetime) -> None:
        """Record that the meter was alive (powered) at ``instant``; one small
        commit. On restart, last_alive() .. now is the outage."""
        self.put_instant(ALIVE, instant)

    def last_alive(self) -> dt.datetime | None:
        return self.get_instant(ALIVE)

    # -- parameters written by DLMS SET ----------------------------------------------------

    def put_attribute(self, logical_name: str, attribute: int, encoded: bytes) -> None:
        """Remember a SET attribute as its A-XDR encoding (replayed on restart)."""
        with self._atomic():
            self._db.execute(
                "INSERT OR REPLACE INTO attribute VALUES (?, ?, ?)",
                (logical_name, attribute, bytes(encoded)),
            )

    def attributes(self) -> list[tuple[str, int, bytes]]:
        """Every stored attribute as (logical name, index, A-XDR), in the order
        they were last written (the order to replay them in)."""
        rows = self._db.execute(
            "SELECT logical_name, attribute, value FROM attribute ORDER BY rowid"
        )
        return [(name, int(index), bytes(value)) for name, index, value in rows]

    # -- profiles --------------------------------------------------------------------------

    def _profile_id(self, name: str, create: bool) -> int | None:
        cached = self._profiles.get(name)
        if cached is not None:
            return cached
        row = self._db.execute("SELECT id FROM profile WHERE name = ?", (name,)).fetchone()
        if row is None:
            if not create:
                return None
            row = self._db.execute(
                "INSERT INTO profile (name) VALUES (?) RETURNING id", (name,)
            ).fetchone()
        self._profiles[name] = int(row[0])
        return int(row[0])

    def _bounds(self, pid: int) -> tuple[int, int] | None:
        first, last = self._db.execute(_BOUNDS, (pid,)).fetchone()
        return None if first is None else (int(first), int(last))

    def append_rows(self, profile: str, rows: Sequence[Row], capacity: int | None = None) -> None:
        """Append ``rows`` (oldest first) to ``profile``; with ``capacity``, drop
        the oldest rows beyond it (FIFO), deleting only those."""
        blobs = [encode_row(r) for r in rows]  # every row encodes before any write
        with self._atomic():
            pid = self._profile_id(profile, create=True)
            assert pid is not None
            bounds = self._bounds(pid)
            start = 0 if bounds is None else bounds[1] + 1
            self._db.executemany(
                "INSERT INTO profile_row VALUES (?, ?, ?)",
                ((pid, start + i, b) for i, b in enumerate(blobs)),
            )
            if capacity is not None:
                self._trim(pid, start + len(blobs) - 1, capacity)

    def _trim(self, pid: int, last: int, capacity: int) -> None:
        """Rows of one profile have contiguous seq (appends at the end, deletes
        from the start), so the oldest row kept is ``last - capacity + 1``."""
        self._db.execute(
            "DELETE FROM profile_row WHERE profile = ? AND seq <= ?",
            (pid, last - max(capacity, 0)),
        )

    def trim_rows(self, profile: str, capacity: int) -> None:
        """Keep only the newest ``capacity`` rows (profile_entries made smaller)."""
        with self._atomic():
            pid = self._profile_id(profile, create=False)
            bounds = None if pid is None else self._bounds(pid)
            if pid is not None and bounds is not None:
                self._trim(pid, bounds[1], capacity)

    def clear_rows(self, profile: str) -> None:
        """Empty ``profile`` (reset, or new capture objects)."""
        with self._atomic():
            pid = self._profile_id(profile, create=False)
            if pid is not None:
                self._db.execute("DELETE FROM profile_row WHERE profile = ?", (pid,))

    def count_rows(self, profile: str) -> int:
        pid = self._profile_id(profile, create=False)
        bounds = None if pid is None else self._bounds(pid)
        return 0 if bounds is None else bounds[1] - bounds[0] + 1

    def load_rows(self, profile: str, limit: int | None = None) -> list[Row]:
        """The newest ``limit`` rows of ``profile`` (all with None), oldest first."""
        pid = self._profile_id(profile, create=False)
        bounds = None if pid is None else self._bounds(pid)
        if bounds is None:
            return []
        first = bounds[0] if limit is None else max(bounds[0], bounds[1] - limit + 1)
        cursor = self._db.execute(
            "SELECT row FROM profile_row WHERE profile = ? AND seq >= ? ORDER BY seq",
            (pid, first),
        )
        return [decode_row(blob) for (blob,) in cursor]

    def profiles(self) -> list[str]:
        """The names of the profiles that have (or had) rows, sorted."""
        return [r[0] for r in self._db.execute("SELECT name FROM profile ORDER BY name")]
