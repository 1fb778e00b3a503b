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
