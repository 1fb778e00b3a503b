"""The SQLite file under the outboxes: one connection, one lock, the schema and its upgrades.

One file holds the outboxes of one edge (an edge box, ``Outbox(path, edge)``) or of every home
of a hosted process (:class:`OutboxFile` shared by one :class:`edge.outbox.Outbox` per home):
a hosted process of 10,000 homes then holds 3 file descriptors (the database, ``-wal`` and
``-shm``), not 30,000, and one fsync can cover several homes' writes (:meth:`synced_once`).

Why these settings:

* WAL journal: readers never block the writer, and a commit is one append to the WAL.
* ``synchronous=FULL``: the WAL is fsynced at every commit. ``NORMAL`` would already survive
  SIGKILL (the WAL sits in the OS page cache), but an edge box in a flat is unplugged or loses
  power far more often than a server, and a lost fall event is the one thing we must not lose.

Schema version 3 keys every row by its ``edge``: ``items (edge, seq)``, ``staged (edge)``
and ``meta (edge, key)`` (``last_seq``, ``dropped_telemetry``; the empty edge is the file's
own). A version-1 or 2 file (one edge's, the edge in ``meta``) is upgraded in place, in one
transaction, its rows given that edge.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

SCHEMA_VERSION = 3  # 2: the staged table; 3: every row keyed by its edge (many per file)
FILE_EDGE = ""  # meta rows of the file itself, not of an edge

_SCHEMA = """
CREATE TABLE meta (
    edge  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (edge, key)
) STRICT;
CREATE TABLE items (
    edge     TEXT    NOT NULL,
    seq      INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    topic    TEXT    NOT NULL,
    payload  BLOB    NOT NULL,
    PRIMARY KEY (edge, seq)
) STRICT;
CREATE INDEX items_by_priority ON items (edge, priority, seq);
CREATE TABLE staged (
    id      INTEGER PRIMARY KEY,
    edge    TEXT    NOT NULL,
    reading BLOB    NOT NULL
) STRICT;
CREATE INDEX staged_by_edge ON staged (edge, id);
"""

# A version-1/2 file: its tables renamed, its rows copied under its one edge, then dropped.
_OLD_TABLES = ("meta", "items", "staged")


class OutboxError(Exception):
    """Root of the outbox's errors; always names the database file."""

    def __init__(self, reason: str, *, path: str | Path):
        self.reason = reason
        self.path = str(path)
        super().__init__(f"outbox {self.path}: {reason}")


class OutboxFile:
    """One outbox database: its connection, the lock every use takes, its transactions.

    Thread-safe: every use holds the lock (re-entrant, so a :meth:`synced_once` block can
    hold it around the writes it covers).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._closed = False
        self._deferred = 0  # depth of synced_once blocks: commits wait for its one sync
        self._synchronous = "FULL"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutboxError(f"cannot create the data folder: {exc}", path=self.path) from exc
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see write).
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open: {exc}", path=self.path) from exc
        try:
            self._setup()
        except OutboxError:
            self.db.close()
            raise
        except sqlite3.Error as exc:
            self.db.close()
            raise OutboxError(f"cannot open: {exc}", path=self.path) from exc

    def _setup(self) -> None:
        db = self.db
        # A file that is not SQLite fails here ("file is not a database").
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OutboxError(f"cannot switch to WAL journal (got {mode})", path=self.path)
        db.execute("PRAGMA synchronous=FULL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise OutboxError(
                f"schema version {version} is newer than this code ({SCHEMA_VERSION})",
                path=self.path,
            )
        if version == SCHEMA_VERSION:
            return
        with self.write():
            # BEGIN IMMEDIATE holds the write lock: read the version again under it.
            if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
                return
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            old = [t for t in _OLD_TABLES if t in tables]
            for table in old:
                db.execute(f"ALTER TABLE {table} RENAME TO old_{table}")
            db.execute("DROP INDEX IF EXISTS items_by_priority")
            # One statement at a time: executescript() would COMMIT our transaction.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            if "meta" in old:
                self._copy_version_2(old)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _copy_version_2(self, old: list[str]) -> None:
        """The one edge's rows, under its id (the 'edge' row of the old meta)."""
        db = self.db
        row = db.execute("SELECT value FROM old_meta WHERE key = 'edge'").fetchone()
        if row is None:
            raise OutboxError("version-2 file names no edge: cannot upgrade", path=self.path)
        edge = row[0]
        db.execute(
            "INSERT INTO meta (edge, key, value) SELECT ?, key, value FROM old_meta"
            " WHERE key != 'edge'",
            (edge,),
        )
        if "items" in old:
            db.execute(
                "INSERT INTO items (edge, seq, kind, priority, topic, payload)"
                " SELECT ?, seq, kind, priority, topic, payload FROM old_items",
                (edge,),
            )
        if "staged" in old:
            db.execute(
                "INSERT INTO staged (id, edge, reading) SELECT id, ?, reading FROM old_staged",
                (edge,),
            )
        for table in old:
            db.execute(f"DROP TABLE old_{table}")

    # -- the edges in the file ----------------------------------------------------------------

    def register(self, edge: str) -> None:
        """The edge's meta rows exist (its seq starts at 0): a write only the first time."""
        with self.locked(), self.translated("register the edge"):
            known = self.db.execute(
                "SELECT COUNT(*) FROM meta WHERE edge = ? AND key IN ('last_seq',"
                " 'dropped_telemetry')",
                (edge,),
            ).fetchone()[0]
            if known == 2:
                return
        with self.locked(), self.write():
            for key in ("last_seq", "dropped_telemetry"):
                self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?, '0')", (edge, key))

    def edges(self) -> list[str]:
        """The edges that have rows in this file, sorted."""
        with self.locked(), self.translated("list the edges"):
            rows = self.db.execute(
                "SELECT DISTINCT edge FROM meta WHERE edge != ? ORDER BY edge", (FILE_EDGE,)
            ).fetchall()
        return [edge for (edge,) in rows]

    def require_only(self, edge: str) -> None:
        """OutboxError unless this file holds no edge but ``edge``: a seq is per edge, so
        another edge's items must never be sent (or adopted) under this one."""
        others = [e for e in self.edges() if e != edge]
        if others:
            raise OutboxError(f"belongs to edge {others[0]!r}, not {edge!r}", path=self.path)

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self._lock:
            if self._closed:
                raise OutboxError("closed", path=self.path)
            yield

    @contextmanager
    def translated(self, action: str) -> Iterator[None]:
        """sqlite3 errors leave this module as OutboxError, with the path and the action."""
        try:
            yield
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot {action}: {exc}", path=self.path) from exc

    @contextmanager
    def write(self, *, sync: bool = True) -> Iterator[None]:
        """One write transaction, fsynced at its commit if ``sync`` (and no
        :meth:`synced_once` block defers the sync). BEGIN IMMEDIATE takes the write lock up
        front, so a second writer on the same file waits (then fails with "locked") before
        reading last_seq, never after: two writers can never hand out the same seq."""
        with self.translated("write"):
            self._set_synchronous("FULL" if sync and not self._deferred else "NORMAL")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.db.in_transaction:  # SQLite may already have rolled back itself
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    @contextmanager
    def synced_once(self) -> Iterator[None]:
        """The writes in this block (several homes', on this thread) are committed each on
        its own as usual, all or nothing, but fsynced once, at the end of the block.

        Safe because the WAL is one sequence: a power cut loses a suffix of commits, never
        one in the middle, and the block's last sync covers every commit before it. What
        the block wrote is durable against a power cut only when it exits: the caller must
        not send any of it (nor await) before. Blocks nest; the outermost syncs. A failing
        sync raises OutboxError; the commits stay (they survive the process being killed)
        and the next synced write covers them.
        """
        with self.locked():
            self._deferred += 1
            try:
                yield
            finally:
                self._deferred -= 1
            if not self._deferred:
                self.sync()

    def sync(self) -> None:
        """Fsync the WAL now: a tiny synced commit (SQLite syncs the WAL only at a commit
        that wrote something, and that sync covers every earlier commit)."""
        with self.locked(), self.write():
            self.db.execute(
                "INSERT INTO meta VALUES (?, 'syncs', '1') ON CONFLICT (edge, key)"
                " DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                (FILE_EDGE,),
            )

    def _set_synchronous(self, level: str) -> None:
        if level != self._synchronous:
            self.db.execute(f"PRAGMA synchronous={level}")
            self._synchronous = level

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close the database; idempotent. Every synced write is already on disk."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with self.translated("close"):
                self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OutboxFile({str(self.path)!r})"
