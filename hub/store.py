"""The hub's store: an SQLAlchemy engine and sessions over :mod:`hub.schema`.

SQLite by default (one file, no server). Everything above this module speaks SQLAlchemy, so
a PostgreSQL URL is the only change another backend needs (plus its driver); the SQLite
specifics (WAL, busy timeout, foreign keys) are set here on each new connection.

WAL lets the API read while ingest writes; ``synchronous=NORMAL`` in WAL mode survives a
killed process (the hub's crash case) and costs no fsync per commit; a power cut can lose
the last commits, which the edges' outboxes deliver again (the hub acks MQTT messages only
after they are committed, see :mod:`hub.service`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .errors import HubError
from .schema import Base


class StoreError(HubError):
    """The store cannot be opened or used."""


class Store:
    """The engine, a session factory and the schema; thread-safe (one session per thread)."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.engine: Engine = _engine(url)
            Base.metadata.create_all(self.engine)
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

    def close(self) -> None:
        self.engine.dispose()


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine
