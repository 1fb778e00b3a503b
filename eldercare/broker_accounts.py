"""Who may connect to the hub's Mosquitto, and what each may publish and read.

The hub's broker has two listeners (``deploy/mosquitto/hub.conf``), each with its own
password file and ACL (``per_listener_settings true``):

* **the edges' listener**, where homes and hosted-edge processes connect. Every account's
  client id *is* its user name (``use_username_as_clientid``): no one connecting there can
  present another client's id, so no one can take over the hub's session or an edge's.
  A home's account is named after the home (``h001``) and the ACL's ``pattern`` lines give
  it its own upstream topics to write and its own ``config`` and ``command`` to read. A
  hosted-edge process's account is ``hosted.<process id>`` (a dot: never a home's id) with a
  ``user`` block naming the topics of each home it hosts.
* **the hub's listener**, bound where only the hub's machine reaches it: the hub's account,
  which reads every home's topics and writes only ``config``, ``command`` and its own
  presence.

Passwords are written in Mosquitto's own format (``$7$``: PBKDF2-SHA512, what
``mosquitto_passwd`` writes), so no password is ever passed on a command line. Files are
replaced atomically; Mosquitto reads them again on SIGHUP.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from contracts.topics import (
    EDGE_CHANNELS,
    HUB_CHANNELS,
    HUB_LEVEL,
    RESERVED_HOME_IDS,
    SHARED_ZIGBEE2MQTT_BASE,
    hosted_status,
)

HOSTED_PREFIX = "hosted."  # hosted.<process id>
HUB_ACCOUNT = "eldercare.hub"
ITERATIONS = 101  # mosquitto_passwd's; the passwords made here are random (190 bits)
_HOME_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$")  # contracts.home's identifier
# Client ids the hub generates (hub.presence): an edge account named so would hold that id.
_HUB_CLIENT_IDS = "eldercare-"


class AccountError(Exception):
    """An account that cannot be made or changed; the message says why."""


def check_home_id(home: str) -> str:
    if not _HOME_ID.match(home):
        raise AccountError(
            f"home id {home!r}: letters, digits, '_' and '-' only, at most 64, "
            "as in the home config"
        )
    if home in RESERVED_HOME_IDS or home.startswith(_HUB_CLIENT_IDS):
        raise AccountError(
            f"home id {home!r} is reserved: {sorted(RESERVED_HOME_IDS)} are topic levels, and "
            f"ids beginning {_HUB_CLIENT_IDS!r} are the hub's client ids"
        )
    return home


def new_password() -> str:
    return secrets.token_urlsafe(24)


def password_hash(password: str, *, salt: bytes | None = None) -> str:
    """``password`` as a line of a Mosquitto 2 password file has it (after ``user:``)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    b64 = base64.b64encode
    return f"$7${ITERATIONS}${b64(salt).decode()}${b64(digest).decode()}"


def _replace_file(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all; readable by the broker, by nobody else."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class PasswordFile:
    """A Mosquitto password file: ``user:hash`` lines."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def users(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        entries = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            user, sep, hashed = line.partition(":")
            if sep and user:
                entries[user] = hashed
        return entries

    def set(self, user: str, password: str) -> None:
        entries = self.users()
        entries[user] = password_hash(password)
        self._write(entries)

    def remove(self, user: str) -> bool:
        entries = self.users()
        found = entries.pop(user, None) is not None
        if found:
            self._write(entries)
        return found

    def _write(self, entries: dict[str, str]) -> None:
        _replace_file(self.path, "".join(f"{u}:{h}\n" for u, h in sorted(entries.items())))


class AclFile:
    """A Mosquitto ACL file: what comes before the first ``user`` line (comments, the
    ``pattern`` lines for every home), then one block per account with its own topics.
    The blocks this module writes are replaced or removed whole; the rest is kept as is."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _parts(self) -> tuple[str, dict[str, list[str]]]:
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        head: list[str] = []
        blocks: dict[str, list[str]] = {}
        current: list[str] | None = None
        for line in text.splitlines():
            words = line.split()
            if len(words) == 2 and words[0] == "user":
                current = blocks.setdefault(words[1], [])
                continue
            if current is None:
                head.append(line)
            elif line.strip():
                current.append(line.strip())
        return "\n".join(head).rstrip() + "\n", blocks

    def users(self) -> dict[str, list[str]]:
        return self._parts()[1]

    def set_user(self, user: str, lines: list[str]) -> None:
        head, blocks = self._parts()
        blocks[user] = lines
        self._write(head, blocks)

    def remove_user(self, user: str) -> bool:
        head, blocks = self._parts()
        found = blocks.pop(user, None) is not None
        if found:
            self._write(head, blocks)
        return found

    def _write(self, head: str, blocks: dict[str, list[str]]) -> None:
        body = "".join(
            f"\nuser {user}\n" + "".join(f"{line}\n" for line in lines)
            for user, lines in sorted(blocks.items())
        )
        _replace_file(self.path, head + body)


def edges_acl(prefix: str) -> str:
    """The edges' listener ACL before any hosted account is added."""
    upstream = [f"pattern write {prefix}/%u/{channel}" for channel in EDGE_CHANNELS]
    downstream = [f"pattern read {prefix}/%u/{channel}" for channel in HUB_CHANNELS]
    return "\n".join(
        [
            "# The edges' listener of the hub's Mosquitto: who may publish and read what.",
            "# Written by `eldercare provision`; the pattern lines are for every account, the",
            "# `user` blocks below them (hosted-edge processes) for one each.",
            "#",
            "# A home's account is named after the home: it publishes only its own upstream",
            "# topics and reads only its own config and command. Nothing else is allowed.",
            *upstream,
            *downstream,
            "",
        ]
    )


def hosted_topics(prefix: str, process_id: str, homes: list[str]) -> list[str]:
    """A hosted-edge process: its own will, and for each home it hosts what the home's own
    edge may do, plus that home's devices when they talk straight to this broker."""
    lines = [f"topic write {hosted_status(prefix, process_id)}"]
    for home in homes:
        lines += [f"topic write {prefix}/{home}/{channel}" for channel in EDGE_CHANNELS]
        lines += [f"topic read {prefix}/{home}/{channel}" for channel in HUB_CHANNELS]
        zigbee = SHARED_ZIGBEE2MQTT_BASE.format(home=home)
        lines += [f"topic read {prefix}/{home}/dev/+/up", f"topic read {zigbee}/#"]
    return lines


def hub_acl(prefix: str, hub_account: str = HUB_ACCOUNT) -> str:
    """The hub's listener ACL: the hub reads every home and writes only what it sends."""
    return "\n".join(
        [
            "# The hub's listener of the hub's Mosquitto (reachable only from the hub's machine).",
            "# The hub reads every home's topics, writes only config and command, and its",
            "# presence (hub.presence). Written by `eldercare provision hub`.",
            "",
            f"user {hub_account}",
            f"topic read {prefix}/#",
            *[f"topic write {prefix}/+/{channel}" for channel in HUB_CHANNELS],
            f"topic readwrite {prefix}/{HUB_LEVEL}/#",
            "",
        ]
    )


@dataclass(frozen=True)
class BrokerFiles:
    """The four files of a hub's broker, in one folder (``/etc/mosquitto/eldercare``)."""

    folder: Path

    @property
    def edges_passwd(self) -> PasswordFile:
        return PasswordFile(self.folder / "edges.passwd")

    @property
    def edges_acl(self) -> AclFile:
        return AclFile(self.folder / "edges.acl")

    @property
    def hub_passwd(self) -> PasswordFile:
        return PasswordFile(self.folder / "hub.passwd")

    @property
    def hub_acl(self) -> AclFile:
        return AclFile(self.folder / "hub.acl")

    def initialise(self, prefix: str) -> None:
        """The ACLs as shipped, where there are none yet; empty password files."""
        for acl, text in ((self.edges_acl, edges_acl(prefix)), (self.hub_acl, hub_acl(prefix))):
            if not acl.path.exists():
                _replace_file(acl.path, text)
        for passwd in (self.edges_passwd, self.hub_passwd):
            if not passwd.path.exists():
                _replace_file(passwd.path, "")

    def add_home(self, home: str, password: str) -> None:
        self.edges_passwd.set(check_home_id(home), password)
        self.edges_acl.remove_user(home)  # the deny block of an earlier revoke

    def add_hosted(self, process_id: str, homes: list[str], password: str, prefix: str) -> str:
        check_home_id(process_id)  # a topic level like a home's
        user = HOSTED_PREFIX + process_id
        self.edges_acl.set_user(user, hosted_topics(prefix, process_id, homes))
        self.edges_passwd.set(user, password)
        return user

    def add_hub(self, password: str, account: str = HUB_ACCOUNT) -> None:
        self.hub_passwd.set(account, password)

    def revoke(self, account: str, prefix: str) -> bool:
        """The account can no longer connect (after the broker reloads, which also cuts off
        a connected client whose password is gone). A revoked home's block denies it
        everything its pattern lines would allow, should it ever be let in again by
        mistake (an old copy of the password file)."""
        removed = self.edges_passwd.remove(account)
        removed |= self.edges_acl.remove_user(account)
        removed |= self.hub_passwd.remove(account)
        if removed and not account.startswith(HOSTED_PREFIX) and "." not in account:
            self.edges_acl.set_user(account, [f"topic deny {prefix}/#"])
        return removed

    def accounts(self) -> dict[str, str]:
        """Every account that can connect, and what it is."""
        found = {user: "hub" for user in self.hub_passwd.users()}
        for user in self.edges_passwd.users():
            found[user] = "hosted" if user.startswith(HOSTED_PREFIX) else "home"
        return found
