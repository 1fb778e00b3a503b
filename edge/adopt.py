"""A hosted process's homes' own outbox files, from before they shared one, moved into the
shared file at start: nothing queued is lost and no seq is used twice.

Earlier versions gave each hosted home an outbox file of its own (``<data_dir>/<home>/
outbox.sqlite``). At start, :func:`adopt_outboxes` moves each one's pending items (same
seqs, same payloads), staged readings, ``last_seq`` and ``dropped_telemetry`` into the
shared :class:`OutboxFile`, in one synced transaction per home, then renames the old file
``outbox.sqlite.adopted-<token>`` (kept, not deleted: it can be removed by hand).

A crash between the copy and the rename must not copy the same readings twice: before the
copy, a random token is written (synced) into the old file, and the copy records it in the
shared file in the same transaction. An old file whose token the shared file knows was
copied already: it is only renamed.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .outbox_file import FILE_EDGE, OutboxError, OutboxFile

log = logging.getLogger("edge.runtime")

ADOPTED_SUFFIX = ".adopted-"  # the old file's new name: <name>.adopted-<token>
_TOKEN = "adoption_token"  # in the old file: meta (FILE_EDGE, _TOKEN)


@dataclass(frozen=True)
class Adopted:
    """What one home's old outbox file held when it was moved into the shared file."""

    edge: str
    items: int
    staged: int
    last_seq: int
    renamed_to: Path


def adopt_outboxes(shared: OutboxFile, old_files: Mapping[str, Path]) -> list[Adopted]:
    """Each edge's old file (``old_files[edge]``), if it exists, moved into ``shared``; what
    was moved. An old file of another edge, or unreadable, raises OutboxError (naming it):
    the process does not start without a home's queued alerts."""
    adopted = []
    for edge, path in old_files.items():
        if path.exists():
            adopted.append(adopt(shared, path, edge))
    return adopted


def adopt(shared: OutboxFile, path: Path, edge: str) -> Adopted:
    with OutboxFile(path) as old:  # a version-1/2 file is upgraded in place first
        old.require_only(edge)
        token = _token(old)
        with old.locked(), old.translated("read the items to adopt"):
            db = old.db
            items = db.execute(
                "SELECT seq, kind, priority, topic, payload FROM items WHERE edge = ? ORDER BY seq",
                (edge,),
            ).fetchall()
            staged = db.execute(
                "SELECT reading FROM staged WHERE edge = ? ORDER BY id", (edge,)
            ).fetchall()
            meta = dict(db.execute("SELECT key, value FROM meta WHERE edge = ?", (edge,)))
        last_seq = int(meta.get("last_seq", 0))
        copied = _copy(shared, edge, token, items, staged, last_seq, meta)
        # A self-contained file (no -wal beside it) can be renamed safely.
        with old.locked(), old.translated("checkpoint before the rename"):
            old.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            old.db.execute("PRAGMA journal_mode=DELETE")
    renamed_to = path.with_name(f"{path.name}{ADOPTED_SUFFIX}{token}")
    try:
        os.replace(path, renamed_to)
    except OSError as exc:
        raise OutboxError(f"adopted, but cannot be renamed: {exc}", path=path) from exc
    if copied:
        log.info(
            "home %s: %d items and %d staged readings (last seq %d) moved from %s into %s",
            edge,
            len(items),
            len(staged),
            last_seq,
            path,
            shared.path,
        )
    return Adopted(edge, len(items), len(staged), last_seq, renamed_to)


def _token(old: OutboxFile) -> str:
    """The old file's adoption token, written (synced) the first time."""
    with old.locked(), old.translated("read the adoption token"):
        row = old.db.execute(
            "SELECT value FROM meta WHERE edge = ? AND key = ?", (FILE_EDGE, _TOKEN)
        ).fetchone()
    if row is not None:
        return str(row[0])
    token = uuid.uuid4().hex[:12]
    with old.locked(), old.write():
        old.db.execute("INSERT INTO meta VALUES (?, ?, ?)", (FILE_EDGE, _TOKEN, token))
    return token


def _copy(
    shared: OutboxFile,
    edge: str,
    token: str,
    items: list[tuple[int, str, int, str, bytes]],
    staged: list[tuple[bytes]],
    last_seq: int,
    meta: dict[str, str],
) -> bool:
    """One synced transaction on the shared file; False if this token was copied before."""
    shared.register(edge)
    key = f"adopted:{token}"
    with shared.locked(), shared.write():
        db = shared.db
        if db.execute("SELECT 1 FROM meta WHERE edge = ? AND key = ?", (edge, key)).fetchone():
            return False
        # Same seqs, same payloads: the hub dedups a copy it may have had already.
        db.executemany(
            "INSERT OR IGNORE INTO items (edge, seq, kind, priority, topic, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(edge, *item) for item in items],
        )
        db.executemany(
            "INSERT INTO staged (edge, reading) VALUES (?, ?)", [(edge, r) for (r,) in staged]
        )
        # Never a seq below one the old file handed out, nor a drop count forgotten.
        db.execute(
            "UPDATE meta SET value = MAX(CAST(value AS INTEGER), ?) WHERE edge = ?"
            " AND key = 'last_seq'",
            (last_seq, edge),
        )
        db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE edge = ?"
            " AND key = 'dropped_telemetry'",
            (int(meta.get("dropped_telemetry", 0)), edge),
        )
        db.execute("INSERT INTO meta VALUES (?, ?, ?)", (edge, key, str(last_seq)))
    return True
