"""`eldercare edge` as a real process for the tests: started, stopped, killed, watched."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import aiomqtt
import yaml

from contracts.home import HomeConfig
from eldercare.broker import Broker
from tests.support.mqtt import WAIT, credentials_env

REPO = Path(__file__).resolve().parents[2]


def write_config(folder: Path, document: dict[str, Any]) -> Path:
    HomeConfig.model_validate(document)  # a test's own mistake shows here, not in the edge
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{document['home']}.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


class EdgeProcess:
    """One `python -m eldercare edge ...` with its output in ``folder/edge.log``."""

    def __init__(self, folder: Path, argv: Sequence[str], env: dict[str, str] | None = None):
        self.folder = folder
        self.argv = [sys.executable, "-m", "eldercare", "edge", *argv]
        self.env = {**os.environ, **(env or {})}
        self.log_path = folder / "edge.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @classmethod
    def single(
        cls, config: Path, local: Broker, uplink: Broker, data: Path, *options: str
    ) -> EdgeProcess:
        home = yaml.safe_load(config.read_text(encoding="utf-8"))["home"]
        url, env = credentials_env(uplink.home_url(home), data.parent)
        argv = ["--config", str(config), "--local", local.url, "--uplink", url]
        return cls(data.parent, [*argv, "--data", str(data), *options], env)

    @classmethod
    def hosted(
        cls, configs: Path, local: Broker, uplink: Broker, data: Path, *options: str
    ) -> EdgeProcess:
        files = [f for f in configs.iterdir() if f.suffix in (".yaml", ".yml", ".json")]
        homes = [yaml.safe_load(f.read_text(encoding="utf-8"))["home"] for f in files]
        url, env = credentials_env(uplink.hosted_url("t", sorted(homes)), data.parent)
        argv = ["--hosted", str(configs), "--local", local.url, "--uplink", url]
        return cls(data.parent, [*argv, "--data", str(data), "--process-id", "t", *options], env)

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            self.process = subprocess.Popen(
                self.argv, cwd=REPO, stdout=log, stderr=log, env=self.env
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean stop, nothing flushed or saved on the way out."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.terminate()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def errors(self) -> list[str]:
        """Errors our code logged (``ERROR edge...``), or the process's own last words.
        (aiomqtt's loop may log a callback on a socket closed under it: not ours.)"""
        return [
            line
            for line in self.log().splitlines()
            if " ERROR edge." in line or " CRITICAL " in line or line.startswith("eldercare ")
        ]


@contextlib.contextmanager
def running(edge: EdgeProcess) -> Iterator[EdgeProcess]:
    edge.start()
    try:
        yield edge
    finally:
        edge.stop()


def outbox_counts(path: Path, edge: str) -> dict[str, int]:
    """What an edge's outbox holds in its file (read beside the running edge: SQLite in WAL
    mode lets a reader in; a hosted process's file holds every home's): items by kind, and
    staged readings."""
    if not path.exists():
        return {}
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        counts = dict(
            db.execute("SELECT kind, COUNT(*) FROM items WHERE edge = ? GROUP BY kind", (edge,))
        )
        telemetry = db.execute(
            "SELECT payload FROM items WHERE edge = ? AND kind = 'telemetry'", (edge,)
        ).fetchall()
        (staged,) = db.execute("SELECT COUNT(*) FROM staged WHERE edge = ?", (edge,)).fetchone()
    sealed = sum(bytes(payload).count(b'"metric"') for (payload,) in telemetry)
    return {**counts, "staged": staged, "readings": staged + sealed}


async def stops_cleanly(process: asyncio.subprocess.Process, watcher: aiomqtt.Client) -> None:
    """SIGTERM to an edge process whose uplink status ``watcher`` follows: it says offline,
    then exits 0 without a traceback."""
    process.send_signal(signal.SIGTERM)
    async with asyncio.timeout(WAIT):
        async for message in watcher.messages:
            if json.loads(message.payload).get("state") == "offline":
                break
    async with asyncio.timeout(WAIT):
        _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
