"""``eldercare hub``: the hub and its API against a broker and a store.

Settings come from the environment (``ELDERCARE_BROKER``, ``ELDERCARE_DATABASE``,
``ELDERCARE_POLICIES`` as JSON, ... see :class:`hub.settings.HubSettings`); the options
below override them. A bad URL or setting ends with one line on stderr and exit code 2; a
hub that cannot run (another hub holds its MQTT client id, or its tasks stopped) with
exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from typing import Any

from pydantic import ValidationError

from contracts.errors import describe_validation_error
from transport.late_acks import quiet_late_acknowledgements

EXIT_USAGE = 2
EXIT_FAILED = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the hub: take events, telemetry and status from every home's edge over MQTT, "
        "keep them in the store, run the alerts' life cycle and escalation, notify, and "
        "serve the REST + WebSocket API."
    )
    parser.epilog = (
        "The first account: on a new store (no account yet) the hub creates the account "
        "'admin' with the password in ELDERCARE_ADMIN_PASSWORD; without it nobody can log in, "
        "and the hub says so when it starts. Other settings: ELDERCARE_* variables (see "
        "docs/hub.md, Settings)."
    )
    parser.add_argument(
        "--broker",
        metavar="URL",
        help="mqtt://host:port (ELDERCARE_BROKER); the hub's account from "
        "ELDERCARE_MQTT_USERNAME and ELDERCARE_MQTT_PASSWORD_FILE",
    )
    parser.add_argument(
        "--database", metavar="URL", help="SQLAlchemy URL, default sqlite:///eldercare-hub.db"
    )
    parser.add_argument("--prefix", help="topic prefix, default eldercare/v1")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP address, default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port, default 8000")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from hub.migrate import StoreBehind
    from hub.passwords import PasswordPolicy
    from hub.redaction import install_log_redaction
    from hub.settings import HubSettings
    from hub.store import Store, StoreError

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_late_acknowledgements()
    overrides = {
        name: value
        for name, value in (
            ("broker", args.broker),
            ("database", args.database),
            ("prefix", args.prefix),
        )
        if value is not None
    }
    try:
        settings = HubSettings(**overrides)
    except ValidationError as exc:
        print(f"eldercare hub: {describe_validation_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    if settings.admin_password:
        # Refused before anything starts, whether or not the store still needs a first
        # account: a weak admin password has no business in the environment.
        problem = PasswordPolicy.of(settings).problem(settings.admin_password, "admin")
        if problem is not None:
            print(f"eldercare hub: ELDERCARE_ADMIN_PASSWORD is refused: {problem}", file=sys.stderr)
            return EXIT_USAGE
    try:  # a store that cannot be opened is an operator's mistake: one line, not a traceback
        Store(settings.database).close()
    except (StoreError, StoreBehind) as exc:
        print(f"eldercare hub: {exc}", file=sys.stderr)
        return EXIT_USAGE
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    )
    # After uvicorn's Config, which sets up its loggers' own handlers.
    install_log_redaction("uvicorn", "uvicorn.error", "uvicorn.access")
    failure = asyncio.run(_serve(server, app))
    if failure is not None:
        print(f"eldercare hub: {failure}", file=sys.stderr)
        return EXIT_FAILED
    return 0


async def _serve(server: Any, app: Any) -> BaseException | None:
    """Serve until stopped; a hub whose tasks end (they never do unless something is wrong)
    stops the server rather than leave an API that no longer takes in alerts."""
    serving = asyncio.create_task(server.serve())
    while not serving.done():
        runner = getattr(app.state, "hub_runner", None)
        if runner is not None and runner.done() and not runner.cancelled():
            server.should_exit = True
            await serving
            return _cause(runner.exception()) or RuntimeError("the hub stopped")
        await asyncio.wait({serving}, timeout=0.5)
    with contextlib.suppress(SystemExit):  # uvicorn exits when the start-up failed
        serving.result()
    if not server.started:
        return RuntimeError("the server did not start (see the log above)")
    return None


def _cause(error: BaseException | None) -> BaseException | None:
    """The first error inside (nested) task groups: what to tell the operator."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error
