"""Sponsors: whoever pays members' contributions from a budget (a province, a regency, a
village fund, a tobacco-excise fund, a company). Budgets, targets and packages come with the
sponsors' workflow; the core needs only who they are, where, and how they are funded."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table

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
