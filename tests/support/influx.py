"""A throwaway InfluxDB for the tests: Debian's ``influxd`` (1.6.7, the 1.x API) on free ports.

Like the broker and PostgreSQL, the server is our own: a config file in a temporary folder
with its HTTP and RPC bind addresses on free ports and its meta, data and WAL directories
there, so two test processes (xdist) never meet. As root it runs as the ``influxdb`` user
Debian's package creates. :meth:`InfluxServer.stop` and :meth:`InfluxServer.start` again on
the same ports and folder: InfluxDB gone and back, with what it had stored.

The fixture ``influxdb`` gives a started server with the database ``eldercare``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from eldercare.broker import free_port
from hub.influx_settings import InfluxSettings

INFLUXD = shutil.which("influxd") or "/usr/bin/influxd"
DATABASE = "eldercare"

CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{folder}/meta"
  logging-enabled = false
[data]
  dir = "{folder}/data"
  wal-dir = "{folder}/wal"
  query-log-enabled = false
  wal-fsync-delay = "1s"
[http]
  bind-address = "127.0.0.1:{http}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
"""


class InfluxServer:
    def __init__(self, folder: Path):
        if not Path(INFLUXD).exists():
            raise RuntimeError(
                "InfluxDB is not installed: `./dev test` installs it, or `apt-get install influxdb`"
            )
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.user = "influxdb" if os.geteuid() == 0 else None
        self.http_port, rpc_port = free_port(), free_port()
        self.config = folder / "influxdb.conf"
        self.config.write_text(CONFIG.format(rpc=rpc_port, folder=folder, http=self.http_port))
        if self.user:
            shutil.chown(folder, self.user)
            shutil.chown(self.config, self.user)
        self.url = f"http://127.0.0.1:{self.http_port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> None:
        log = open(self.folder / "influxd.log", "ab")  # noqa: SIM115 (the process keeps it)
        self._process = subprocess.Popen(
            [INFLUXD, "-config", str(self.config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=self.user,
            cwd=self.folder,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    return
            except httpx.HTTPError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = (self.folder / "influxd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"influxd did not start on {self.url}:\n{tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def influxql(self, query: str, database: str = DATABASE) -> dict:
        """Run InfluxQL as an operator would, beside the hub (epoch milliseconds)."""
        response = httpx.post(
            f"{self.url}/query", params={"db": database, "q": query, "epoch": "ms"}, timeout=10
        )
        response.raise_for_status()
        return response.json()

    def values(self, query: str) -> list[list]:
        """The rows of the first series a query answers (``[]`` when none)."""
        result = self.influxql(query)["results"][0]
        assert "error" not in result, result
        series = result.get("series", [])
        return series[0]["values"] if series else []

    def settings(self, **changes: object) -> InfluxSettings:
        values: dict[str, object] = {
            "url": self.url,
            "api": "v1",
            "database": DATABASE,
            "flush_s": 0.05,
            "retry_max_s": 0.5,
            **changes,
        }
        return InfluxSettings(**values)


@pytest.fixture
def influxdb() -> Iterator[InfluxServer]:
    """A fresh InfluxDB 1.x on free ports with an empty database ``eldercare``."""
    # Not under pytest's tmp_path: as root that is private to root, and influxd runs as
    # the influxdb user.
    folder = Path(tempfile.mkdtemp(prefix="eldercare-influx-"))
    server = InfluxServer(folder)
    try:
        server.start()
        server.influxql(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
