"""The deployment's broker configs (deploy/mosquitto/) run by the tests as they are, on free
loopback ports: only the listeners' ports, the folder of the password files and ACLs, and
the database folder are changed. The ACLs are the shipped files; the hub's account is made
as `eldercare provision hub` makes it."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from eldercare.broker import Broker, free_port, run_broker
from eldercare.broker_accounts import HUB_ACCOUNT, BrokerFiles, new_password

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
SHIPPED_FOLDER = "/etc/mosquitto/eldercare/"


def adapted(text: str, workdir: Path, ports: list[int]) -> str:
    """``text`` with the lines that name this machine's ports, users and folders replaced:
    the n-th listener on ``ports[n]``."""
    lines = []
    listeners = iter(ports)
    for line in text.splitlines():
        setting = line.split("#", 1)[0].split()
        name = setting[0] if setting else None
        if name == "listener":
            line = f"listener {next(listeners)} 127.0.0.1"
        elif name in ("password_file", "acl_file"):
            line = line.replace(SHIPPED_FOLDER, f"{workdir.resolve()}/")
        elif name in ("certfile", "keyfile", "cafile"):
            continue
        elif name == "persistence_location":
            line = f"persistence_location {workdir.resolve()}/"
        lines.append(line)
    if os.geteuid() == 0:  # see eldercare.broker: root's Mosquitto cannot write tmp_path else
        lines.append("user root")
    return "\n".join(lines) + "\n"


def deploy_broker(name: str, workdir: Path, config: Path | None = None) -> Broker:
    """Mosquitto with ``deploy/mosquitto/<name>.conf`` (or ``config``), adapted; for the
    hub's broker, with the shipped ACLs and the hub's account."""
    text = (config or DEPLOY / f"{name}.conf").read_text()
    count = len(re.findall(r"^listener\s", text, re.MULTILINE))
    ports = [free_port() for _ in range(count)]
    workdir.mkdir(parents=True, exist_ok=True)
    files = None
    passwords: dict[str, str] = {}
    if "acl_file" in text:
        files = BrokerFiles(workdir)
        for acl in ("edges.acl", "hub.acl"):
            shutil.copy(DEPLOY / acl, workdir / acl)
        files.initialise("eldercare/v1")
        passwords[HUB_ACCOUNT] = new_password()
        files.add_hub(passwords[HUB_ACCOUNT])
    broker = run_broker(adapted(text, workdir, ports), workdir, ports[0], *ports[1:2])
    broker.files, broker.passwords = files, passwords
    return broker


def setting(text: str, name: str) -> str | None:
    match = re.search(rf"^{name}\s+(\S+)", text, re.MULTILINE)
    return match.group(1) if match else None
