"""Registry use cases: import a snapshot, list and find snapshots."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jaring.kit import config, db, protect
from jaring.kit.errors import BadInput, NotFound
from jaring.registry import importer
from jaring.registry.model import registry_snapshots


@dataclass(frozen=True)
class ImportResult:
    snapshot_id: str
    snapshot_date: date
    rows_in: int
    accepted: int
    rejected: int
    by_reason: dict[str, int]
    warnings: dict[str, int]
    already_imported: bool
    path: str
    rejects_path: str
    extra_columns: tuple[str, ...] = ()
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    imported_at: datetime | None = None  # when the catalogue recorded it (None: not yet)

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "snapshot_date": self.snapshot_date.isoformat(),
            "rows_in": self.rows_in,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "by_reason": self.by_reason,
            "warnings": self.warnings,
            "already_imported": self.already_imported,
            "rejects_path": self.rejects_path,
            "ignored_columns": list(self.extra_columns),
        }


def registry_dir() -> Path:
    return config.data_dir() / "registry"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


class _Hasher(threading.Thread):
    """Hashes the file while DuckDB reads it (hashlib releases the GIL on large buffers)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.digest = ""

    def run(self) -> None:
        self.digest = file_sha256(self.path)


def _row_to_result(row: Any, already: bool) -> ImportResult:
    return ImportResult(
        snapshot_id=row.id,
        snapshot_date=row.snapshot_date,
        rows_in=row.rows_in,
        accepted=row.accepted,
        rejected=row.rejected,
        by_reason=dict(row.by_reason),
        warnings=dict(row.warnings),
        already_imported=already,
        path=row.path,
        rejects_path=row.rejects_path,
        imported_at=row.imported_at,
    )


def find_by_digest(digest: str, url: str | None = None) -> ImportResult | None:
    with db.transaction(url) as conn:
        row = conn.execute(
            select(registry_snapshots).where(registry_snapshots.c.source_sha256 == digest)
        ).first()
    return _row_to_result(row, already=True) if row else None


def _default_known(url: str | None) -> importer.KnownCodes:
    from jaring.reference.stats import known_codes

    return known_codes(url)


def import_snapshot(
    *,
    path: Path,
    snapshot_date: date,
    url: str | None = None,
    known: importer.KnownCodes | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one extract as a snapshot. Repeating it with the same file changes nothing."""
    started = time.perf_counter()
    source = importer.inspect_source(path)
    if snapshot_date > date.today():
        raise BadInput(f"snapshot date {snapshot_date.isoformat()} is in the future")
    hasher = _Hasher(path)
    hasher.start()
    # The hash decides the no-op; a small file is hashed before any work is done.
    if path.stat().st_size < 64 << 20:
        hasher.join()
        existing = find_by_digest(hasher.digest, url)
        if existing:
            return existing
    keys = protect.keys()
    work = registry_dir() / "work" / f"import-{os.getpid()}-{time.time_ns()}"
    work.mkdir(parents=True, mode=0o700)
    try:
        outputs = importer.Outputs(persons=work / "persons.parquet", rejects=work / "rejects.csv", work=work)
        tally = importer.validate_file(
            source,
            snapshot_date=snapshot_date,
            known=known or _default_known(url),
            outputs=outputs,
            progress=progress,
        )
        hasher.join()
        existing = find_by_digest(hasher.digest, url)
        if existing:
            return existing
        if tally.rows_in == 0:
            raise BadInput(f"{path}: the file has a header but no rows")
        if tally.rows_in != tally.accepted + tally.rejected:  # an invariant, not user input
            raise AssertionError(f"row accounting broken: {tally}")
        snapshot_id = f"{snapshot_date.isoformat()}-{hasher.digest[:8]}"
        final = registry_dir() / "snapshots" / snapshot_id
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        for scratch in work.glob("rejects*.parquet"):
            scratch.unlink()
        os.chmod(outputs.persons, 0o600)
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
        result = ImportResult(
            snapshot_id=snapshot_id,
            snapshot_date=snapshot_date,
            rows_in=tally.rows_in,
            accepted=tally.accepted,
            rejected=tally.rejected,
            by_reason=dict(sorted(tally.by_reason.items(), key=lambda kv: (-kv[1], kv[0]))),
            warnings=dict(sorted(tally.warnings.items(), key=lambda kv: (-kv[1], kv[0]))),
            already_imported=False,
            path=str(final / "persons.parquet"),
            rejects_path=str(final / "rejects.csv"),
            extra_columns=source.extra_columns,
            seconds=time.perf_counter() - started,
        )
        (final / "report.json").write_text(json.dumps(result.to_json(), indent=2), encoding="utf-8")
        try:
            _catalogue(result, source, hasher.digest, keys.key_id, url)
        except IntegrityError:
            # Another import of the same file won the race: theirs stands, ours goes.
            shutil.rmtree(final, ignore_errors=True)
            winner = find_by_digest(hasher.digest, url)
            if winner is None:
                raise
            return winner
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _catalogue(
    result: ImportResult, source: importer.SourceFile, digest: str, key_id: str, url: str | None
) -> None:
    with db.transaction(url) as conn:
        conn.execute(
            registry_snapshots.insert().values(
                id=result.snapshot_id,
                snapshot_date=result.snapshot_date,
                source_name=source.path.name,
                source_sha256=digest,
                source_format=source.format if not source.compression else f"{source.format}.gz",
                rows_in=result.rows_in,
                accepted=result.accepted,
                rejected=result.rejected,
                by_reason=result.by_reason,
                warnings=result.warnings,
                path=result.path,
                rejects_path=result.rejects_path,
                key_id=key_id,
                imported_at=datetime.now(UTC),
            )
        )


def list_snapshots(url: str | None = None) -> list[ImportResult]:
    with db.transaction(url) as conn:
        rows = conn.execute(
            select(registry_snapshots).order_by(registry_snapshots.c.snapshot_date, registry_snapshots.c.id)
        ).all()
    return [_row_to_result(row, already=True) for row in rows]


def get_snapshot(reference: str, url: str | None = None) -> ImportResult:
    """A snapshot by id, by a unique id prefix, or by its date when only one has that date."""
    matches = [
        s
        for s in list_snapshots(url)
        if s.snapshot_id == reference
        or s.snapshot_id.startswith(reference)
        or s.snapshot_date.isoformat() == reference
    ]
    exact = [s for s in matches if s.snapshot_id == reference]
    if exact:
        return exact[0]
    if not matches:
        raise NotFound(f"no snapshot {reference!r}; see 'jaring registry list'")
    if len(matches) > 1:
        ids = ", ".join(s.snapshot_id for s in matches)
        raise BadInput(f"{reference!r} matches several snapshots ({ids}); give the full id")
    return matches[0]


def check_snapshot_key(persons: Path) -> None:
    """Blind indexes match only under the key the snapshot was protected with."""
    parquet = pq.ParquetFile(persons)
    if parquet.metadata.num_rows == 0:
        return
    first = parquet.read_row_group(0, columns=["nik_index", "nik_cipher"]).slice(0, 1).to_pylist()[0]
    try:
        protect.decrypt(first["nik_index"].hex(), first["nik_cipher"])
    except protect.ProtectionError:
        raise BadInput(
            "the snapshot was protected with another key than the one in use, so its NIKs cannot be matched"
        ) from None
