"""Targeting runs: frozen with everything needed to reproduce them. The ranked list itself
is a Parquet file under the data dir (it holds blind indexes, never a NIK)."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, DateTime, ForeignKey, Integer, String, Table

from jaring.kit.db import metadata

targeting_runs = Table(
    "targeting_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sponsor_id", ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("target_id", ForeignKey("sponsor_targets.id"), nullable=False),
    Column("snapshot_id", ForeignKey("registry_snapshots.id"), nullable=False),
    Column("region_code", String(10), nullable=False, index=True),  # the sponsor's, for scope
    Column("start_month", Date, nullable=False),  # ages and membership are judged here
    Column("engine", String(10), nullable=False),
    # The frozen inputs: rule, priority, package, scope, rules version, membership digest.
    Column("parameters", JSON, nullable=False),
    Column("in_scope", BigInteger, nullable=False),
    Column("eligible", BigInteger, nullable=False),
    Column("excluded", JSON, nullable=False),  # reason → count
    Column("output_sha256", String(64), nullable=False),
    Column("path", String(500), nullable=False),
    Column("seconds", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
)

# A budget scenario over a targeting run: what a budget buys, for how long, with what package.
budget_scenarios = Table(
    "budget_scenarios",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", ForeignKey("targeting_runs.id"), nullable=False, index=True),
    Column("sponsor_id", ForeignKey("sponsors.id"), nullable=False),
    Column("region_code", String(10), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("parameters", JSON, nullable=False),
    Column("results", JSON, nullable=False),
    Column("funded", BigInteger, nullable=False),
    Column("enrolment_batch_id", Integer, nullable=True),  # set once the funded list is enrolled
    # Persons taken from the waitlist since, to fill places funded members left.
    Column("backfilled", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
)
