"""Alembic's scripts for the hub's store: ``env.py`` and ``versions/`` (see hub/migrate.py)."""
