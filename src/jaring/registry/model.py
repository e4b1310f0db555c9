"""The snapshot catalogue. The persons themselves live in Parquet files under the data dir;
the store keeps what was imported, when, from which file, and the control totals."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
)

from jaring.kit.db import metadata

registry_snapshots = Table(
    "registry_snapshots",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("snapshot_date", Date, nullable=False, index=True),
    Column("source_name", String(300), nullable=False),
    Column("source_sha256", String(64), nullable=False, unique=True),
    Column("source_format", String(10), nullable=False),
    Column("rows_in", BigInteger, nullable=False),
    Column("accepted", BigInteger, nullable=False),
    Column("rejected", BigInteger, nullable=False),
    Column("by_reason", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("path", String(500), nullable=False),
    Column("rejects_path", String(500), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

registry_diffs = Table(
    "registry_diffs",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("old_snapshot_id", ForeignKey("registry_snapshots.id"), nullable=False),
    Column("new_snapshot_id", ForeignKey("registry_snapshots.id"), nullable=False),
    Column("counts", JSON, nullable=False),
    Column("path", String(500), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("old_snapshot_id", "new_snapshot_id"),
)

# Counts per regency and change, queryable by the drift policy for sponsored members.
registry_diff_counts = Table(
    "registry_diff_counts",
    metadata,
    Column("diff_id", ForeignKey("registry_diffs.id", ondelete="CASCADE"), primary_key=True),
    Column("regency_code", String(4), primary_key=True),
    Column("change", String(20), primary_key=True),
    Column("count", BigInteger, nullable=False),
)
