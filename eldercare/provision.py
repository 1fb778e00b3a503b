"""``eldercare provision``: the hub broker's accounts, made and revoked.

    eldercare provision home h001            a home's edge: prints what the edge needs
    eldercare provision hosted gw-1 --homes h001,h002   a hosted-edge process
    eldercare provision hub                  the hub's own account
    eldercare provision revoke h001          (or hosted.gw-1): refused from the next reload
    eldercare provision list

The files are those of ``deploy/mosquitto/hub.conf`` (``--dir``, /etc/mosquitto/eldercare):
the ACLs as shipped are written where there are none yet. Mosquitto reads them again on
SIGHUP: ``--reload PIDFILE`` sends it, else the command says how. A password is made here
(random, 32 characters), hashed as ``mosquitto_passwd`` does, and shown once (or written to
``--password-out``, mode 0600); it is never logged.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from contracts.topics import DEFAULT_PREFIX

from .broker_accounts import (
    HOSTED_PREFIX,
    HUB_ACCOUNT,
    AccountError,
    BrokerFiles,
    check_home_id,
    new_password,
)

DEFAULT_DIR = Path("/etc/mosquitto/eldercare")
ACTIONS = ("home", "hosted", "hub", "revoke", "list")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.split("\n\n", 1)[0] if __doc__ else None
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("name", nargs="?", help="the home id, hosted process id or account")
    parser.add_argument("--homes", default="", help="hosted: the homes it hosts, h001,h002")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="the broker's files")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX, help="MQTT topic prefix")
    parser.add_argument("--uplink", default="mqtts://HUB-BROKER:8883", help="shown to the edge")
    parser.add_argument("--password-out", type=Path, help="write the password here, not stdout")
    parser.add_argument("--reload", type=Path, metavar="PIDFILE", help="SIGHUP this Mosquitto")


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (AccountError, OSError) as exc:
        print(f"eldercare provision: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    files = BrokerFiles(args.dir)
    files.initialise(args.prefix)
    if args.action == "list":
        for account, kind in sorted(files.accounts().items()):
            print(f"{kind:7} {account}")
        return 0
    if args.action != "hub" and not args.name:
        raise AccountError(f"`provision {args.action}` needs a name")
    if args.action == "revoke":
        if not files.revoke(args.name, args.prefix):
            raise AccountError(f"no account {args.name!r} in {args.dir}")
        print(f"{args.name}: revoked (password removed, everything denied)")
        _reload(args)
        return 0
    password = new_password()
    if args.action == "home":
        files.add_home(args.name, password)
        user, what = args.name, f"home {args.name}"
    elif args.action == "hosted":
        homes = [check_home_id(h.strip()) for h in args.homes.split(",") if h.strip()]
        if not homes:
            raise AccountError("`provision hosted` needs --homes h001,h002,...")
        user = files.add_hosted(args.name, homes, password, args.prefix)
        what = f"hosted process {args.name} ({', '.join(homes)})"
    else:
        user, what = args.name or HUB_ACCOUNT, "the hub"
        files.add_hub(password, user)
    _tell(args, user, what, password)
    _reload(args)
    return 0


def _tell(args: argparse.Namespace, user: str, what: str, password: str) -> None:
    secret = "the password below, in a file only it can read (mode 0600)"
    if args.password_out:
        args.password_out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(args.password_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
        secret = f"{args.password_out} (written, mode 0600)"
    command = "hub" if args.action == "hub" else "edge"
    broker = "mqtt://127.0.0.1:1884" if args.action == "hub" else args.uplink
    print(f"{what}: account {user!r}")
    print(f"`eldercare {command}` needs:")
    flag = "--broker" if args.action == "hub" else "--uplink"
    print(f"  {flag} {broker}")
    print(f"  ELDERCARE_MQTT_USERNAME={user}")
    print(f"  ELDERCARE_MQTT_PASSWORD_FILE=<{secret}>")
    if args.action != "hub":
        print("  ELDERCARE_MQTT_CA_FILE=<the CA of the broker's certificate, for mqtts://>")
    if args.action == "hosted":
        print(f"  --process-id {args.name}")
    if not args.password_out:
        print(f"password (shown once, kept nowhere in clear): {password}")


def _reload(args: argparse.Namespace) -> None:
    if args.reload is None:
        print("Reload the broker to apply: systemctl reload mosquitto (SIGHUP)")
        return
    pid = int(args.reload.read_text().split()[0])
    os.kill(pid, signal.SIGHUP)
    print(f"Mosquitto (pid {pid}) reloads its accounts and ACLs")


__all__ = ["HOSTED_PREFIX", "add_arguments", "run"]
