"""Snapshot diff: each change category, counts per region, stored once, clear errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from jaring.kit.errors import BadInput, NotFound
from jaring.registry import diff
from jaring.registry.diff import diff_snapshots
from jaring.registry.evolve import Evolution, evolve
from jaring.registry.generate import generate
from jaring.registry.service import import_snapshot

from .test_import import GOOD, _unique, _write


def _snapshots(
    tmp_path: Path, old_rows: list[dict[str, str]], new_rows: list[dict[str, str]]
) -> tuple[str, str]:
    old = import_snapshot(path=_write(tmp_path / "old.csv", old_rows), snapshot_date=date(2026, 6, 30))
    new = import_snapshot(path=_write(tmp_path / "new.csv", new_rows), snapshot_date=date(2026, 9, 30))
    return old.snapshot_id, new.snapshot_id


def test_each_change_category(jaring_env: Path, tmp_path: Path) -> None:
    same, gone, dies, moves, up, down, both = (GOOD | _unique(i) for i in range(1, 8))
    born = GOOD | _unique(8)
    old_rows = [same, gone, dies, moves, up, down, both]
    new_rows = [
        same,
        dies | {"deceased": "1"},
        moves | {"village_code": "3201011001"},
        up | {"desil": "3"},
        down | {"desil": "1"},
        both | {"village_code": "3201011001", "desil": "1"},
        born,
    ]
    old_id, new_id = _snapshots(tmp_path, old_rows, new_rows)
    result = diff_snapshots(old=old_id, new=new_id)
    assert result.counts == {
        "new": 1,
        "removed": 1,
        "deceased": 1,
        "moved": 2,
        "desil_up": 1,
        "desil_down": 2,
    }
    assert result.by_region["3201"] == {"moved": 2, "desil_down": 1}
    assert result.by_region["3171"] == {"new": 1, "removed": 1, "deceased": 1, "desil_up": 1, "desil_down": 1}
    changes = pq.read_table(result.path)
    assert changes.num_rows == sum(result.counts.values())
    assert {len(index) for index in changes.column("nik_index").to_pylist()} == {16}


def test_diff_is_stored_once(jaring_env: Path, tmp_path: Path) -> None:
    old_id, new_id = _snapshots(tmp_path, [GOOD], [GOOD | {"desil": "5"}])
    first = diff_snapshots(old=old_id, new=new_id)
    again = diff_snapshots(old="2026-06-30", new="2026-09-30")
    assert (first.already_computed, again.already_computed) == (False, True)
    assert again.counts == first.counts
    assert again.by_region == first.by_region == {"3171": {"desil_up": 1}}


def test_evolve_refuses_shared_niks(tmp_path: Path) -> None:
    old = generate(persons=2_000, seed=21, out=tmp_path / "old.parquet")
    with pytest.raises(BadInput, match="shares"):
        evolve(old=old.path, extra=old.path, out=tmp_path / "new.parquet", seed=3)


def test_diff_errors(jaring_env: Path, tmp_path: Path) -> None:
    old_id, new_id = _snapshots(tmp_path, [GOOD], [GOOD | {"desil": "5"}])
    with pytest.raises(BadInput, match="older snapshot first"):
        diff_snapshots(old=new_id, new=old_id)
    with pytest.raises(BadInput, match="same snapshot"):
        diff_snapshots(old=old_id, new=old_id)
    with pytest.raises(NotFound, match="no snapshot"):
        diff_snapshots(old="1999-01-01", new=new_id)


@pytest.mark.parametrize("per_slice", [2_500_000, 7_000], ids=["one slice", "five slices"])
def test_generated_evolution_is_found_by_the_diff(
    jaring_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_slice: int
) -> None:
    monkeypatch.setattr(diff, "PERSONS_PER_SLICE", per_slice)
    old = generate(persons=30_000, seed=21, out=tmp_path / "old.parquet", snapshot_date=date(2026, 6, 30))
    extra = generate(
        persons=500,
        seed=22,
        out=tmp_path / "extra.parquet",
        snapshot_date=date(2026, 6, 30),
        serial_offset=old.max_nik_serial,
    )
    evolve(old=old.path, extra=extra.path, out=tmp_path / "new.parquet", seed=3, changes=Evolution())
    a = import_snapshot(path=old.path, snapshot_date=date(2026, 6, 30))
    b = import_snapshot(path=tmp_path / "new.parquet", snapshot_date=date(2026, 9, 30))
    result = diff_snapshots(old=a.snapshot_id, new=b.snapshot_id)
    # Independent count of the same facts straight from the two input files.
    con = duckdb.connect()
    expected = con.execute(
        """
        WITH o AS (SELECT * FROM read_parquet($o)), n AS (SELECT * FROM read_parquet($n))
        SELECT
          (SELECT count(*) FROM n WHERE nik NOT IN (SELECT nik FROM o)),
          (SELECT count(*) FROM o WHERE nik NOT IN (SELECT nik FROM n)),
          (SELECT count(*) FROM o JOIN n USING (nik) WHERE n.deceased = '1' AND o.deceased = '0'),
          (SELECT count(*) FROM o JOIN n USING (nik) WHERE o.village_code <> n.village_code),
          (SELECT count(*) FROM o JOIN n USING (nik) WHERE CAST(n.desil AS INT) > CAST(o.desil AS INT)),
          (SELECT count(*) FROM o JOIN n USING (nik) WHERE CAST(n.desil AS INT) < CAST(o.desil AS INT))
        """,
        {"o": str(old.path), "n": str(tmp_path / "new.parquet")},
    ).fetchall()[0]
    assert tuple(result.counts.values()) == expected
    assert all(count > 0 for count in expected)
