"""User accounts and their credentials (sessions and API bearer tokens)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
)

from jaring.kit.db import metadata

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("role", String(30), nullable=False),
    Column("region_code", String(10), nullable=True),
    Column("member_id", BigInteger, nullable=True),  # the member a "member" account belongs to
    Column("sponsor_id", Integer, nullable=True),  # the sponsor a finance officer works for
    Column("password_hash", String(200), nullable=False),  # argon2id, encoded with its parameters
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Only the SHA-256 of a token is stored, so a copy of the table grants nothing.
auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # session | bearer
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
