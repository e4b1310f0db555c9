"""The next edition of a synthetic registry: the same people a quarter later, some gone,
some new, some moved, deceased or re-ranked. Feeds the snapshot diff in tests and benches,
where two independent registries would share nobody."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from jaring.kit.errors import BadInput


@dataclass(frozen=True)
class Evolution:
    """Shares of the old rows that change (each row gets at most one change)."""

    removed: float = 0.01
    deceased: float = 0.005
    moved: float = 0.01
    desil_up: float = 0.03
    desil_down: float = 0.03


EVOLVE_SQL = """
COPY (
    WITH old AS (SELECT *, hash(nik, $seed) % 1000000 / 1000000.0 AS u FROM read_parquet($old)),
    moved_to AS (
        SELECT village_code AS to_village, row_number() OVER (ORDER BY hash(village_code, $seed)) AS k
        FROM (SELECT DISTINCT village_code FROM old)
    ),
    numbered AS (SELECT *, 1 + hash(nik, $seed + 1) % (SELECT count(*) FROM moved_to) AS pick FROM old)
    SELECT
        nik, kk_number, name, sex, birth_date,
        CASE WHEN u >= $r1 AND u < $r2 THEN (SELECT to_village FROM moved_to WHERE k = pick)
             ELSE village_code END AS village_code,
        relationship, employment_status, occupation,
        CASE WHEN u >= $r2 AND u < $r3 AND desil NOT IN ('', '10')
                  THEN CAST(CAST(desil AS INT) + 1 AS VARCHAR)
             WHEN u >= $r3 AND u < $r4 AND desil NOT IN ('', '1')
                  THEN CAST(CAST(desil AS INT) - 1 AS VARCHAR)
             ELSE desil END AS desil,
        CASE WHEN u >= $r0 AND u < $r1 THEN '1' ELSE deceased END AS deceased,
        jamsostek
    FROM numbered
    WHERE u >= $removed
    UNION ALL
    SELECT nik, kk_number, name, sex, birth_date, village_code, relationship, employment_status,
           occupation, desil, deceased, jamsostek
    FROM read_parquet($extra)
) TO '{out}' (FORMAT parquet)
"""


def evolve(*, old: Path, extra: Path, out: Path, seed: int, changes: Evolution | None = None) -> None:
    """Write `out`: the rows of `old` with `changes` applied, plus every row of `extra` (new
    people: a generated file from another seed with `serial_offset=old.max_nik_serial`, so
    that no NIK is shared). Both inputs are Parquet."""
    for path in (old, extra):
        if not path.exists():
            raise BadInput(f"{path}: no such file")
    changes = changes or Evolution()
    removed = changes.removed
    r0 = removed
    r1 = r0 + changes.deceased
    r2 = r1 + changes.moved
    r3 = r2 + changes.desil_up
    r4 = r3 + changes.desil_down
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        shared = con.execute(
            "SELECT count(*) FROM read_parquet($extra) WHERE nik IN (SELECT nik FROM read_parquet($old))",
            {"old": str(old), "extra": str(extra)},
        ).fetchall()[0][0]
        if shared:
            raise BadInput(
                f"{extra} shares {shared} NIK(s) with {old}; generate it with serial_offset set to "
                "the old file's max_nik_serial"
            )
        con.execute(
            EVOLVE_SQL.format(out=str(out).replace("'", "''")),
            {
                "old": str(old),
                "extra": str(extra),
                "seed": seed,
                "removed": removed,
                "r0": r0,
                "r1": r1,
                "r2": r2,
                "r3": r3,
                "r4": r4,
            },
        )
    finally:
        con.close()
