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

It runs **with authentication and the ACL on**, as ``deploy/mosquitto/hub.conf`` does (see
:mod:`eldercare.broker_accounts`): two listeners, the edges' (``port``: homes, hosted
processes, devices; every client id is its user name) and the hub's (``hub_port``). The
:class:`Broker` knows the passwords of the accounts it made, so a test or the demo asks it
for the URL of a role: ``url`` (the hub), ``home_url("h001")``, ``hosted_url("p1", homes)``,
``devices_url`` (simulated devices talking straight to the hub's broker). Accounts are made
when first asked for and the broker reloads (SIGHUP) before the URL is returned. A home's
own broker (``secured=False``) is as ``deploy/mosquitto/home.conf``: anonymous, loopback only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.topics import DEFAULT_PREFIX
from transport.broker_url import BrokerUrl

from .broker_accounts import HUB_ACCOUNT, BrokerFiles, new_password

# The private broker's own accounts besides the hub's: the simulated devices (talking
# straight to the hub's broker, as 4G bracelets do) and the tests' observer, which reads
# everything and writes what the hub writes.
DEVICES_ACCOUNT = "eldercare.devices"
OBSERVER_ACCOUNT = "eldercare.observer"


class BrokerError(Exception):
    """The private broker could not be started."""


class PortTaken(BrokerError):
    """Another process listens on a port the broker was to listen on."""


PORT_DRAWS = 5  # how often start_broker draws its ports again when one was taken


@dataclass
class Broker:
    host: str
    port: int  # a home broker's only listener; a secured broker's edges' listener
    process: subprocess.Popen[bytes]
    config: Path
    log: Path
    hub_port: int | None = None  # a secured broker's hub listener
    files: BrokerFiles | None = None
    prefix: str = DEFAULT_PREFIX
    passwords: dict[str, str] = field(default_factory=dict, repr=False)
    _hosted: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    @property
    def secured(self) -> bool:
        return self.files is not None

    @property
    def url(self) -> str:
        """The hub's URL: its account on the hub's listener (a home broker: anonymous)."""
        if not self.secured:
            return f"mqtt://{self.host}:{self.port}"
        return self._url(HUB_ACCOUNT, self.hub_port)

    @property
    def observer_url(self) -> str:
        """The tests' observer on the hub's listener: reads everything (a deployment's
        broker has no such account: the hub's then)."""
        if self.secured and OBSERVER_ACCOUNT in self.passwords:
            return self._url(OBSERVER_ACCOUNT, self.hub_port)
        return self.url

    @property
    def devices_url(self) -> str:
        """Simulated devices talking straight to this broker."""
        return self._url(DEVICES_ACCOUNT, self.port) if self.secured else self.url

    def home_url(self, home: str) -> str:
        """The uplink URL of home ``home``'s edge (its account is made if need be)."""
        if not self.secured:
            return self.url
        if home not in self.passwords:
            assert self.files is not None
            self.passwords[home] = new_password()
            self.files.add_home(home, self.passwords[home])
            self.reload(home)
        return self._url(home, self.port)

    def hosted_url(self, process_id: str, homes: list[str] | tuple[str, ...] = ()) -> str:
        """The uplink URL of a hosted-edge process for ``homes``."""
        if not self.secured:
            return self.url
        assert self.files is not None
        user = f"hosted.{process_id}"
        if self._hosted.get(process_id) != tuple(homes):
            password = self.passwords.get(user) or new_password()
            self.files.add_hosted(process_id, list(homes), password, self.prefix)
            self.passwords[user] = password
            self._hosted[process_id] = tuple(homes)
            # Mosquitto reads a user's ACL lines in time that grows faster than their number
            # (1,000 homes 0.15 s, 3,000 1.6 s, 10,000 over 10 s on a 2-core machine).
            self.reload(user, wait_s=max(10.0, len(homes) / 50))
        return self._url(user, self.port)

    def hosted_homes(self, process_id: str) -> tuple[str, ...]:
        return self._hosted.get(process_id, ())

    def client_kwargs(self, url: str | None = None) -> dict[str, Any]:
        """aiomqtt.Client keyword arguments for ``url`` (default: the observer)."""
        return BrokerUrl.parse(url or self.observer_url).client_kwargs()

    def _url(self, user: str, port: int | None) -> str:
        return f"mqtt://{user}:{self.passwords[user]}@{self.host}:{port}"

    def reload(self, account: str | None = None, *, wait_s: float = 10.0) -> None:
        """Mosquitto reads its password files and ACLs again (SIGHUP); with ``account``,
        return once that account is let in (within ``wait_s``)."""
        if self.process.poll() is not None:
            return  # stopped: the files are read when it starts again
        self.process.send_signal(signal.SIGHUP)
        if account is None:
            return
        deadline = time.monotonic() + wait_s
        while not connack_accepted(self.host, self.port, account, self.passwords[account]):
            if time.monotonic() > deadline:
                raise BrokerError(f"the broker did not let {account} in after a reload")
            time.sleep(0.02)

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
        logged = self.log.stat().st_size if self.log.exists() else 0
        self.process = _spawn(self.config, self.log)
        for port in self.ports:
            _wait_until_listening(self.host, port, self.process, self.log, logged)

    @property
    def ports(self) -> list[int]:
        return [self.port] + ([self.hub_port] if self.hub_port else [])


def connack_accepted(host: str, port: int, username: str, password: str) -> bool:
    """Whether the broker accepts ``username``/``password`` (one MQTT 3.1.1 CONNECT)."""

    def text(value: str) -> bytes:
        raw = value.encode()
        return struct.pack("!H", len(raw)) + raw

    client_id = f"probe-{secrets.token_hex(4)}"  # the edges' listener replaces it anyway
    variable = text("MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 10)
    payload = text(client_id) + text(username) + text(password)
    remaining = len(variable) + len(payload)
    assert remaining < 128
    try:
        with socket.create_connection((host, port), timeout=2) as conn:
            conn.sendall(bytes([0x10, remaining]) + variable + payload)
            answer = conn.recv(4)
            conn.sendall(b"\xe0\x00")
    except OSError:
        return False
    return len(answer) == 4 and answer[0] == 0x20 and answer[3] == 0


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


LOWEST_PORT = 10_000


def _ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for the source ports of outgoing connections."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def free_port() -> int:
    """A loopback TCP port nobody listens on now, for a server started a moment later.

    Drawn below the ephemeral range: a port the kernel hands out for ``bind(0)`` is also
    one it hands to outgoing connections, and one of those (any client of any test) can
    take it between this probe and the server's bind ("address already in use")."""
    low, _ = _ephemeral_ports()
    draw = secrets.SystemRandom()
    for _ in range(100 if low > LOWEST_PORT + 1000 else 0):
        port = draw.randrange(LOWEST_PORT, low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


AUTOSAVE_S = 60
MAX_INFLIGHT = 1000  # the hub acks after its commit: Mosquitto's 20 would cap its batches
MAX_QUEUED = 100_000  # per offline session; the hub's backlog while it restarts


def private_config(workdir: Path, port: int, hub_port: int | None = None) -> str:
    """The private broker's mosquitto.conf: a deployment's settings on loopback ports;
    with ``hub_port``, the hub's broker's two listeners with their accounts and ACLs."""
    folder = workdir.resolve()
    if hub_port is None:
        listeners = [f"listener {port} 127.0.0.1", "allow_anonymous true"]
    else:
        listeners = [
            "per_listener_settings true",
            f"listener {hub_port} 127.0.0.1",
            "allow_anonymous false",
            f"password_file {folder}/hub.passwd",
            f"acl_file {folder}/hub.acl",
            f"listener {port} 127.0.0.1",
            "allow_anonymous false",
            "use_username_as_clientid true",
            f"password_file {folder}/edges.passwd",
            f"acl_file {folder}/edges.acl",
        ]
    return "\n".join(
        [
            *listeners,
            "persistence true",
            f"persistence_location {folder}/",
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


def start_broker(
    workdir: Path, port: int | None = None, *, secured: bool = True, prefix: str = DEFAULT_PREFIX
) -> Broker:
    """A Mosquitto on ``port`` (a free one by default) with its config, log and database in
    ``workdir``; a database left there by an earlier broker is loaded. ``secured``: the
    hub's broker, with accounts and ACLs; else a home's broker. Ports it chose itself are
    drawn again if another process bound one first (between the draw and the bind)."""
    for attempt in range(1, PORT_DRAWS + 1):
        try:
            return _start_broker(workdir, port or free_port(), secured=secured, prefix=prefix)
        except PortTaken:
            if port is not None or attempt == PORT_DRAWS:
                raise
    raise AssertionError("unreachable")


def _start_broker(workdir: Path, port: int, *, secured: bool, prefix: str) -> Broker:
    if not secured:
        return run_broker(private_config(workdir, port), workdir, port)
    workdir.mkdir(parents=True, exist_ok=True)
    files = BrokerFiles(workdir)
    passwords = _private_accounts(files, prefix)
    hub_port = free_port()
    broker = run_broker(private_config(workdir, port, hub_port), workdir, port, hub_port)
    broker.files, broker.prefix, broker.passwords = files, prefix, passwords
    return broker


def _private_accounts(files: BrokerFiles, prefix: str) -> dict[str, str]:
    """The hub's, the observer's and the simulated devices' accounts, new passwords."""
    for path in (files.edges_acl.path, files.hub_acl.path):
        path.unlink(missing_ok=True)  # written anew: the prefix may differ
    files.initialise(prefix)
    passwords = {account: new_password() for account in (HUB_ACCOUNT, OBSERVER_ACCOUNT)}
    passwords[DEVICES_ACCOUNT] = new_password()
    for account in (HUB_ACCOUNT, OBSERVER_ACCOUNT):
        files.add_hub(passwords[account], account)
    hub_writes = files.hub_acl.users()[HUB_ACCOUNT]
    files.hub_acl.set_user(OBSERVER_ACCOUNT, ["topic read #", *hub_writes])
    files.edges_acl.set_user(
        DEVICES_ACCOUNT, ["topic write zigbee2mqtt/#", f"topic write {prefix}/+/dev/+/up"]
    )
    files.edges_passwd.set(DEVICES_ACCOUNT, passwords[DEVICES_ACCOUNT])
    for account in files.edges_passwd.users():  # homes of an earlier broker in this folder
        if account not in passwords:
            files.edges_passwd.remove(account)
    return passwords


def run_broker(config_text: str, workdir: Path, port: int, hub_port: int | None = None) -> Broker:
    """Mosquitto with ``config_text`` (which must listen on 127.0.0.1:``port``) as
    ``workdir/mosquitto.conf``, logging to ``workdir/mosquitto.log``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mosquitto.conf"
    log = workdir / "mosquitto.log"
    config.write_text(config_text)
    logged = log.stat().st_size if log.exists() else 0  # an earlier broker's, if any
    process = _spawn(config, log)
    for listening in [port] + ([hub_port] if hub_port else []):
        _wait_until_listening("127.0.0.1", listening, process, log, logged)
    return Broker("127.0.0.1", port, process, config, log, hub_port=hub_port)


def _spawn(config: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [mosquitto_binary(), "-c", str(config)]
    # A demo killed outright (SIGKILL, the OOM killer) cannot stop its brokers itself: the
    # kernel sends them SIGTERM when it dies (util-linux's setpriv sets that, then runs
    # mosquitto in its place; preexec_fn would do the same but is unsafe with threads).
    # The kernel watches the thread that started it: a broker (re)started from a worker
    # thread stops when that thread ends (asyncio's executor threads live as long as the
    # loop that owns them).
    setpriv = shutil.which("setpriv")
    if setpriv is not None:
        command = [setpriv, "--pdeathsig", "TERM", *command]
    # Its own session: Ctrl-C in a terminal signals the whole foreground process group,
    # and a broker that went at once would leave the demo's edges and hub stopping against
    # a dead broker (tracebacks, a drain that waits); the demo stops its brokers last.
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _wait_until_listening(
    host: str, port: int, process: subprocess.Popen[bytes], log: Path, logged: int = 0
):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log, "rb") as said:
                said.seek(logged)
                text = said.read().decode(errors="replace")
            taken = "Address already in use" in text
            raise (PortTaken if taken else BrokerError)(f"mosquitto exited: {text}")
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise BrokerError(f"mosquitto did not listen on {host}:{port} within 10 s")
