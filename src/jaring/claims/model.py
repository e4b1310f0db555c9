"""Claims: stage-I accident reports, claims with their workflow, documents received, and
payouts.

A claim carries the region code of its member, copied when it is filed, so scope filters need
no join into membership's tables. Payouts are append-only (triggers refuse UPDATE and DELETE)
and unique per claim and part: a benefit is paid at most once, whatever is retried.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from jaring.kit.db import metadata

APPEND_ONLY = ("claim_payouts",)

# The stage-I report of a work accident or occupational disease (PP 44/2015 Art. 43-44), or a
# notification of a suspected one by someone else (PP 49/2023 Art. 43A-44A).
accident_reports = Table(
    "accident_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", BigInteger, ForeignKey("members.id"), nullable=False, index=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("accident_at", DateTime(timezone=True), nullable=False),
    Column("reported_at", DateTime(timezone=True), nullable=False),
    Column("reporter", String(10), nullable=False),  # member | family | employer | other
    Column("kind", String(10), nullable=False),  # accident | disease
    Column("late", SmallInteger, nullable=False),  # reported after the deadline in force
    Column("created_by", String(100), nullable=False),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", BigInteger, ForeignKey("members.id"), nullable=False, index=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("program", String(4), nullable=False),  # jkk | jkm | jht | jkp | pmi
    Column("kind", String(20), nullable=False),
    Column("event_date", Date, nullable=False),
    Column("report_id", Integer, ForeignKey("accident_reports.id"), nullable=True),
    # One claim per event: the key of the event it claims for (see claims.kinds.event_key). A
    # refused duplicate keeps no key and names the first claim in `duplicate_of`.
    Column("event_key", String(120), nullable=True, unique=True),
    Column("duplicate_of", Integer, ForeignKey("claims.id"), nullable=True),
    Column("status", String(20), nullable=False, index=True),
    Column("details", JSON, nullable=False),  # what the claim type needs (amounts, reason ...)
    Column("claimant", JSON, nullable=True),  # {relationship, name}: personal, never audited
    Column("heirs", JSON, nullable=True),  # relationships of the known heirs
    Column("assessment", JSON, nullable=False),  # coverage on the event date, months, notes
    Column("calculation", JSON, nullable=True),  # lines with legal references, as decided
    Column("amount_total", BigInteger, nullable=False),
    Column("amount_now", BigInteger, nullable=False),  # payable before arrears are settled
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("documents_complete_at", DateTime(timezone=True), nullable=True),
    Column("due_on", Date, nullable=True),  # the payout deadline, in working days
    Column("verified_at", DateTime(timezone=True), nullable=True),
    Column("verified_by", String(100), nullable=True),
    Column("approved_at", DateTime(timezone=True), nullable=True),
    Column("approved_by", String(100), nullable=True),
    Column("rejected_at", DateTime(timezone=True), nullable=True),
    Column("rejected_by", String(100), nullable=True),
    Column("reject_code", String(30), nullable=True),
    Column("reject_reason", String(500), nullable=True),
)

claim_documents = Table(
    "claim_documents",
    metadata,
    Column("claim_id", Integer, ForeignKey("claims.id"), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received_by", String(100), nullable=False),
)

# Money paid out on a claim: `now` is what is payable at once, `rest` what waited for the
# arrears to be paid (PP 44/2015 Art. 39(1), 42(1)). Compensation for a late payout is its own
# column so the benefit itself always equals the decided amount.
claim_payouts = Table(
    "claim_payouts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("claim_id", Integer, ForeignKey("claims.id"), nullable=False, index=True),
    Column("part", String(4), nullable=False),  # now | rest
    Column("program", String(4), nullable=False),
    Column("region_code", String(10), nullable=False, index=True),
    Column("benefit", BigInteger, nullable=False),
    Column("late_days", Integer, nullable=False),
    Column("compensation", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),  # benefit + compensation
    Column("paid_on", Date, nullable=False),
    Column("transfer_ref", String(60), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("recorded_by", String(100), nullable=False),
    UniqueConstraint("claim_id", "part"),
)
