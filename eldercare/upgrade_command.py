"""``eldercare upgrade``: bring a hub's store to the schema of this version (Alembic).

``eldercare hub`` refuses a store written by an earlier version and names this command; it
never changes a schema by itself. Back the store up first (``sqlite3 hub.db .backup``,
``pg_dump``). ``--new "what changed"`` is for developers: it writes the migration from what
the models have and a store at the newest revision has not.
"""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError

from contracts.errors import describe_validation_error

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Bring the hub's store to the schema of this version: every migration it lacks, in "
        "order. Back the store up first. `eldercare hub` refuses a store that is behind."
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="the store's SQLAlchemy URL (default ELDERCARE_DATABASE, else sqlite:///eldercare-hub.db)",
    )
    parser.add_argument(
        "--new",
        metavar="MESSAGE",
        help="for developers: write a migration for what the models changed, against a store "
        "at the newest revision, and print its file",
    )


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from hub import migrate
    from hub.settings import HubSettings
    from hub.store import StoreError, engine_for

    try:
        settings = HubSettings(**({"database": args.database} if args.database else {}))
        engine = engine_for(settings.database)
    except ValidationError as exc:
        print(f"eldercare upgrade: {describe_validation_error(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"eldercare upgrade: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.new:
            print(migrate.new_revision(engine, args.new))
            return 0
        before, after = migrate.upgrade(engine)
    except SQLAlchemyError as exc:
        print(f"eldercare upgrade: {settings.database}: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if before == after:
        print(f"eldercare upgrade: the store is at the newest revision ({after})")
    else:
        print(f"eldercare upgrade: upgraded the store from {before or 'empty'} to {after}")
    return 0
