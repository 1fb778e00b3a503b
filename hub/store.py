"""The hub's store: an SQLAlchemy engine and sessions over :mod:`hub.schema`.

SQLite by default (one file, no server). Everything above this module speaks SQLAlchemy, so
a PostgreSQL URL is the only change another backend needs (plus its driver); the SQLite
specifics (WAL, busy timeout, foreign keys) are set here on each new connection.

WAL lets the API read while ingest writes; ``synchronous=NORMAL`` in WAL mode survives a
killed process (the hub's crash case) and costs no fsync per commit; a power cut can lose
the last commits, which the edges' outboxes deliver again (the hub acks MQTT messages only
after they are committed, see :mod:`hub.uplink`).

A store can fail as a whole: a full disk, a file or disk made read-only, a database server
gone. :meth:`Store.can_write` tells that apart from one piece of work that cannot be stored
(a row the database refuses): it writes a probe row of its own. After a failure
:meth:`Store.reset` drops the pooled connections, so the next attempt opens the database
anew (a connection opened read-only stays read-only after the file is writable again). An
SQLite file's pool closes all its connections first, those in use included
(:mod:`hub.sqlite_pool` says why).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from contracts import safe_json

from . import migrate
from .errors import HubError
from .schema import Meta
from .sqlite_pool import SqlitePool

log = logging.getLogger("hub.store")

PROBE_KEY = "store_probe"


class StoreError(HubError):
    """The store cannot be opened or used. As an API answer: 503, try again later."""

    status = 503


class Store:
    """The engine, a session factory and the schema; thread-safe (one session per thread).

    ``recycle_s``: pooled connections older than this are opened anew, so that a database
    file whose permissions changed is noticed (None: kept as long as they work).
    """

    def __init__(self, url: str, *, recycle_s: float | None = None):
        self.url = url
        try:
            self.engine: Engine = _engine(url, recycle_s)
            migrate.prepare(self.engine, url)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot open the store {url}: {exc}") from exc
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def sqlite(cls, path: str | Path) -> Store:
        return cls(f"sqlite:///{Path(path)}")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on exit, or rolled back on an exception."""
        with self.sessions() as session, session.begin():
            yield session

    def can_write(self) -> bool:
        """Whether a small write commits now, on a connection opened for it: the store as a
        whole works. Pooled connections are dropped first, since after a failure they may
        differ (one opened before a file became read-only still writes; one opened after
        does not), and a probe on another connection than the one that failed would say
        nothing about it."""
        self.reset()
        try:
            with self.transaction() as session:
                session.merge(Meta(key=PROBE_KEY, value=repr(time.time())))
        except Exception as exc:  # whatever the driver raises, the answer is "no"
            log.debug("store: the probe write failed: %r", exc)
            return False
        return True

    def reset(self) -> None:
        """Drop pooled connections: the next unit of work connects anew."""
        pool = self.engine.pool
        if not (isinstance(pool, SqlitePool) and pool.close_all()):
            self.engine.dispose()

    def close(self) -> None:
        self.engine.dispose()


def engine_for(url: str, recycle_s: float | None = None) -> Engine:
    """An engine on the store at ``url`` with the hub's settings, schema untouched."""
    try:
        return _engine(url, recycle_s)
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the store {url}: {exc}") from exc


def _json(document: Any) -> str:
    # NaN and infinities as null: PostgreSQL's json refuses them, and a browser's JSON.parse
    # would refuse them on the way out of a store that took them (SQLite).
    return safe_json.dumps(document).decode()


def _engine(url: str, recycle_s: float | None) -> Engine:
    recycle = -1 if recycle_s is None else max(1, round(recycle_s))
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_recycle=recycle, json_serializer=_json)
    if _sqlite_file(url):
        # A missing folder is a typo more often than a wish: say so rather than create it.
        folder = Path(url.removeprefix("sqlite:///")).parent
        if not folder.is_dir():
            raise StoreError(f"cannot open the store {url}: the folder {folder} does not exist")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_recycle=recycle,
        **({"poolclass": SqlitePool} if _sqlite_file(url) else {}),
        json_serializer=_json,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def _sqlite_file(url: str) -> bool:
    return url.startswith("sqlite:///") and url != "sqlite:///:memory:"
