"""sessions idle expiry, log-in throttling, read audit

Revision ID: 0005
Revises: 0004
Created: 2026-12-05

The web's defences (docs/security.md, "The web"): ``login_sessions.last_seen_at`` for idle
expiry (sessions opened before count as idle from their log-in), ``login_failures`` for
log-in throttling, ``read_audit`` for who read which resident's data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_failed_at", sa.Float(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failed_at"), ["last_failed_at"], unique=False
        )

    op.create_table(
        "read_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("resident", sa.String(length=64), nullable=False),
        sa.Column("route", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("read_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_read_audit_at"), ["at"], unique=False)
        batch_op.create_index("ix_read_audit_resident_at", ["resident", "at"], unique=False)

    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_seen_at")

    with op.batch_alter_table("read_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_read_audit_resident_at")
        batch_op.drop_index(batch_op.f("ix_read_audit_at"))

    op.drop_table("read_audit")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failed_at"))

    op.drop_table("login_failures")
