"""Outbox files as earlier versions wrote them (one edge per file), for the upgrade tests."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

# Version 2's schema, as edge/outbox.py created it (version 1: the same without ``staged``).
VERSION_2 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE items (
    seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, priority INTEGER NOT NULL,
    topic TEXT NOT NULL, payload BLOB NOT NULL
) STRICT;
CREATE INDEX items_by_priority ON items (priority, seq);
CREATE TABLE staged (id INTEGER PRIMARY KEY, reading BLOB NOT NULL) STRICT;
"""
PRIORITY = {"event": 0, "status": 1, "telemetry": 2}


def old_outbox(
    path: Path,
    edge: str,
    *,
    items: list[tuple[int, str, str, dict[str, Any]]] = (),  # type: ignore[assignment]
    staged: list[dict[str, Any]] = (),  # type: ignore[assignment]
    last_seq: int = 0,
    dropped: int = 0,
    version: int = 2,
) -> Path:
    """A version-1/2 file of ``edge`` holding ``items`` (seq, kind, topic, document) and
    ``staged`` readings, in WAL mode as that code left it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    schema = VERSION_2 if version >= 2 else VERSION_2.split("CREATE TABLE staged")[0]
    db.executescript(schema)
    db.execute("BEGIN")
    meta = {"edge": edge, "last_seq": str(last_seq), "dropped_telemetry": str(dropped)}
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    for seq, kind, topic, document in items:
        payload = json.dumps({**document, "edge": edge, "seq": seq}).encode()
        db.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
            (seq, kind, PRIORITY[kind], topic, payload),
        )
    if staged:
        rows = [(json.dumps(reading).encode(),) for reading in staged]
        db.executemany("INSERT INTO staged (reading) VALUES (?)", rows)
    db.execute(f"PRAGMA user_version={version}")
    db.execute("COMMIT")
    db.close()
    return path
