"""coverage roll-up: counts per regency kept by triggers that mark changed regencies

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, how a changed row names its regency) for the tables whose changes move the counts.
_SQLITE_SOURCES = {
    "members": "substr({row}.region_code, 1, 4)",
    "member_accounts": "substr({row}.region_code, 1, 4)",
    "payer_assignments": "(SELECT substr(region_code, 1, 4) FROM members WHERE id = {row}.member_id)",
}


def upgrade() -> None:
    op.create_table(
        "coverage_rollup",
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("region", sa.String(length=4), nullable=False),
        sa.Column("paid_through", sa.Date(), nullable=True),
        sa.Column("started", sa.SmallInteger(), nullable=False),
        sa.Column("sponsored", sa.SmallInteger(), nullable=False),
        sa.Column("members", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_coverage_rollup_level_region", "coverage_rollup", ["level", "region"], unique=False)
    op.create_table(
        "rollup_dirty",
        sa.Column("regency", sa.String(length=4), nullable=False),
        sa.PrimaryKeyConstraint("regency", name=op.f("pk_rollup_dirty")),
    )
    state = op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    op.bulk_insert(state, [{"id": 1, "month": None, "built_at": None}])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    # Row triggers: SQLite has no statement triggers. One tiny-table probe per changed row.
    for table, regency in _SQLITE_SOURCES.items():
        for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("OLD", "NEW")), ("DELETE", ("OLD",))):
            # NOT EXISTS, not INSERT OR IGNORE: an outer UPSERT's conflict handling would
            # override the trigger's OR IGNORE and fail on a regency already marked.
            marks = " ".join(
                f"INSERT INTO rollup_dirty (regency) SELECT r FROM (SELECT {regency.format(row=row)} AS r) "
                "WHERE r IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rollup_dirty WHERE regency = r);"
                for row in rows
            )
            op.execute(
                f"CREATE TRIGGER rollup_{table}_{event.lower()} AFTER {event} ON {table} "
                f"FOR EACH ROW BEGIN {marks} END"
            )


def _postgresql_triggers() -> None:
    # Statement triggers over transition tables: a bulk statement marks each regency once.
    for name, regency in (
        ("rollup_mark_new", "substr(region_code, 1, 4) FROM new_rows"),
        ("rollup_mark_old", "substr(region_code, 1, 4) FROM old_rows"),
        (
            "rollup_mark_payer_new",
            "substr(m.region_code, 1, 4) FROM new_rows r JOIN members m ON m.id = r.member_id",
        ),
        (
            "rollup_mark_payer_old",
            "substr(m.region_code, 1, 4) FROM old_rows r JOIN members m ON m.id = r.member_id",
        ),
    ):
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"INSERT INTO rollup_dirty (regency) SELECT DISTINCT {regency} "
            "ON CONFLICT DO NOTHING; RETURN NULL; END $$"
        )
    for table, new, old in (
        ("members", "rollup_mark_new", "rollup_mark_old"),
        ("member_accounts", "rollup_mark_new", "rollup_mark_old"),
        ("payer_assignments", "rollup_mark_payer_new", "rollup_mark_payer_old"),
    ):
        op.execute(
            f"CREATE TRIGGER rollup_{table}_insert AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {new}()"
        )
        # An update can move a member between regencies: both sides are marked.
        op.execute(
            f"CREATE TRIGGER rollup_{table}_update_new AFTER UPDATE ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {new}()"
        )
        op.execute(
            f"CREATE TRIGGER rollup_{table}_update_old AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {old}()"
        )
        op.execute(
            f"CREATE TRIGGER rollup_{table}_delete AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {old}()"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in _SQLITE_SOURCES:
        events = (
            ("insert", "update_new", "update_old", "delete") if postgresql else ("insert", "update", "delete")
        )
        for event in events:
            op.execute(
                f"DROP TRIGGER IF EXISTS rollup_{table}_{event}" + (f" ON {table}" if postgresql else "")
            )
    if postgresql:
        for name in ("rollup_mark_new", "rollup_mark_old", "rollup_mark_payer_new", "rollup_mark_payer_old"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table("rollup_state")
    op.drop_table("rollup_dirty")
    op.drop_index("ix_coverage_rollup_level_region", table_name="coverage_rollup")
    op.drop_table("coverage_rollup")
