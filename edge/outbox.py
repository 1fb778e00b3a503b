"""The edge's durable outbox: everything sent upstream is stored here first.

An item enters with the next per-edge ``seq`` and leaves only when the agent calls
:meth:`Outbox.ack` (or :meth:`Outbox.ack_many` for a window) after the broker acknowledged
the publish (QoS 1). A crash, a power cut or an hour without uplink therefore loses nothing
that ``put`` returned, and a replay after a crash is harmless because the hub deduplicates
on ``(edge, seq)`` (ARCHITECTURE.md).

Storage is one SQLite file. Why these settings:

* WAL journal: readers never block the writer, and a commit is one append to the WAL.
* ``synchronous=FULL``: the WAL is fsynced at every commit. ``NORMAL`` would already survive
  SIGKILL (the WAL sits in the OS page cache), but an edge box in a flat is unplugged or loses
  power far more often than a server, and a lost fall event is the one thing we must not lose.
  The price is one fsync per ``put``/``ack``; telemetry arrives in batches (``put_many``)
  and the agent acks a drained window at once (``ack_many``).
* ``last_seq`` lives in a meta table updated in the same transaction as the insert, never
  derived from ``max(seq)`` of the items, so a seq is never reused even when every item was
  acked and the process restarts.

The bound (``max_items``) is a soft bound that only telemetry pays for: after each write, while
there are more than ``max_items`` items, the oldest telemetry item is deleted and counted in
``dropped_telemetry`` (persisted). Events and status are never dropped, so if they alone fill
the outbox it grows past ``max_items`` (they are rare and small; losing one is not acceptable).
A telemetry item put into an outbox that holds nothing else to drop is itself dropped at once:
its seq is consumed (seq gaps are fine for the hub) and the drop is counted.

Telemetry is staged before it is sealed. Readings arrive one by one, but go up in batches
(one message a minute, say): :meth:`Outbox.stage` keeps them, one transaction for whatever
arrived in the last second, and :meth:`Outbox.seal_telemetry` turns everything staged into
telemetry items with their seqs, in one synced transaction. A process killed between the two
loses nothing: the next :meth:`seal_telemetry` (the agent seals at start) sends what was
staged. Staging does not wait for the disk (see :meth:`Outbox.stage`): a power cut may lose
readings staged since the last synced write, never an event. Staged readings are not
counted against ``max_items``; the items they become are.

The class is synchronous and holds one connection; a lock makes it safe to call from a worker
thread (``asyncio.to_thread``) as well as from the event loop's thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, get_args

Kind = Literal["event", "telemetry", "status"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Delivery order: events before status before telemetry; by seq within a kind.
_PRIORITY: dict[str, int] = {"event": 0, "status": 1, "telemetry": 2}

_SCHEMA_VERSION = 2  # 2: the staged table (created in version-1 files when they are opened)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS items (
    seq      INTEGER PRIMARY KEY,
    kind     TEXT    NOT NULL,
    priority INTEGER NOT NULL,
    topic    TEXT    NOT NULL,
    payload  BLOB    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS items_by_priority ON items (priority, seq);
CREATE TABLE IF NOT EXISTS staged (
    id      INTEGER PRIMARY KEY,
    reading BLOB    NOT NULL
) STRICT;
"""


def _encode(document: Any) -> bytes:
    """Compact UTF-8 JSON; NaN is a caller bug (ValueError), not a token to send the hub."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


class OutboxError(Exception):
    """Root of the outbox's errors; always names the database file."""

    def __init__(self, reason: str, *, path: str | Path):
        self.reason = reason
        self.path = str(path)
        super().__init__(f"outbox {self.path}: {reason}")


@dataclass(frozen=True)
class OutboxItem:
    seq: int
    kind: Kind
    topic: str
    payload: bytes  # the JSON to publish, already containing "edge" and "seq"


@dataclass(frozen=True)
class OutboxDepth:
    events: int
    telemetry: int
    status: int
    dropped_telemetry: int  # since the outbox file was created (persisted)
    staged: int = 0  # readings kept durably, not yet sealed into a telemetry item

    @property
    def total(self) -> int:
        return self.events + self.telemetry + self.status


class Outbox:
    """A durable, bounded, ordered queue of upstream messages for one edge."""

    def __init__(self, path: str | Path, edge: str, *, max_items: int = 100_000):
        if not edge:
            raise ValueError("edge must be a non-empty id")
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self.path = Path(path)
        self.edge = edge
        self.max_items = max_items
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutboxError(f"cannot create the data folder: {exc}", path=self.path) from exc
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (see _write).
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open: {exc}", path=self.path) from exc
        try:
            self._setup()
        except OutboxError:
            self._db.close()
            raise
        except sqlite3.Error as exc:
            self._db.close()
            raise OutboxError(f"cannot open: {exc}", path=self.path) from exc

    def _setup(self) -> None:
        db = self._db
        # A file that is not SQLite fails here ("file is not a database").
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OutboxError(f"cannot switch to WAL journal (got {mode})", path=self.path)
        db.execute("PRAGMA synchronous=FULL")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > _SCHEMA_VERSION:
            raise OutboxError(
                f"schema version {version} is newer than this code ({_SCHEMA_VERSION})",
                path=self.path,
            )
        with self._write():
            # One statement at a time: executescript() would COMMIT our transaction.
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('edge', ?)", (self.edge,))
            db.execute("INSERT OR IGNORE INTO meta VALUES ('last_seq', '0')")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('dropped_telemetry', '0')")
            stored_edge = self._meta("edge")
        # The seq is per edge: items of another edge must not be replayed under this one.
        if stored_edge != self.edge:
            raise OutboxError(f"belongs to edge {stored_edge!r}, not {self.edge!r}", path=self.path)

    # -- writing ------------------------------------------------------------------------------

    def put(self, kind: Kind, topic: str, document: dict[str, Any]) -> OutboxItem:
        """Store ``document`` (plus ``edge`` and the next ``seq``) durably and return the item.

        When the outbox is over ``max_items`` the oldest telemetry is dropped (see the module
        docstring for the bound); an event is always accepted.
        """
        return self.put_many([(kind, topic, document)])[0]

    def put_many(self, items: Sequence[tuple[Kind, str, dict[str, Any]]]) -> list[OutboxItem]:
        """Store several documents in one transaction (one fsync): all of them or none.

        A document that is not JSON (or holds NaN) raises TypeError/ValueError, a caller bug,
        and stores nothing and consumes no seq.
        """
        for kind, _, _ in items:
            if kind not in _PRIORITY:
                raise ValueError(f"unknown outbox kind {kind!r}; expected one of {KINDS}")
        if not items:
            return []
        stored: list[OutboxItem] = []
        with self._locked(), self._write():
            seq = int(self._meta("last_seq"))
            for kind, topic, document in items:
                seq += 1
                # "edge" and "seq" are the outbox's to set: the hub dedups on exactly these.
                body = {**document, "edge": self.edge, "seq": seq}
                payload = _encode(body)
                self._db.execute(
                    "INSERT INTO items (seq, kind, priority, topic, payload) VALUES (?,?,?,?,?)",
                    (seq, kind, _PRIORITY[kind], topic, payload),
                )
                stored.append(OutboxItem(seq, kind, topic, payload))
            self._set_meta("last_seq", seq)
            self._enforce_bound()
        return stored

    def stage(self, readings: Sequence[dict[str, Any]]) -> None:
        """Keep readings (one transaction) until :meth:`seal_telemetry` sends them.

        Committed without waiting for the disk (``synchronous=NORMAL``): the edge calls this
        every second for every home, and a hosted process has a thousand homes. The rows are
        in the WAL, which survives the process being killed at once; the next write that
        syncs (an event, an ack, the seal) makes them safe from a power cut too.
        """
        rows = [(_encode(reading),) for reading in readings]
        if not rows:
            return
        with self._locked():
            with self._translated("stage readings"):
                self._db.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._write():
                    self._db.executemany("INSERT INTO staged (reading) VALUES (?)", rows)
            finally:
                with self._translated("stage readings"):
                    self._db.execute("PRAGMA synchronous=FULL")

    def seal_telemetry(
        self, topic: str, home: str, *, max_readings: int = 2000
    ) -> list[OutboxItem]:
        """Everything staged becomes telemetry items of at most ``max_readings`` readings,
        ``{"home", "readings", "edge", "seq"}``, in one transaction; returns the items."""
        if max_readings < 1:
            raise ValueError(f"max_readings must be >= 1, got {max_readings}")
        stored: list[OutboxItem] = []
        with self._locked(), self._write():
            staged = self._db.execute("SELECT id, reading FROM staged ORDER BY id").fetchall()
            if not staged:
                return []
            seq = int(self._meta("last_seq"))
            head = b'{"home":' + _encode(home) + b',"readings":['
            tail = b'],"edge":' + _encode(self.edge) + b',"seq":'
            for start in range(0, len(staged), max_readings):
                seq += 1
                chunk = staged[start : start + max_readings]
                # The readings are JSON already: joined, not parsed and written again.
                readings = b",".join(bytes(reading) for _, reading in chunk)
                payload = head + readings + tail + str(seq).encode() + b"}"
                self._db.execute(
                    "INSERT INTO items (seq, kind, priority, topic, payload) VALUES (?,?,?,?,?)",
                    (seq, "telemetry", _PRIORITY["telemetry"], topic, payload),
                )
                stored.append(OutboxItem(seq, "telemetry", topic, payload))
            self._db.execute("DELETE FROM staged WHERE id <= ?", (staged[-1][0],))
            self._set_meta("last_seq", seq)
            self._enforce_bound()
        return stored

    def _enforce_bound(self) -> None:
        (count,) = self._db.execute("SELECT COUNT(*) FROM items").fetchone()
        excess = count - self.max_items
        if excess <= 0:
            return
        dropped = self._db.execute(
            "DELETE FROM items WHERE seq IN "
            "(SELECT seq FROM items WHERE kind = 'telemetry' ORDER BY seq LIMIT ?)",
            (excess,),
        ).rowcount
        if dropped:
            self._set_meta("dropped_telemetry", int(self._meta("dropped_telemetry")) + dropped)

    def ack(self, seq: int) -> None:
        """The broker acknowledged ``seq``: forget it. Unknown or already acked seqs are fine."""
        with self._locked(), self._write():
            self._db.execute("DELETE FROM items WHERE seq = ?", (seq,))

    def ack_many(self, seqs: Iterable[int]) -> None:
        """Forget several acknowledged seqs in one transaction (one fsync): a drained window.

        Like :meth:`ack`, unknown or already acked seqs are fine; an empty ``seqs`` writes
        nothing.
        """
        rows = [(int(seq),) for seq in seqs]
        if not rows:
            return
        with self._locked(), self._write():
            self._db.executemany("DELETE FROM items WHERE seq = ?", rows)

    # -- reading ------------------------------------------------------------------------------

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        """Up to ``limit`` unacked items: events first (by seq), then status, then telemetry."""
        with self._locked(), self._translated("read pending items"):
            rows = self._db.execute(
                "SELECT seq, kind, topic, payload FROM items ORDER BY priority, seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [OutboxItem(seq, kind, topic, bytes(payload)) for seq, kind, topic, payload in rows]

    def depth(self) -> OutboxDepth:
        with self._locked(), self._translated("read depth"):
            counts = dict(self._db.execute("SELECT kind, COUNT(*) FROM items GROUP BY kind"))
            dropped = int(self._meta("dropped_telemetry"))
            (staged,) = self._db.execute("SELECT COUNT(*) FROM staged").fetchone()
        return OutboxDepth(
            events=counts.get("event", 0),
            telemetry=counts.get("telemetry", 0),
            status=counts.get("status", 0),
            dropped_telemetry=dropped,
            staged=staged,
        )

    @property
    def last_seq(self) -> int:
        """The highest seq ever assigned by this outbox (0 before the first put)."""
        with self._locked(), self._translated("read last_seq"):
            return int(self._meta("last_seq"))

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database; idempotent. Everything ``put`` returned is already on disk."""
        with self._locked(), self._translated("close"):
            self._db.close()

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
        return f"Outbox({str(self.path)!r}, edge={self.edge!r}, max_items={self.max_items})"

    # -- helpers ------------------------------------------------------------------------------

    def _meta(self, key: str) -> str:
        return self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def _set_meta(self, key: str, value: int | str) -> None:
        self._db.execute("UPDATE meta SET value = ? WHERE key = ?", (str(value), key))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock:
            yield

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """sqlite3 errors leave this module as OutboxError, with the path and the action."""
        try:
            yield
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot {action}: {exc}", path=self.path) from exc

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so a second
        writer on the same file waits (then fails with "locked") before reading last_seq,
        never after: two writers can never hand out the same seq."""
        with self._translated("write"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:  # SQLite may already have rolled back itself
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
