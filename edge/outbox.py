"""The edge's durable outbox: everything sent upstream is stored here first.

An item enters with the next per-edge ``seq`` and leaves only when the agent calls
:meth:`Outbox.ack` (or :meth:`Outbox.ack_many` for a window) after the broker acknowledged
the publish (QoS 1). A crash, a power cut or an hour without uplink therefore loses nothing
that ``put`` returned, and a replay after a crash is harmless because the hub deduplicates
on ``(edge, seq)`` (ARCHITECTURE.md).

Storage is an :class:`edge.outbox_file.OutboxFile` (SQLite, WAL, ``synchronous=FULL``: see
there why): the edge's own file (``Outbox(path, edge)``, an edge box), or one file shared by
every home of a hosted process (``Outbox(file, edge)``), where each row is keyed by its edge:
seqs, bound, drops and staging are per edge exactly as with a file of its own. The price of
``synchronous=FULL`` is one fsync per ``put``/``ack``; telemetry arrives in batches
(``put_many``), the agent acks a drained window at once (``ack_many``), and several homes'
writes can share one fsync (:meth:`OutboxFile.synced_once`).
``last_seq`` lives in a meta table updated in the same transaction as the insert, never
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

The class is synchronous; its file's lock makes it safe to call from a worker thread
(``asyncio.to_thread``) as well as from the event loop's thread.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, get_args

from .outbox_file import OutboxError, OutboxFile

__all__ = [
    "KINDS",
    "Kind",
    "Outbox",
    "OutboxDepth",
    "OutboxError",
    "OutboxFile",
    "OutboxItem",
    "files_of",
    "synced_once",
]

Kind = Literal["event", "telemetry", "status"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Delivery order: events before status before telemetry; by seq within a kind.
_PRIORITY: dict[str, int] = {"event": 0, "status": 1, "telemetry": 2}


def _encode(document: Any) -> bytes:
    """Compact UTF-8 JSON; NaN is a caller bug (ValueError), not a token to send the hub."""
    return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


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

    def __init__(self, file: str | Path | OutboxFile, edge: str, *, max_items: int = 100_000):
        """``file``: a path (the edge's own file, opened here, closed with the outbox; it
        must hold no other edge) or an :class:`OutboxFile` shared with other edges (its
        owner closes it)."""
        if not edge:
            raise ValueError("edge must be a non-empty id")
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self.edge = edge
        self.max_items = max_items
        self._closed = False
        self._owns_file = not isinstance(file, OutboxFile)
        self.file = OutboxFile(file) if not isinstance(file, OutboxFile) else file
        self.path = self.file.path
        try:
            if self._owns_file:  # an edge's own file is not to be taken for another's
                self.file.require_only(edge)
            self.file.register(edge)
        except BaseException:
            if self._owns_file:
                self.file.close()
            raise

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
        with self._write():
            seq = int(self._meta("last_seq"))
            for kind, topic, document in items:
                seq += 1
                # "edge" and "seq" are the outbox's to set: the hub dedups on exactly these.
                body = {**document, "edge": self.edge, "seq": seq}
                payload = _encode(body)
                self._insert(seq, kind, topic, payload)
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
        rows = [(self.edge, _encode(reading)) for reading in readings]
        if not rows:
            return
        with self._write(sync=False):
            self._db.executemany("INSERT INTO staged (edge, reading) VALUES (?, ?)", rows)

    def seal_telemetry(
        self, topic: str, home: str, *, max_readings: int = 2000
    ) -> list[OutboxItem]:
        """Everything staged becomes telemetry items of at most ``max_readings`` readings,
        ``{"home", "readings", "edge", "seq"}``, in one transaction; returns the items."""
        if max_readings < 1:
            raise ValueError(f"max_readings must be >= 1, got {max_readings}")
        stored: list[OutboxItem] = []
        with self._locked(), self._translated("read staged readings"):
            if (
                self._db.execute(
                    "SELECT 1 FROM staged WHERE edge = ? LIMIT 1", (self.edge,)
                ).fetchone()
                is None
            ):
                return []  # nothing staged: no transaction (a thousand homes, every minute)
        with self._write():
            staged = self._db.execute(
                "SELECT id, reading FROM staged WHERE edge = ? ORDER BY id", (self.edge,)
            ).fetchall()
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
                self._insert(seq, "telemetry", topic, payload)
                stored.append(OutboxItem(seq, "telemetry", topic, payload))
            self._db.execute(
                "DELETE FROM staged WHERE edge = ? AND id <= ?", (self.edge, staged[-1][0])
            )
            self._set_meta("last_seq", seq)
            self._enforce_bound()
        return stored

    def _insert(self, seq: int, kind: Kind, topic: str, payload: bytes) -> None:
        self._db.execute(
            "INSERT INTO items (edge, seq, kind, priority, topic, payload) VALUES (?,?,?,?,?,?)",
            (self.edge, seq, kind, _PRIORITY[kind], topic, payload),
        )

    def _enforce_bound(self) -> None:
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM items WHERE edge = ?", (self.edge,)
        ).fetchone()
        excess = count - self.max_items
        if excess <= 0:
            return
        dropped = self._db.execute(
            "DELETE FROM items WHERE edge = ?1 AND seq IN (SELECT seq FROM items"
            " WHERE edge = ?1 AND priority = ?2 ORDER BY seq LIMIT ?3)",
            (self.edge, _PRIORITY["telemetry"], excess),
        ).rowcount
        if dropped:
            self._set_meta("dropped_telemetry", int(self._meta("dropped_telemetry")) + dropped)

    def ack(self, seq: int) -> None:
        """The broker acknowledged ``seq``: forget it. Unknown or already acked seqs are fine."""
        self.ack_many([seq])

    def ack_many(self, seqs: Iterable[int]) -> None:
        """Forget several acknowledged seqs in one transaction (one fsync): a drained window.

        Like :meth:`ack`, unknown or already acked seqs are fine; an empty ``seqs`` writes
        nothing.
        """
        rows = [(self.edge, int(seq)) for seq in seqs]
        if not rows:
            return
        with self._write():
            self._db.executemany("DELETE FROM items WHERE edge = ? AND seq = ?", rows)

    # -- reading ------------------------------------------------------------------------------

    def pending(self, limit: int = 100) -> list[OutboxItem]:
        """Up to ``limit`` unacked items: events first (by seq), then status, then telemetry."""
        with self._locked(), self._translated("read pending items"):
            rows = self._db.execute(
                "SELECT seq, kind, topic, payload FROM items WHERE edge = ?"
                " ORDER BY priority, seq LIMIT ?",
                (self.edge, limit),
            ).fetchall()
        return [OutboxItem(seq, kind, topic, bytes(payload)) for seq, kind, topic, payload in rows]

    def depth(self) -> OutboxDepth:
        with self._locked(), self._translated("read depth"):
            counts = dict(
                self._db.execute(
                    "SELECT kind, COUNT(*) FROM items WHERE edge = ? GROUP BY kind", (self.edge,)
                )
            )
            dropped = int(self._meta("dropped_telemetry"))
            (staged,) = self._db.execute(
                "SELECT COUNT(*) FROM staged WHERE edge = ?", (self.edge,)
            ).fetchone()
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
        """Done with this edge's outbox (its own file is closed; a shared one stays open for
        the other edges); idempotent. Everything ``put`` returned is already on disk."""
        self._closed = True
        if self._owns_file:
            self.file.close()

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

    @property
    def _db(self) -> sqlite3.Connection:
        return self.file.db

    def _meta(self, key: str) -> str:
        return self._db.execute(
            "SELECT value FROM meta WHERE edge = ? AND key = ?", (self.edge, key)
        ).fetchone()[0]

    def _set_meta(self, key: str, value: int | str) -> None:
        self._db.execute(
            "UPDATE meta SET value = ? WHERE edge = ? AND key = ?", (str(value), self.edge, key)
        )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self.file.locked():
            if self._closed:
                raise OutboxError(f"edge {self.edge}'s outbox is closed", path=self.path)
            yield

    def _translated(self, action: str) -> contextlib.AbstractContextManager[None]:
        return self.file.translated(action)

    @contextmanager
    def _write(self, *, sync: bool = True) -> Iterator[None]:
        with self._locked(), self.file.write(sync=sync):
            yield


@contextlib.contextmanager
def synced_once(outboxes: Iterable[Outbox]) -> Iterator[None]:
    """The outboxes' writes in this block fsynced once per file, at its end (see
    :meth:`OutboxFile.synced_once`: nothing written in the block may be sent before)."""
    with contextlib.ExitStack() as stack:
        for file in files_of(outboxes):
            stack.enter_context(file.synced_once())
        yield


def files_of(outboxes: Iterable[Outbox]) -> list[OutboxFile]:
    """The files under these outboxes, each once (a hosted process's share one)."""
    return list({id(outbox.file): outbox.file for outbox in outboxes}.values())
