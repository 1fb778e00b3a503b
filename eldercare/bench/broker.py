"""The bench's private Mosquitto, set never to drop what it queues for an offline session,
and the version of the Mosquitto on this machine for the report."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from eldercare.broker import Broker, BrokerError, free_port, mosquitto_binary


def start_bench_broker(workdir: Path, *, inflight: int) -> Broker:
    """A private Mosquitto that never drops what it queues for an offline session.

    eldercare.broker.start_broker caps each queue at 100,000 messages and leaves the
    in-flight window at Mosquitto's default of 20. With 20, a consumer that acks only after
    its commit (the hub) never sees more than 20 messages at once, whatever its batch size;
    a deployment sets this window, so the bench sets it too (``--inflight``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = workdir / "mosquitto.conf"
    log_file = workdir / "mosquitto.log"
    config.write_text(
        "\n".join(
            [
                f"listener {port} 127.0.0.1",
                "allow_anonymous true",
                "persistence false",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "max_queued_messages 0",  # 0: no limit, an offline session loses nothing
                "max_queued_bytes 0",
                f"max_inflight_messages {inflight}",
                # As root, Mosquitto switches to its own user, and changing user clears the
                # parent-death signal set below; as anyone else it keeps the caller's user.
                *(["user root"] if os.geteuid() == 0 else []),
                "",
            ]
        )
    )
    with open(log_file, "ab") as out:
        process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_parent_death_signal(),
        )
    deadline = time.monotonic() + 10
    while True:
        if process.poll() is not None:
            raise BrokerError(f"mosquitto exited: {log_file.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise BrokerError(f"mosquitto did not listen on port {port} within 10 s") from None
            time.sleep(0.05)
    return Broker("127.0.0.1", port, process, config, log_file)


def _parent_death_signal() -> Callable[[], None] | None:
    """What the broker's process runs before exec: get SIGTERM when the bench's main thread
    ends, even by kill -9 (a timed-out CI job), rather than live on holding a port. Linux
    only; resolved here, in the parent, so the forked child imports nothing."""
    try:
        import ctypes

        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: prctl(pr_set_pdeathsig, signal.SIGTERM)


def mosquitto_version() -> str | None:
    try:
        shown = subprocess.run(
            [mosquitto_binary(), "-h"], capture_output=True, text=True, timeout=5
        ).stdout
    except (BrokerError, OSError, subprocess.SubprocessError):
        return None
    first = shown.splitlines()[0] if shown else ""
    return first.removeprefix("mosquitto version ").strip() or None
