"""Steps 1 and 2: the reference regions, then a synthetic registry of a few provinces imported
as a snapshot, through the same services as `jaring reference load` and `jaring registry …`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from jaring.demo.plan import DEFAULT_PERSONS, JHT_SAVERS, PROVINCES, SELF_PAYERS, Loaded
from jaring.kit import config

Note = Callable[[str], None]
# The informal statuses of the extract (BPS): own-account, with unpaid help, casual, family.
INFORMAL = ("1", "2", "6", "7", "8")


def demo_dir() -> Path:
    return config.data_dir() / "demo"


def load_reference(note: Note) -> str:
    from jaring.reference.load import load_all

    note("wilayah administrasi (idn-area-data)")
    result = load_all()
    loaded = sum(result.regions.counts.values())
    extra = " + statistik dan peta" if result.stats is not None and result.boundaries is not None else ""
    return f"{loaded:,} wilayah ({result.regions.status}){extra}"


def load_registry(loaded: Loaded, note: Note) -> str:
    from jaring.registry.generate import generate
    from jaring.registry.service import import_snapshot

    folder = demo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    extract = folder / f"registry-{loaded.persons}-{loaded.seed}.parquet"
    note(f"membuat {loaded.persons:,} orang di provinsi {', '.join(PROVINCES)}")
    generate(
        persons=loaded.persons, seed=loaded.seed, out=extract, provinces=list(PROVINCES),
        snapshot_date=loaded.timeline.snapshot_date,
    )  # fmt: skip
    note("mengimpor snapshot")
    result = import_snapshot(path=extract, snapshot_date=loaded.timeline.snapshot_date)
    loaded.snapshot_id = result.snapshot_id
    loaded.extract = str(extract)
    return f"snapshot {result.snapshot_id}: {result.accepted:,} diterima, {result.rejected:,} ditolak"


def _scaled(n: int, persons: int) -> int:
    # At least 20: serials are consecutive, so 20 of them hold every habit (see habit_of).
    return max(20, n * persons // DEFAULT_PERSONS)


def self_payer_files(loaded: Loaded) -> tuple[Path, Path]:
    """Two NIK lists taken from the extract: informal workers of the middle desils (whom no
    sponsor's rule funds) across the provinces, and JHT savers in Jawa Timur. Chosen by a
    hash of the NIK with the seed, so a seed always picks the same people."""
    folder = demo_dir()
    source = f"read_parquet('{loaded.extract}')"
    base = (
        f"FROM {source} WHERE deceased = '0' AND employment_status IN {INFORMAL} "
        "AND desil IN ('6', '7', '8') AND birth_date BETWEEN '1971-01-01' AND '2004-12-31'"
    )
    order = f"ORDER BY hash(nik || '{loaded.seed}')"
    savers_n = _scaled(JHT_SAVERS, loaded.persons)
    payers_n = _scaled(SELF_PAYERS, loaded.persons)
    savers, payers = folder / "jht-savers.csv", folder / "self-payers.csv"
    con = duckdb.connect()
    try:
        con.sql(
            f"COPY (SELECT nik {base} AND village_code LIKE '35%' {order} LIMIT {savers_n}) "
            f"TO '{savers}' (HEADER)"
        )
        con.sql(
            f"COPY (SELECT nik {base} AND village_code NOT LIKE '35%' {order} LIMIT {payers_n}) "
            f"TO '{payers}' (HEADER)"
        )
    finally:
        con.close()
    return payers, savers
