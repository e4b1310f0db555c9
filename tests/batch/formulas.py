"""Vectorised formulas for map_batches tests: pure functions of one Arrow batch, importable by
Spark's Python workers (they run the driver's interpreter and sys.path)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SCHEMA = pa.schema([("nik_index", pa.binary(16)), ("monthly", pa.int64()), ("band", pa.int8())])


def monthly_contribution(batch: pa.RecordBatch) -> pa.RecordBatch:
    """1% of the income (integer Rupiah, rounded down) plus a flat Rp6.800; NULL income stays
    NULL. Band 1 for desil 1-4, 2 otherwise, 0 when unknown."""
    income = batch.column("income")
    missing = pc.is_null(income).to_numpy(zero_copy_only=False)
    rupiah = income.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    monthly = rupiah * 10 // 1000 + 6_800
    desil = batch.column("desil")
    known = pc.is_valid(desil).to_numpy(zero_copy_only=False)
    level = desil.fill_null(0).to_numpy(zero_copy_only=False)
    band = np.where(~known, 0, np.where(level <= 4, 1, 2)).astype(np.int8)
    return pa.RecordBatch.from_arrays(
        [batch.column("nik_index"), pa.array(monthly, type=pa.int64(), mask=missing), pa.array(band)],
        schema=SCHEMA,
    )


def expected(income: int | None, desil: int | None) -> tuple[int | None, int]:
    monthly = None if income is None else income * 10 // 1000 + 6_800
    band = 0 if desil is None else (1 if desil <= 4 else 2)
    return monthly, band


def boom(batch: pa.RecordBatch) -> pa.RecordBatch:
    raise ValueError("boom: the formula refused a batch")


def wrong_columns(batch: pa.RecordBatch) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([1] * batch.num_rows)], names=["other"])
