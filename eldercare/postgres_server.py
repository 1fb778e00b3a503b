"""A private PostgreSQL: Debian's ``initdb`` and ``pg_ctl`` on a free port in a folder of its own.

As :mod:`eldercare.broker` does for Mosquitto: the tests (``ELDERCARE_TEST_STORE=postgresql``,
tests/support/stores.py) and ``eldercare bench --postgresql`` start their own cluster, never
whatever runs on port 5432. TCP on 127.0.0.1 only, trust authentication (nobody else can
reach it), fsync off (durability is PostgreSQL's business, not a throwaway cluster's).

PostgreSQL refuses to run as root: as root (CI, a fresh container) the cluster runs as the
``postgres`` user that Debian's package creates, in a folder that user owns.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from eldercare.broker import free_port

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


class PostgresError(Exception):
    """The private cluster could not be started."""


class PostgresServer:
    """One cluster: :meth:`start`, :meth:`database` for a fresh database's URL, :meth:`stop`."""

    def __init__(self) -> None:
        if not BINARIES:
            raise PostgresError(
                "PostgreSQL is not installed: `./dev test` installs it, or "
                "`apt-get install postgresql`"
            )
        self.binaries = BINARIES[-1]
        self.folder = Path(tempfile.mkdtemp(prefix="eldercare-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user, self.user)
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def start(self) -> PostgresServer:
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        settings = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        log = self.folder / "postgres.log"
        self._run("pg_ctl", "-D", str(data), "-l", str(log), "-o", settings, "-w", "start")
        self._wait_until_ready()
        return self

    def database(self, name: str) -> str:
        """A new, empty database on the cluster; its URL."""
        admin = create_engine(f"{self.url}/postgres", isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return f"{self.url}/{name}"

    def stop(self) -> None:
        data = self.folder / "data"
        subprocess.run(
            [str(self.binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=self.user,
            cwd=self.folder,
        )
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        try:
            subprocess.run(
                [str(self.binaries / program), *arguments],
                check=True,
                capture_output=True,
                user=self.user,
                cwd=self.folder,
            )
        except subprocess.CalledProcessError as exc:
            said = exc.stderr.decode(errors="replace").strip()
            raise PostgresError(f"{program} failed: {said}") from exc

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            engine = create_engine(f"{self.url}/postgres")
            try:
                with engine.connect():
                    return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            finally:
                engine.dispose()
