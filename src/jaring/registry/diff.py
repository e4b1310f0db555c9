"""What changed for each person between two registry snapshots.

People are matched on the NIK blind index, so both snapshots must have been protected
with the same key. A person can have several changes at once (moved and desil down);
each is one row of the stored changes file. Counts are kept per regency: the new regency,
or the old one for people no longer in the registry.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
from sqlalchemy import select

from jaring.kit import db
from jaring.kit.errors import BadInput
from jaring.registry import service
from jaring.registry.importer import connect_batch
from jaring.registry.model import registry_diff_counts, registry_diffs, registry_snapshots

CHANGES = {
    "new": ("Baru", "New in the registry"),
    "removed": ("Keluar", "No longer in the registry"),
    "deceased": ("Meninggal", "Recorded as deceased"),
    "moved": ("Pindah wilayah", "Moved to another village"),
    "desil_up": ("Desil naik", "Desil went up (better off)"),
    "desil_down": ("Desil turun", "Desil went down (poorer)"),
}

CHANGES_SQL = """
WITH old AS (
    SELECT nik_index, village_code, regency_code, desil, deceased FROM read_parquet($old)
    WHERE nik_index >= $low AND ($high IS NULL OR nik_index < $high)
), new AS (
    SELECT nik_index, village_code, regency_code, desil, deceased FROM read_parquet($new)
    WHERE nik_index >= $low AND ($high IS NULL OR nik_index < $high)
), joined AS (
    SELECT
        coalesce(n.nik_index, o.nik_index) AS nik_index,
        o.nik_index IS NOT NULL AS in_old,
        n.nik_index IS NOT NULL AS in_new,
        o.village_code AS old_village_code,
        n.village_code AS new_village_code,
        coalesce(n.regency_code, o.regency_code) AS regency_code,
        o.desil AS old_desil,
        n.desil AS new_desil,
        coalesce(o.deceased, false) AS was_deceased,
        coalesce(n.deceased, false) AS is_deceased
    FROM old o FULL OUTER JOIN new n ON o.nik_index = n.nik_index
), changed AS (
    SELECT *, [
        CASE WHEN NOT in_old THEN 'new' END,
        CASE WHEN NOT in_new THEN 'removed' END,
        CASE WHEN in_old AND in_new AND is_deceased AND NOT was_deceased THEN 'deceased' END,
        CASE WHEN in_old AND in_new AND old_village_code <> new_village_code THEN 'moved' END,
        CASE WHEN in_old AND in_new AND new_desil > old_desil THEN 'desil_up' END,
        CASE WHEN in_old AND in_new AND new_desil < old_desil THEN 'desil_down' END
    ] AS candidates
    FROM joined
)
SELECT nik_index, change, regency_code, old_village_code, new_village_code, old_desil, new_desil
FROM (SELECT *, unnest(candidates) AS change FROM changed)
WHERE change IS NOT NULL
"""


@dataclass(frozen=True)
class DiffResult:
    diff_id: str
    old_snapshot_id: str
    new_snapshot_id: str
    counts: dict[str, int]
    by_region: dict[str, dict[str, int]]
    path: str
    already_computed: bool
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "diff_id": self.diff_id,
            "old": self.old_snapshot_id,
            "new": self.new_snapshot_id,
            "counts": self.counts,
            "by_region": self.by_region,
            "already_computed": self.already_computed,
        }


def _key_ids(ids: tuple[str, str], url: str | None) -> dict[str, str]:
    with db.transaction(url) as conn:
        rows = conn.execute(
            select(registry_snapshots.c.id, registry_snapshots.c.key_id).where(
                registry_snapshots.c.id.in_(ids)
            )
        ).all()
    return {row.id: row.key_id for row in rows}


def _stored(diff_id: str, url: str | None) -> DiffResult | None:
    with db.transaction(url) as conn:
        row = conn.execute(select(registry_diffs).where(registry_diffs.c.id == diff_id)).first()
        if row is None:
            return None
        counts = conn.execute(
            select(registry_diff_counts).where(registry_diff_counts.c.diff_id == diff_id)
        ).all()
    by_region: dict[str, dict[str, int]] = {}
    for item in counts:
        by_region.setdefault(item.regency_code, {})[item.change] = int(item._mapping["count"])
    return DiffResult(
        diff_id=row.id,
        old_snapshot_id=row.old_snapshot_id,
        new_snapshot_id=row.new_snapshot_id,
        counts=dict(row.counts),
        by_region=dict(sorted(by_region.items())),
        path=row.path,
        already_computed=True,
    )


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect_batch()
    try:
        yield con
    finally:
        con.close()


def diff_snapshots(*, old: str, new: str, url: str | None = None) -> DiffResult:
    """Compare two snapshots (ids, id prefixes or dates) and store the result once."""
    started = time.perf_counter()
    before, after = service.get_snapshot(old, url), service.get_snapshot(new, url)
    if before.snapshot_id == after.snapshot_id:
        raise BadInput("OLD and NEW are the same snapshot")
    if before.snapshot_date > after.snapshot_date:
        raise BadInput(
            f"OLD ({before.snapshot_id}) is dated after NEW ({after.snapshot_id}); "
            "give the older snapshot first"
        )
    diff_id = f"{before.snapshot_id}..{after.snapshot_id}"
    existing = _stored(diff_id, url)
    if existing:
        return existing
    keys = _key_ids((before.snapshot_id, after.snapshot_id), url)
    if keys.get(before.snapshot_id) != keys.get(after.snapshot_id):
        raise BadInput(
            "the two snapshots were protected with different keys, so their NIKs cannot be matched"
        )
    for snapshot in (before, after):
        if not Path(snapshot.path).exists():
            raise BadInput(f"the data file of snapshot {snapshot.snapshot_id} is missing: {snapshot.path}")
    folder = service.registry_dir() / "diffs" / diff_id
    work = folder.with_name(folder.name + f".work-{os.getpid()}")
    work.mkdir(parents=True, mode=0o700, exist_ok=True)
    try:
        changes = work / "changes.parquet"
        with _connection() as con:
            for number, (low, high) in enumerate(_slices(before.path, after.path)):
                params = {"old": before.path, "new": after.path, "low": low, "high": high}
                if number == 0:
                    con.execute(f"CREATE TEMP TABLE changes AS {CHANGES_SQL}", params)
                else:
                    con.execute(f"INSERT INTO changes {CHANGES_SQL}", params)
            con.execute(f"COPY changes TO '{_quote(changes)}' (FORMAT parquet, COMPRESSION zstd)")
            rows = con.sql(
                "SELECT coalesce(regency_code, '') AS regency_code, change, count(*) AS n "
                "FROM changes GROUP BY ALL ORDER BY ALL"
            ).fetchall()
        os.chmod(changes, 0o600)
        if folder.exists():
            shutil.rmtree(folder)
        work.rename(folder)
        counts = dict.fromkeys(CHANGES, 0)
        by_region: dict[str, dict[str, int]] = {}
        for regency, change, count in rows:
            counts[change] += int(count)
            by_region.setdefault(regency, {})[change] = int(count)
        result = DiffResult(
            diff_id=diff_id,
            old_snapshot_id=before.snapshot_id,
            new_snapshot_id=after.snapshot_id,
            counts=counts,
            by_region=by_region,
            path=str(folder / "changes.parquet"),
            already_computed=False,
            seconds=time.perf_counter() - started,
        )
        _save(result, url)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


PERSONS_PER_SLICE = 2_500_000


def _slices(*paths: str) -> list[tuple[bytes, bytes | None]]:
    """Ranges of the blind index that split the people into slices of at most about
    PERSONS_PER_SLICE, joined one at a time: the join's memory then stays the same however
    large the registry (blind indexes are uniformly spread, being AES outputs)."""
    most = max(pq.read_metadata(path).num_rows for path in paths)
    count = min(256, max(1, -(-most // PERSONS_PER_SLICE)))
    bounds = [bytes([256 * k // count]) for k in range(count)]
    return [(low, bounds[k + 1] if k + 1 < count else None) for k, low in enumerate(bounds)]


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def _save(result: DiffResult, url: str | None) -> None:
    with db.transaction(url) as conn:
        conn.execute(
            registry_diffs.insert().values(
                id=result.diff_id,
                old_snapshot_id=result.old_snapshot_id,
                new_snapshot_id=result.new_snapshot_id,
                counts=result.counts,
                path=result.path,
                created_at=datetime.now(UTC),
            )
        )
        rows = [
            {"diff_id": result.diff_id, "regency_code": regency, "change": change, "count": count}
            for regency, changes in result.by_region.items()
            for change, count in changes.items()
        ]
        if rows:
            conn.execute(registry_diff_counts.insert(), rows)


def stored_diff(old: str, new: str, url: str | None = None) -> DiffResult | None:
    """The diff of two snapshot ids if it was computed already (never computes one: a page
    that shows a diff must not start a scan of two registries)."""
    return _stored(f"{old}..{new}", url)
