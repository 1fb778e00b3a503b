"""The store's schema version, and the migrations that bring a store up to it (Alembic).

- A new, empty store is created whole from the models and marked as the newest revision
  (Alembic's recipe for a fresh database: faster than replaying every migration).
- A store at the newest revision is used as it is.
- A store that is behind is refused with :class:`StoreBehind`, which says which command
  upgrades it (``eldercare upgrade``): a schema change is an operator's decision, made
  after a backup, never a side effect of a restart.
- A store made before the hub had migrations (its tables, no version) is taken to be at
  the first revision, ``0001``, which is exactly that schema.

A schema change is a new file in ``hub/migrations/versions/``, written with
``eldercare upgrade --new "what changed"`` (Alembic's autogenerate against a store at the
newest revision) and read over before it is committed; tests/hub/test_migrations.py checks
that the migrations give exactly the models' schema and that an upgrade keeps the data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from .errors import HubError
from .schema import Base

FIRST = "0001"


class StoreBehind(HubError):
    """The store was written by an earlier version of the hub and needs an upgrade."""

    def __init__(self, url: str, current: str, head: str):
        self.current = current
        self.head = head
        super().__init__(
            f"the store {url} is at schema revision {current}, this hub needs {head}: "
            f"back it up, then run `eldercare upgrade --database {url}`"
        )


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    found = scripts().get_current_head()
    assert found is not None, "hub/migrations/versions holds no revision"
    return found


def revision(connection: Connection) -> str | None:
    """The store's revision; None for an empty store; FIRST for one made before migrations."""
    current = MigrationContext.configure(connection).get_current_revision()
    if current is None and inspect(connection).has_table("alerts"):
        return FIRST
    return current


def prepare(engine: Engine, url: str) -> None:
    """Create an empty store at the newest revision; refuse one that is behind."""
    with engine.begin() as connection:
        current = revision(connection)
        if current is None:
            Base.metadata.create_all(connection)
            MigrationContext.configure(connection).stamp(scripts(), head())
            return
    if current != head():
        raise StoreBehind(url, current, head())


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the store to ``target`` (the newest revision by default): (before, after)."""
    with engine.begin() as connection:
        before = revision(connection)
        if (
            before == FIRST
            and MigrationContext.configure(connection).get_current_revision() is None
        ):
            command.stamp(_config(connection), FIRST)
        command.upgrade(_config(connection), target)
        return before, revision(connection) or "none"


def new_revision(engine: Engine, message: str) -> Path:
    """Write a migration from what the models have and the store (at the newest revision)
    has not; the file to read over and commit."""
    with engine.begin() as connection:
        written = command.revision(
            _config(connection),
            message=message,
            autogenerate=True,
            rev_id=f"{int(head()) + 1:04d}",
        )
    assert not isinstance(written, list) and written is not None
    return Path(written.path)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files(__package__) / "migrations"))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config
