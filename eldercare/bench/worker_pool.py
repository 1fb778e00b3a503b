"""Hub workers as the bench runs them: ``eldercare hub`` processes of one shared group on
one PostgreSQL database, each in its slot, watched through ``/health``; started, stopped,
killed and restarted as a supervisor would."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from eldercare.broker import free_port


class Worker:
    """One slot: its process (None while down), port and log."""

    def __init__(self, pool: WorkerPool, slot: int):
        self.pool = pool
        self.slot = slot
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = pool.folder / f"worker-{slot}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def client_id(self) -> str:
        return f"{self.pool.client_id}-{self.pool.group}-{self.slot}"  # hub.presence

    def spawn(self) -> None:
        env = {
            **os.environ,
            "ELDERCARE_DATABASE": self.pool.database,
            "ELDERCARE_SHARED_GROUP": self.pool.group,
            "ELDERCARE_WORKER": str(self.slot),
            "ELDERCARE_CLIENT_ID": self.pool.client_id,
            "ELDERCARE_COOKIE_SECURE": "false",
        }
        argv = [
            sys.executable, "-m", "eldercare", "hub", "--broker", self.pool.broker,
            "--port", str(self.port), "--prefix", self.pool.prefix,
        ]  # fmt: skip
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)

    async def health(self) -> dict[str, Any]:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return (await self.pool.http.get(f"{self.url}/health")).json()
        return {}

    async def until_connected(self, timeout: float = 60) -> float:
        """Seconds until this worker says it is connected to the broker."""
        started = time.perf_counter()
        deadline = started + timeout
        while not (await self.health()).get("connected"):
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"worker {self.slot} exited; see {self.log}")
            if time.perf_counter() > deadline:
                raise TimeoutError(f"worker {self.slot} not connected within {timeout} s")
            await asyncio.sleep(0.1)
        return time.perf_counter() - started

    def signal(self, number: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(number)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            await asyncio.to_thread(self.process.wait, 20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)


class WorkerPool:
    """``count`` workers of ``group`` (slots 1..count) on ``database``."""

    def __init__(
        self, broker: str, database: str, prefix: str, folder: Path, count: int, group: str
    ):
        self.broker = broker
        self.database = database
        self.prefix = prefix
        self.folder = folder
        self.group = group
        self.client_id = f"bench-{group}"
        folder.mkdir(parents=True, exist_ok=True)
        self.http = httpx.AsyncClient(timeout=5)
        self.workers = [Worker(self, slot) for slot in range(1, count + 1)]

    async def start(self) -> None:
        """Each worker in turn, until connected."""
        for worker in self.workers:
            worker.spawn()
            await worker.until_connected()

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.stop()

    async def close(self) -> None:
        await self.stop()
        await self.http.aclose()

    async def counts(self) -> list[dict[str, Any]]:
        """Each worker's ingest counts (empty for one that does not answer)."""
        return [(await worker.health()).get("ingest", {}) for worker in self.workers]

    async def total(self, what: str) -> int:
        return sum(int(counts.get(what, 0)) for counts in await self.counts())
