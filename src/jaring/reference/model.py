"""Reference tables. Regions are public administrative data, so they are not region-scoped."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Integer, String, Table, Text

from jaring.kit.db import metadata

LEVELS = ("province", "regency", "district", "village")

regions = Table(
    "regions",
    metadata,
    Column("code", String(10), primary_key=True),  # undotted Kemendagri code
    Column("level", String(8), nullable=False),
    Column("parent_code", String(10), index=True),
    Column("province_code", String(2), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),  # casefolded, for lookup
    Column("type", String(10)),  # kab | kota | desa | kelurahan | desa_adat
    Column("edition", String(60), nullable=False),
)

# Statistics are measurements (percentages, km²), not money: floats are right here.
region_stats = Table(
    "region_stats",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("indicator", String(60), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("value", Float, nullable=False),
    Column("source", String(200), nullable=False),
)

region_boundaries = Table(
    "region_boundaries",
    metadata,
    Column("code", String(10), primary_key=True),
    Column("level", String(8), nullable=False),
    Column("geometry", Text, nullable=False),  # GeoJSON geometry object
    Column("source", String(200), nullable=False),
)

reference_loads = Table(
    "reference_loads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # regions | stats | boundaries
    Column("source", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("detail", JSON, nullable=False),
)
