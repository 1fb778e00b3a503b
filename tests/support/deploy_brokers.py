"""The deployment's broker configs (deploy/mosquitto/) run by the tests as they are, on a free
loopback port: only the listener, the password file and the database folder are changed."""

from __future__ import annotations

import os
import re
from pathlib import Path

from eldercare.broker import Broker, free_port, run_broker

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"


def adapted(text: str, workdir: Path, port: int) -> str:
    """``text`` with the lines that name this machine's ports, users and folders replaced."""
    lines = []
    for line in text.splitlines():
        setting = line.split("#", 1)[0].split()
        name = setting[0] if setting else None
        if name == "listener":
            line = f"listener {port} 127.0.0.1"
        elif name == "allow_anonymous":
            line = "allow_anonymous true"
        elif name in ("password_file", "acl_file", "certfile", "keyfile", "cafile"):
            continue
        elif name == "persistence_location":
            line = f"persistence_location {workdir.resolve()}/"
        lines.append(line)
    if os.geteuid() == 0:  # see eldercare.broker: root's Mosquitto cannot write tmp_path else
        lines.append("user root")
    return "\n".join(lines) + "\n"


def deploy_broker(name: str, workdir: Path, config: Path | None = None) -> Broker:
    """Mosquitto with ``deploy/mosquitto/<name>.conf`` (or ``config``), adapted."""
    port = free_port()
    text = (config or DEPLOY / f"{name}.conf").read_text()
    return run_broker(adapted(text, workdir, port), workdir, port)


def setting(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}\s+(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None
