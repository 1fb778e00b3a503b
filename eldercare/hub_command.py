"""``eldercare hub``: the hub and its API against a broker and a store.

Settings come from the environment (``ELDERCARE_BROKER``, ``ELDERCARE_DATABASE``,
``ELDERCARE_POLICIES`` as JSON, ... see :class:`hub.settings.HubSettings`); the options
below override them. A bad URL or setting ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pydantic import ValidationError

from contracts.errors import describe_validation_error

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run the hub: take events, telemetry and status from every home's edge over MQTT, "
        "keep them in the store, run the alerts' life cycle and escalation, notify, and "
        "serve the REST + WebSocket API."
    )
    parser.add_argument("--broker", metavar="URL", help="mqtt://host:port (ELDERCARE_BROKER)")
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
    from hub.settings import HubSettings

    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
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
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")
    return 0
