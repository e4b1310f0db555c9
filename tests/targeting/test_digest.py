"""The ranked-list digest identifies the blind indexes in rank order, however the file was written."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jaring.targeting.service import ranked_digest

INDEXES = [bytes([i]) * 16 for i in range(1, 6)]


def _write(
    path: Path, indexes: list[bytes], kind: pa.DataType | None = None, chunk: int | None = None
) -> Path:
    table = pa.table(
        {
            "rank": pa.array(range(1, len(indexes) + 1), pa.int64()),
            "nik_index": pa.array(indexes, kind or pa.binary()),
        }
    )
    pq.write_table(table, path, row_group_size=chunk)
    return path


def test_the_order_and_the_indexes_decide_not_the_file_layout(tmp_path: Path):
    plain = ranked_digest(_write(tmp_path / "a.parquet", INDEXES))
    assert ranked_digest(_write(tmp_path / "b.parquet", INDEXES, pa.binary(16), chunk=2)) == plain
    swapped = [INDEXES[1], INDEXES[0], *INDEXES[2:]]
    assert ranked_digest(_write(tmp_path / "c.parquet", swapped)) != plain
    other = [*INDEXES[:4], bytes([9]) * 16]
    assert ranked_digest(_write(tmp_path / "d.parquet", other)) != plain


def test_a_list_that_is_not_ranked_1_to_n_is_refused(tmp_path: Path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"rank": [1, 3], "nik_index": pa.array(INDEXES[:2], pa.binary())}), path)
    with pytest.raises(RuntimeError, match="ranks"):
        ranked_digest(path)
