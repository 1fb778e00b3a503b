"""A private InfluxDB: Debian's ``influxd`` (1.x) on free ports in a folder of its own.

As :mod:`eldercare.broker` does for Mosquitto: a config file in ``folder`` with the HTTP and
RPC bind addresses on free ports and the meta, data and WAL directories there, so two
instances (two test processes, a bench beside a test) never meet. As root it runs as the
``influxdb`` user Debian's package creates (the folder must be one that user can reach, not
under a private temporary folder of root's). :meth:`InfluxServer.stop` and
:meth:`InfluxServer.start` again use the same ports and folder: InfluxDB gone and back,
with what it had stored. Used by the tests (tests/support/influx.py) and ``eldercare bench
--influx``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx

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
