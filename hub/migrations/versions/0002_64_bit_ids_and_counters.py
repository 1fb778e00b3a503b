"""64-bit ids and counters

Revision ID: 0002
Revises: 0001
Created: 2026-12-05

SQLite's INTEGER is 64-bit already (nothing to do there: a batch copy of every table,
readings included, for nothing); PostgreSQL's is not, and an id beyond 2**31 failed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    ("alert_history", ("id", "alert_id")),
    ("alerts", ("id", "escalation_step")),
    ("deliveries", ("id", "alert_id", "attempts")),
    ("escalations", ("alert_id", "step")),
    ("events", ("id", "seq", "alert_id")),
    ("feedback_changes", ("id", "alert_id")),
    ("mqtt_outbox", ("id",)),
    ("readings", ("id",)),
    ("received", ("seq",)),
    ("rejected", ("id",)),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS:
        for column in columns:
            op.alter_column(table, column, existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS:
        for column in columns:
            op.alter_column(table, column, existing_type=sa.BigInteger(), type_=sa.Integer())
