"""A private Mosquitto broker: its own config on a free port, run as a child process.

`eldercare demo` uses it when no --broker is given and the tests use it so that every
test talks to a real broker it controls, never to whatever runs on port 1883.

It is configured as a deployment's brokers must be (``deploy/mosquitto/``), so that what the
tests show holds there too: **persistence on**. An edge deletes an event from its outbox as
soon as the broker acknowledges it; from then until the hub has stored it, the broker's
queue for the hub's persistent session is the only copy. Without persistence a restart of
the broker empties that queue (measured: 197 of 600 SOS events lost over three restarts).
The database lives in the broker's folder and is written at every clean stop and every
``AUTOSAVE_S``.

Run as root, Mosquitto switches to its own user before it opens the database, and that user
cannot write into a folder made by root with mode 0700 (pytest's ``tmp_path``, a
``TemporaryDirectory``): it would lose the database at the first stop and say so only in its
log. The private broker runs as whoever started it (``user root`` when that is root); a
deployment's broker keeps its own user and its own folder (``/var/lib/mosquitto``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class BrokerError(Exception):
    """The private broker could not be started."""


@dataclass
class Broker:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    config: Path
    log: Path

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        """Start again on the same port (a broker outage in a test ends here)."""
        self.stop()
        self.process = _spawn(self.config, self.log)
        _wait_until_listening(self.host, self.port, self.process, self.log)


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if found is None:
        raise BrokerError(
            "mosquitto is not installed: `./dev demo` or `./dev test` installs it, "
            "or run `apt-get install mosquitto`"
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


AUTOSAVE_S = 60
MAX_INFLIGHT = 1000  # the hub acks after its commit: Mosquitto's 20 would cap its batches
MAX_QUEUED = 100_000  # per offline session; the hub's backlog while it restarts


def private_config(workdir: Path, port: int) -> str:
    """The private broker's mosquitto.conf: a deployment's settings on a loopback port."""
    return "\n".join(
        [
            f"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {workdir.resolve()}/",
            f"autosave_interval {AUTOSAVE_S}",
            f"max_inflight_messages {MAX_INFLIGHT}",
            f"max_queued_messages {MAX_QUEUED}",
            *(["user root"] if os.geteuid() == 0 else []),  # see the module's docstring
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "",
        ]
    )


def start_broker(workdir: Path, port: int | None = None) -> Broker:
    """A Mosquitto on ``port`` (a free one by default) with its config, log and database in
    ``workdir``; a database left there by an earlier broker is loaded."""
    port = port or free_port()
    return run_broker(private_config(workdir, port), workdir, port)


def run_broker(config_text: str, workdir: Path, port: int) -> Broker:
    """Mosquitto with ``config_text`` (which must listen on 127.0.0.1:``port``) as
    ``workdir/mosquitto.conf``, logging to ``workdir/mosquitto.log``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mosquitto.conf"
    log = workdir / "mosquitto.log"
    config.write_text(config_text)
    process = _spawn(config, log)
    _wait_until_listening("127.0.0.1", port, process, log)
    return Broker("127.0.0.1", port, process, config, log)


def _spawn(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [mosquitto_binary(), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
        )


def _wait_until_listening(host: str, port: int, process: subprocess.Popen[bytes], log: Path):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrokerError(f"mosquitto exited: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"mosquitto did not listen on {host}:{port} within 10 s")
