"""The BPU universe of a region, from the newest registry snapshot: the living persons whose
main job is informal (Regsosek employment status 1, 2, 6, 7 or 8), and of them those in desil 1-4
(the "pekerja rentan" Inpres 8/2025 targets).

Coverage is measured as BPU participants in JKK + JKM ÷ this universe (Kemnaker indicator
06.02.02.01.01, jamsostek-rules.md §9.2). Counted once per snapshot with DuckDB and kept beside
it, so a dashboard never scans the registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from jaring.registry.service import list_snapshots

INFORMAL = (1, 2, 6, 7, 8)
VULNERABLE_DESIL = 4
CACHE = "universe.json"


@dataclass
class Universe:
    snapshot_id: str
    snapshot_date: str
    informal: dict[str, int] = field(default_factory=dict)  # regency code → persons
    vulnerable: dict[str, int] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return (
            f"DTSEN snapshot {self.snapshot_id} ({self.snapshot_date}): living persons whose main job is "
            f"informal; vulnerable = desil 1-{VULNERABLE_DESIL}"
        )

    def total(self, prefix: str, vulnerable: bool = False) -> int:
        counts = self.vulnerable if vulnerable else self.informal
        return sum(n for code, n in counts.items() if code.startswith(prefix))


def _count(persons: Path) -> dict[str, Any]:
    statuses = ", ".join(str(s) for s in INFORMAL)
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT substr(village_code, 1, 4) AS regency, COUNT(*) AS informal, "
            f"COUNT(*) FILTER (WHERE desil <= {VULNERABLE_DESIL}) AS vulnerable "
            "FROM read_parquet(?) WHERE NOT deceased "
            f"AND employment_status IN ({statuses}) GROUP BY 1",
            [str(persons)],
        ).fetchall()
    finally:
        con.close()
    return {
        "informal": {r[0]: int(r[1]) for r in rows},
        "vulnerable": {r[0]: int(r[2]) for r in rows},
    }


def latest_universe(url: str | None = None) -> Universe | None:
    """The universe of the newest snapshot (None when no registry was imported)."""
    snapshots = sorted(list_snapshots(url), key=lambda s: (s.snapshot_date, s.snapshot_id))
    if not snapshots:
        return None
    newest = snapshots[-1]
    persons = Path(newest.path)
    cache = persons.parent / CACHE
    if cache.is_file():
        counts = json.loads(cache.read_text(encoding="utf-8"))
    else:
        counts = _count(persons)
        partial = cache.with_suffix(".partial")
        partial.write_text(json.dumps(counts), encoding="utf-8")
        partial.replace(cache)
    return Universe(
        newest.snapshot_id, newest.snapshot_date.isoformat(), counts["informal"], counts["vulnerable"]
    )
