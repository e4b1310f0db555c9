"""Sponsors: whoever pays members' contributions from a budget (a province, a regency, a
village fund, a tobacco-excise fund, a company). Budgets, targets and packages come with the
sponsors' workflow; the core needs only who they are, where, and how they are funded."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from jaring.kit.db import metadata

SPONSOR_KINDS = ("province", "regency", "village", "dbh_cht", "csr", "other")

sponsors = Table(
    "sponsors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("region_code", String(10), nullable=False, index=True),  # whose officers see it
    # The rules' funding source: "apbd"/"apbn" members get no PP 50/2025 relief; "self" is any
    # other source (a company's CSR), which the regulation does not exclude.
    Column("funding", String(10), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A fiscal-year budget line. The APBD is revised mid-year (APBD-P): a revision is a new row
# with stage "apbd_p" for the same year, and the latest stage is the year's allocation.
BUDGET_STAGES = ("apbd", "apbd_p", "other")

sponsor_budgets = Table(
    "sponsor_budgets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("fiscal_year", Integer, nullable=False),
    Column("stage", String(10), nullable=False),
    Column("amount", BigInteger, nullable=False),  # Rupiah
    # The months the budget pays for, half-open [from_month, to_month).
    Column("from_month", Date, nullable=False),
    Column("to_month", Date, nullable=False),
    Column("document", String(200), nullable=False),  # e.g. the DPA number
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("sponsor_id", "fiscal_year", "stage"),
)

# Who a sponsor targets and what it buys, versioned: a targeting run names the version it
# used, so an old run can be reproduced after the sponsor changed its mind.
sponsor_targets = Table(
    "sponsor_targets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("scope", JSON, nullable=False),  # region codes (prefixes) where its people live
    Column("rule", JSON, nullable=False),
    Column("priority", JSON, nullable=False),
    Column("package", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    UniqueConstraint("sponsor_id", "version"),
)

# An officer's decision for a member whose sponsored funding ends: renew (the same sponsor
# pays on), hand over (another sponsor pays on) or self-pay (the member is told and pays).
TRANSITIONS = ("renew", "handover", "self_pay")

transition_plans = Table(
    "transition_plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("member_id", BigInteger, nullable=False),
    Column("ends_on", Date, nullable=False),  # the first month the sponsor no longer pays
    Column("action", String(10), nullable=False),
    Column("to_sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=True),
    Column("months", Integer, nullable=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(100), nullable=False),
    UniqueConstraint("member_id", "ends_on"),
)

# A sponsored member flagged by a registry diff, kept for an officer's decision: coverage
# continues until the end of the funded period unless the officer decides otherwise.
DRIFTS = ("deceased", "left_registry", "moved_out_of_scope", "desil_above_cutoff")
DRIFT_DECISIONS = ("keep", "end_now")

drift_reviews = Table(
    "drift_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("diff_id", String(80), ForeignKey("registry_diffs.id"), nullable=False),
    Column("sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("member_id", BigInteger, nullable=False),
    Column("change", String(20), nullable=False),
    Column("details", JSON, nullable=False),
    Column("funded_to", Date, nullable=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("decision", String(10), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(100), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("diff_id", "sponsor_id", "member_id", "change"),
)
