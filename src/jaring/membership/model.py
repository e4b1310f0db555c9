"""Members, their effective-dated terms (declared income and programs), and the sponsor of
record per month. A member-month with no sponsor assignment is paid by the member."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

from jaring.kit.db import metadata

# One row: the next participant serial, taken in blocks so bulk enrolment needs one update.
member_numbers = Table(
    "member_numbers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("next_serial", BigInteger, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),  # the participant serial
    Column("participant_number", String(11), nullable=False, unique=True),
    Column("nik_index", String(32), nullable=False, unique=True),  # blind index: one member per NIK
    Column("nik_cipher", LargeBinary(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(1), nullable=True),  # L | P
    Column("segment", String(3), nullable=False),  # bpu | pu | pmi
    Column("category", String(40), nullable=False),  # occupation or sponsored group
    Column("sector", String(10), nullable=False),  # other | transport (PP 50/2025 relief)
    Column("region_code", String(10), nullable=False, index=True),  # village (or regency) code
    Column("registered_on", Date, nullable=False),
    Column("channel", String(10), nullable=False),  # officer | self | bulk
    Column("batch_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Declared income level and programs, effective from the first day of a month, half-open.
member_terms = Table(
    "member_terms",
    metadata,
    Column("member_id", BigInteger, ForeignKey("members.id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("income", BigInteger, nullable=False),
    Column("programs", SmallInteger, nullable=False),  # bitmask, rules.formulas.codes
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The sponsor of record for months [from_month, to_month); months outside every row are self-paid.
payer_assignments = Table(
    "payer_assignments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_id", BigInteger, ForeignKey("members.id"), nullable=False, index=True),
    Column("sponsor_id", Integer, ForeignKey("sponsors.id"), nullable=False, index=True),
    Column("from_month", Date, nullable=False),
    Column("to_month", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
)

enrolment_batches = Table(
    "enrolment_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),  # SHA-256 of the input and its parameters
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("rows_in", Integer, nullable=False),
    Column("accepted", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("report", JSON, nullable=False),
    UniqueConstraint("key"),
)
