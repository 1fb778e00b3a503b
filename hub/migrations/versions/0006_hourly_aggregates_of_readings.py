"""hourly aggregates of readings (reading_hours)

Revision ID: 0006
Revises: 0005
Created: 2026-12-05

Per home, metric and UTC hour: count, lowest, highest and sum of the readings, what the
pages' charts show when the readings themselves go to InfluxDB (hub.reading_hours). A new
table: nothing of an existing store changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reading_hours",
        sa.Column("home_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("hour", BigInt, nullable=False),
        sa.Column("count", BigInt, nullable=False),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("total", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("home_id", "metric", "hour"),
    )


def downgrade() -> None:
    op.drop_table("reading_hours")
