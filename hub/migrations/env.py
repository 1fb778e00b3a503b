"""Alembic's environment: run on the connection hub/migrate.py gives it, never from a URL
in a file, so that the hub, its command line and the tests migrate the same way."""

from __future__ import annotations

from alembic import context

from hub.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
