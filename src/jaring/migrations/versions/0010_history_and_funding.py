"""coverage history kept at each month's close, and sponsored members by sponsor and funding end

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage_history",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("region", sa.String(length=4), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.BigInteger(), nullable=False),
        sa.Column("arrears", sa.BigInteger(), nullable=False),
        sa.Column("lapsed", sa.BigInteger(), nullable=False),
        sa.Column("not_started", sa.BigInteger(), nullable=False),
        sa.Column("sponsored", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("level", "region", "month", name=op.f("pk_coverage_history")),
    )
    op.create_table(
        "funding_rollup",
        sa.Column("region", sa.String(length=4), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("members", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_funding_rollup_region", "funding_rollup", ["region"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_funding_rollup_region", table_name="funding_rollup")
    op.drop_table("funding_rollup")
    op.drop_table("coverage_history")
