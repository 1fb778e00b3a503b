"""The hub's store in the tests: a SQLite file, or a database on a throwaway PostgreSQL.

``ELDERCARE_TEST_STORE=postgresql`` runs the hub's and the API's tests against PostgreSQL
(``./dev test`` runs them both ways). The cluster is our own, as the broker is: ``initdb``
from Debian's ``postgresql`` into a temporary folder, started on a free port, one per test
process, stopped when the process ends; each test gets a fresh database on it. Nothing
depends on a server that happens to run on port 5432.

PostgreSQL refuses to run as root: as root (CI, a fresh container) the cluster runs as the
``postgres`` user that Debian's package creates, in a folder that user owns.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text

from eldercare.broker import free_port

KIND = os.environ.get("ELDERCARE_TEST_STORE", "sqlite")
BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
_numbers = itertools.count(1)


def on_postgresql() -> bool:
    return KIND == "postgresql"


def fresh_database(folder: Path) -> str:
    """The URL of an empty store for one test: ``folder/hub.db``, or a new PostgreSQL database."""
    if not on_postgresql():
        return f"sqlite:///{folder / 'hub.db'}"
    server = _cluster()
    name = f"hub_{os.getpid()}_{next(_numbers)}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


@cache
def _cluster() -> str:
    """Start this process's cluster once; its base URL (without a database)."""
    if not BINARIES:
        raise RuntimeError(
            "PostgreSQL is not installed: `./dev test` installs it, or `apt-get install postgresql`"
        )
    binaries = BINARIES[-1]
    folder = Path(tempfile.mkdtemp(prefix="eldercare-pg-"))
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        shutil.chown(folder, user, user)
    data, port = folder / "data", free_port()

    def run(*command: str) -> None:
        subprocess.run(command, check=True, capture_output=True, user=user, cwd=folder)

    run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    log = folder / "postgres.log"
    # Durability is the database's business, not the tests': fsync off is several times faster.
    settings = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off"
    settings += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", settings, "-w", "start")
    atexit.register(_stop, binaries, data, folder, user)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    _wait_until_ready(url)
    return url


def _wait_until_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        engine = create_engine(f"{url}/postgres")
        try:
            with engine.connect():
                return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            engine.dispose()


def _stop(binaries: Path, data: Path, folder: Path, user: str | None) -> None:
    subprocess.run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        capture_output=True,
        user=user,
        cwd=folder,
    )
    shutil.rmtree(folder, ignore_errors=True)


def query(url: str, sql: str, **parameters: object) -> list[tuple]:
    """Rows of ``sql`` on the store at ``url``, read as an operator would, beside the hub."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), parameters)]
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
    name = url.rpartition("/")[2]
    admin = create_engine(f"{url.rpartition('/')[0]}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        setting = "on" if read_only else "off"
        connection.execute(
            text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = {setting}')
        )
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
    admin.dispose()


def refuse_connections(url: str, refuse: bool) -> None:
    """PostgreSQL's store gone for the hub: no new connection, the open ones ended (SQLite:
    the tests move its folder away)."""
    name = url.rpartition("/")[2]
    admin = create_engine(f"{url.rpartition('/')[0]}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        allow = "false" if refuse else "true"
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {allow}'))
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        )
    admin.dispose()
