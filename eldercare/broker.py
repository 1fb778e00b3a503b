"""A private Mosquitto broker: its own config on a free port, run as a child process.

`eldercare demo` uses it when no --broker is given and the tests use it so that every
test talks to a real broker it controls, never to whatever runs on port 1883.
"""

from __future__ import annotations

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


def start_broker(workdir: Path, port: int | None = None) -> Broker:
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    config = workdir / "mosquitto.conf"
    log = workdir / "mosquitto.log"
    config.write_text(
        "\n".join(
            [
                f"listener {port} 127.0.0.1",
                "allow_anonymous true",
                "persistence false",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "max_queued_messages 100000",
                "",
            ]
        )
    )
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
