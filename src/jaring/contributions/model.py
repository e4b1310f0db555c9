"""Billing, payments and the ledger they form.

Charges, payments and allocations are append-only (triggers refuse UPDATE and DELETE): a
correction is a new row (a reversal), so the history can always be replayed. Region codes are
copied onto charges and payments when they are written, so scope filters need no join into
another domain's tables.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from jaring.kit.db import metadata

APPEND_ONLY = ("charges", "invoices", "payments", "allocations", "billing_tariffs")

billing_runs = Table(
    "billing_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", Date, nullable=False, index=True),  # first day of the billed month
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("actor", String(100), nullable=False),
    Column("counts", JSON, nullable=True),
)

# The regulation engine's answer for each distinct combination billed in a run: the database
# then applies it to every member-month with that combination in one INSERT ... SELECT.
billing_tariffs = Table(
    "billing_tariffs",
    metadata,
    Column("run_id", Integer, ForeignKey("billing_runs.id"), primary_key=True),
    Column("tariff", Integer, primary_key=True),
    Column("month", Date, nullable=False),
    Column("income", BigInteger, nullable=False),
    Column("programs", SmallInteger, nullable=False),
    Column("sector", String(10), nullable=False),
    Column("funding", String(10), nullable=False),
    Column("jkk", BigInteger, nullable=False),
    Column("jkm", BigInteger, nullable=False),
    Column("jht", BigInteger, nullable=False),
    Column("jkk_relief", BigInteger, nullable=False),  # negative: the discount
    Column("jkm_relief", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("relief", SmallInteger, nullable=False),  # rules.formulas.codes.RELIEF_*
)

# One charge per member-month, owed by exactly one payer.
charges = Table(
    "charges",
    metadata,
    Column("member_id", BigInteger, primary_key=True),
    Column("month", Date, primary_key=True),
    Column("payer_kind", String(7), nullable=False),  # self | sponsor
    Column("sponsor_id", Integer, nullable=True),
    Column("invoice_id", Integer, nullable=True, index=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("jkk", BigInteger, nullable=False),
    Column("jkm", BigInteger, nullable=False),
    Column("jht", BigInteger, nullable=False),
    Column("jkk_relief", BigInteger, nullable=False),
    Column("jkm_relief", BigInteger, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("relief", SmallInteger, nullable=False),
    Column("run_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_charges_sponsor_month", "sponsor_id", "month"),
)

# A sponsor's invoice for one month; its total is the control total of its charges.
invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("number", String(40), nullable=False, unique=True),
    Column("sponsor_id", Integer, nullable=False),
    Column("period", Date, nullable=False),
    Column("region_code", String(10), nullable=False, index=True),  # the sponsor's region
    Column("members", Integer, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("run_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("sponsor_id", "period"),
)

payment_channels = Table(
    "payment_channels",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("secret_cipher", LargeBinary, nullable=False),  # HMAC key, sealed with the master key
    Column("active", SmallInteger, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(40), nullable=False),
    Column("idempotency_key", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),  # same key + other content is refused
    Column("kind", String(10), nullable=False),  # payment | reversal
    Column("reference", String(40), nullable=False),  # participant or invoice number
    Column("payer_kind", String(7), nullable=False),
    Column("member_id", BigInteger, nullable=True, index=True),
    Column("sponsor_id", Integer, nullable=True, index=True),
    Column("region_code", String(10), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),  # negative for a reversal
    Column("paid_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("bank_ref", String(60), nullable=True),
    Column("reverses_id", Integer, ForeignKey("payments.id"), nullable=True, unique=True),
    UniqueConstraint("channel", "idempotency_key"),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payment_id", Integer, ForeignKey("payments.id"), nullable=False, index=True),
    Column("member_id", BigInteger, nullable=False),
    Column("month", Date, nullable=False),
    Column("amount", BigInteger, nullable=False),  # negative when a reversal takes it back
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_allocations_member_month", "member_id", "month"),
)

# Derived, kept current in the transaction that allocates: the coverage engine's fast path.
member_accounts = Table(
    "member_accounts",
    metadata,
    Column("member_id", BigInteger, primary_key=True, autoincrement=False),
    Column("region_code", String(10), nullable=False, index=True),
    Column("first_paid_at", DateTime(timezone=True), nullable=True),
    Column("paid_through", Date, nullable=True),  # first day of the last month paid in full
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reconciliation_imports = Table(
    "reconciliation_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("file_name", String(300), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("counts", JSON, nullable=False),
)

# Every bank-statement line confirmed once: a later statement listing it again is a duplicate.
reconciled_lines = Table(
    "reconciled_lines",
    metadata,
    Column("channel", String(40), primary_key=True),
    Column("bank_ref", String(60), primary_key=True),
    Column("import_id", Integer, ForeignKey("reconciliation_imports.id"), nullable=False),
    Column("line", Integer, nullable=False),
    Column("payment_id", Integer, ForeignKey("payments.id"), nullable=False),
    Column("outcome", String(10), nullable=False),  # matched | posted
)

reconciliation_exceptions = Table(
    "reconciliation_exceptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("import_id", Integer, ForeignKey("reconciliation_imports.id"), nullable=False, index=True),
    Column("line", Integer, nullable=False),
    Column("kind", String(20), nullable=False),  # unknown_reference | amount_mismatch | duplicate
    Column("bank_ref", String(60), nullable=True),
    Column("reference", String(40), nullable=True),
    Column("amount", BigInteger, nullable=True),
    Column("detail", String(300), nullable=False),
    Column("region_code", String(10), nullable=True, index=True),
    Column("status", String(10), nullable=False),  # open | resolved
    Column("resolved_by", String(100), nullable=True),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolution", String(300), nullable=True),
    UniqueConstraint("import_id", "line"),
)
