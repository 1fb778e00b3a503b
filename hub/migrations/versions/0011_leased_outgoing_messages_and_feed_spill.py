"""Queued MQTT messages are leased while a worker publishes them (``mqtt_outbox.claimed_until``,
``sent_at`` only once published); ``feed_spill`` carries the live-feed messages too large for
a NOTIFY between hub workers (#14).

A row that an earlier version claimed has its ``sent_at`` already: it stays sent, as it was.

Revision ID: 0011
Revises: 0010
Created: 2026-12-05 18:44:27.785808
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_spill",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feed_spill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feed_spill_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("mqtt_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_until", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mqtt_outbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")

    with op.batch_alter_table("feed_spill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feed_spill_created_at"))

    op.drop_table("feed_spill")
