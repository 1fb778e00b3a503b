"""`eldercare hub` as a real subprocess, for the tests of what a running hub survives.

The hub's log goes through a pipe (not a file: a test may limit the size of the files the
hub writes) to ``hub.log`` in the test's folder. As root, the hub can be started without
the capabilities that let root ignore file permissions, so a database file made read-only
is read-only for it as it would be for any user.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.support.mqtt import PROCESS_START_S, credentials_env
from tests.support.served_hub import ADMIN_PASSWORD, PREFIX, free_port
from tests.support.stores import fresh_database

# Linux capabilities that let root write a file whatever its mode (<linux/capability.h>).
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # resolved here: the child only calls it


def without_root_file_override() -> None:
    """In the child before exec: drop the capabilities from the bounding set (root's
    capabilities after exec); as another user there is nothing to drop."""
    if os.geteuid() != 0:
        return
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if _PRCTL(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def _child_setup() -> None:
    # Beyond RLIMIT_FSIZE a write fails with EFBIG, as on a full disk, instead of killing.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    without_root_file_override()


class HubProcess:
    """One `eldercare hub` process (started again with :meth:`start` after a kill)."""

    def __init__(self, broker, folder: Path, **env: str):
        self.folder = folder
        self.database = folder / "hub.db"  # with SQLite
        self.database_url = env.get("ELDERCARE_DATABASE") or fresh_database(folder)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        url, credentials = credentials_env(broker.url, folder)
        self.env = {
            **os.environ,
            **credentials,
            "ELDERCARE_DATABASE": self.database_url,
            "ELDERCARE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ELDERCARE_COOKIE_SECURE": "false",
            "ELDERCARE_ESCALATION_TICK_S": "0.2",
            **env,
        }
        self.argv = [
            sys.executable, "-m", "eldercare", "hub",
            "--broker", url, "--port", str(self.port), "--prefix", PREFIX,
        ]  # fmt: skip
        self.log = folder / "hub.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.AsyncClient(base_url=self.url, timeout=10)

    def spawn(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            self.argv,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup,
        )
        threading.Thread(target=self._copy_log, args=(process,), daemon=True).start()
        return process

    def _copy_log(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with open(self.log, "ab") as out:
            for line in process.stdout:
                out.write(line)
                out.flush()

    async def start(self) -> None:
        self.process = self.spawn()
        async with asyncio.timeout(PROCESS_START_S):
            while not (await self.health()).get("connected"):
                assert self.process.poll() is None, f"the hub exited:\n{self.log_text()}"
                await asyncio.sleep(0.1)
        login = {"username": "admin", "password": ADMIN_PASSWORD}
        (await self.http.post("/auth/login", json=login)).raise_for_status()

    async def health(self) -> dict[str, Any]:
        with contextlib.suppress(httpx.HTTPError, json.JSONDecodeError):
            return (await self.http.get("/health")).json()
        return {}

    async def until_health(
        self, condition: Callable[[dict[str, Any]], bool], what: str, timeout: float = 30
    ) -> dict[str, Any]:
        try:
            async with asyncio.timeout(timeout):
                while not condition(health := await self.health()):
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise TimeoutError(f"waited {timeout} s for {what}; health: {health}") from None
        return health

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        await self.http.aclose()


@contextlib.asynccontextmanager
async def hub_process(broker, folder: Path, **env: str) -> AsyncIterator[HubProcess]:
    hub = HubProcess(broker, folder, **env)
    try:
        yield hub
    finally:
        await hub.stop()


class AsAdmin:
    """Just enough of ``tests.support.served_hub.Served`` for ``register``."""

    def __init__(self, hub: HubProcess):
        self.http = hub.http


async def alert_kinds(hub) -> list[str]:
    """The kinds of every alert the hub holds, sorted."""
    alerts = (await hub.http.get("/alerts", params={"state": "all"})).json()
    return sorted(alert["kind"] for alert in alerts)
