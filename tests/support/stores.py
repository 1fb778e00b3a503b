"""The hub's store in the tests: a SQLite file, or a database on a throwaway PostgreSQL.

``ELDERCARE_TEST_STORE=postgresql`` runs the hub's and the API's tests against PostgreSQL
(``./dev test`` runs them both ways). The cluster is our own, as the broker is
(:mod:`eldercare.postgres_server`): one per test process, stopped when the process ends;
each test gets a fresh database on it.
"""

from __future__ import annotations

import atexit
import itertools
import os
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text

from eldercare.postgres_server import PostgresServer

KIND = os.environ.get("ELDERCARE_TEST_STORE", "sqlite")
_numbers = itertools.count(1)


def on_postgresql() -> bool:
    return KIND == "postgresql"


def fresh_database(folder: Path) -> str:
    """The URL of an empty store for one test: ``folder/hub.db``, or a new PostgreSQL database."""
    if not on_postgresql():
        return f"sqlite:///{folder / 'hub.db'}"
    return _cluster().database(f"hub_{os.getpid()}_{next(_numbers)}")


@cache
def _cluster() -> PostgresServer:
    """This process's cluster, started once and stopped when the process ends."""
    server = PostgresServer().start()
    atexit.register(server.stop)
    return server


def query(url: str, sql: str, **parameters: object) -> list[tuple]:
    """Rows of ``sql`` on the store at ``url``, read as an operator would, beside the hub."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), parameters)]
    finally:
        engine.dispose()


def write(url: str, sql: str, **parameters: object) -> None:
    """``sql`` committed on the store at ``url``: what another process (a worker that died
    since) left there."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(sql), parameters)
    finally:
        engine.dispose()


def size_of(url: str, table: str) -> int:
    """Bytes a table takes: the whole SQLite file (with its WAL, whose free pages SQLite
    reuses), or the table on PostgreSQL once its deleted rows are vacuumed (autovacuum's
    work in a running station; the space is reused, not grown)."""
    if url.startswith("sqlite:///"):
        database = Path(url.removeprefix("sqlite:///"))
        return sum(path.stat().st_size for path in database.parent.glob(f"{database.name}*"))
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'VACUUM FULL "{table}"'))
            size = connection.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": table})
    finally:
        engine.dispose()
    return int(size)


def make_read_only(url: str, read_only: bool) -> None:
    """PostgreSQL's read-only database: new transactions cannot write, and the hub's open
    connections are ended so that it meets the change (SQLite: the tests chmod the file)."""
    _alter_database(url, f"SET default_transaction_read_only = {'on' if read_only else 'off'}")


def refuse_connections(url: str, refuse: bool) -> None:
    """PostgreSQL's store gone for the hub: no new connection, the open ones ended (SQLite:
    the tests move its folder away)."""
    _alter_database(url, f"ALLOW_CONNECTIONS {'false' if refuse else 'true'}")


def _alter_database(url: str, change: str) -> None:
    """``ALTER DATABASE <the store's> <change>``, then end its open connections, which
    would otherwise go on under the old setting."""
    name = url.rpartition("/")[2]
    admin = create_engine(f"{url.rpartition('/')[0]}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" {change}'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
    finally:
        admin.dispose()


def postgresql_database() -> str:
    """A new database on this process's PostgreSQL cluster, whatever ELDERCARE_TEST_STORE
    says: for what only PostgreSQL does (several hub workers on one store)."""
    return _cluster().database(f"hub_{os.getpid()}_{next(_numbers)}")
