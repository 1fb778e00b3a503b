"""dedup ids per home: received(home, edge, seq)

Revision ID: 0003
Revises: 0002
Created: 2026-12-05

The hub dedups on ``(home, edge, seq)``, the home being the topic's (which the broker's ACL
vouches for), not on the ``(edge, seq)`` a payload claims: with the old key, one home's
account could make the hub drop another home's events as duplicates (issue 13). The ids
kept so far get the home of the event stored with them, else the edge's own name (an edge
is named after its home), so a replayed outbox is still recognised after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hub.schema import BigInt

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _received(name: str, *, with_home: bool) -> None:
    columns = [sa.Column("home", sa.String(length=64), nullable=False)] if with_home else []
    key = ("home", "edge", "seq") if with_home else ("edge", "seq")
    op.create_table(
        name,
        *columns,
        sa.Column("edge", sa.String(length=64), nullable=False),
        sa.Column("seq", BigInt, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=f"pk_{name}_{len(key)}"),
    )


def _swap(copy: str, *, with_home: bool) -> None:
    op.drop_index("ix_received_at", table_name="received")
    op.rename_table("received", "received_old")
    _received("received", with_home=with_home)
    op.create_index("ix_received_at", "received", ["at"], unique=False)
    op.execute(copy)
    op.drop_table("received_old")


def upgrade() -> None:
    _swap(
        "INSERT INTO received (home, edge, seq, at) "
        "SELECT COALESCE((SELECT e.home_id FROM events e WHERE e.edge = r.edge "
        "AND e.seq = r.seq LIMIT 1), r.edge), r.edge, r.seq, r.at FROM received_old r",
        with_home=True,
    )


def downgrade() -> None:
    _swap(
        "INSERT INTO received (edge, seq, at) "
        "SELECT edge, seq, MAX(at) FROM received_old GROUP BY edge, seq",
        with_home=False,
    )
