"""`jaring reference load`: regions from the idn-area-data package, then the operator's
statistics and boundaries.

The four region files are checked completely before anything is written (well-formed
codes, a parent for every child, no duplicates), then replace the `regions` table in one
transaction. Loading the same files again changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from jaring.kit import config
from jaring.kit.db import store, transaction
from jaring.kit.errors import BadInput, JaringError
from jaring.reference import codes, stats
from jaring.reference.model import reference_loads, region_boundaries, region_stats, regions
from jaring.reference.stats import ImportResult, Progress


@dataclass(frozen=True)
class AreaFile:
    name: str
    level: str
    parent_column: str | None


TYPES = ("kab", "kota", "desa", "kelurahan", "desa_adat")
AREA_FILES = (
    AreaFile("provinces.csv", "province", None),
    AreaFile("regencies.csv", "regency", "province_code"),
    AreaFile("districts.csv", "district", "regency_code"),
    AreaFile("villages.csv", "village", "district_code"),
)


@dataclass
class RegionsResult:
    status: str  # loaded | unchanged
    edition: str
    sha256: str
    source: str
    counts: dict[str, int]  # per level
    types: dict[str, int]  # kab, kota, desa, kelurahan, desa_adat

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "edition": self.edition,
            "sha256": self.sha256,
            "source": self.source,
            "counts": self.counts,
            "types": self.types,
        }


@dataclass
class LoadResult:
    regions: RegionsResult
    stats: ImportResult | None = None
    boundaries: ImportResult | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "regions": self.regions.to_json(),
            "stats": self.stats.to_json() if self.stats else None,
            "boundaries": self.boundaries.to_json() if self.boundaries else None,
        }


def edition_of(folder: Path) -> str:
    """`idn-area-data 4.0.1` from the package.json beside the data folder, when it is there."""
    manifest = folder.parent / "package.json"
    try:
        package = json.loads(manifest.read_text(encoding="utf-8"))
        return f"{package.get('name', 'idn-area-data')} {package['version']}"[:60]
    except (OSError, ValueError, KeyError, TypeError):
        return "idn-area-data (version unknown)"


def _paths(folder: Path) -> list[Path]:
    paths = [folder / spec.name for spec in AREA_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise JaringError(
            f"region files not found in {folder}: {', '.join(missing)}; set JARING_AREA_DATA to the "
            "'data' folder of the idn-area-data package, or run 'make install' to get it"
        )
    return paths


def files_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"\0{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def read_regions(folder: Path, edition: str, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every region of the four files as table rows; BadInput naming file and line on a fault."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, dict[str, int]] = {}  # level → code → line
    for index, spec in enumerate(AREA_FILES):
        if progress:
            progress("checking", index, len(AREA_FILES))
        path = folder / spec.name
        parents = seen.get(_level_above(spec.level), {})
        same_level: dict[str, int] = {}
        seen[spec.level] = same_level
        for line, code, parent, name in _csv_rows(path, spec):
            row = _region_row(f"{path} line {line}", code, parent, name, spec, parents, same_level)
            row["edition"] = edition
            same_level[row["code"]] = line
            rows.append(row)
    if progress:
        progress("checking", len(AREA_FILES), len(AREA_FILES))
    return rows


def _level_above(level: str) -> str:
    order = list(codes.LENGTH_BY_LEVEL)
    index = order.index(level)
    return order[index - 1] if index else ""


def _csv_rows(path: Path, spec: AreaFile) -> Iterator[tuple[int, str, str, str]]:
    """(line, code, parent code or '', name) per data row."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        required = ["code", "name", *([spec.parent_column] if spec.parent_column else [])]
        absent = [column for column in required if column not in header]
        if absent:
            raise BadInput(f"{path} line 1: missing column(s) {', '.join(absent)}; found {','.join(header)}")
        at_code, at_name = header.index("code"), header.index("name")
        at_parent = header.index(spec.parent_column) if spec.parent_column else None
        for cells in reader:
            if len(cells) < len(header):
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line, e.g. at the end of the file
                raise BadInput(f"{path} line {reader.line_num}: {len(cells)} fields, expected {len(header)}")
            parent = cells[at_parent] if at_parent is not None else ""
            yield reader.line_num, cells[at_code], parent, cells[at_name]


def _region_row(
    where: str,
    raw_code: str,
    raw_parent: str,
    raw_name: str,
    spec: AreaFile,
    parents: dict[str, int],
    same_level: dict[str, int],
) -> dict[str, Any]:
    code = _code(where, raw_code, spec.level)
    if code in same_level:
        raise BadInput(f"{where}: code {codes.dotted(code)} appears twice (first on line {same_level[code]})")
    parent = None
    if spec.parent_column:
        parent = code[: codes.LENGTH_BY_LEVEL[_level_above(spec.level)]]
        given = _code(where, raw_parent, _level_above(spec.level), spec.parent_column)
        if given != parent:
            raise BadInput(
                f"{where}: {spec.parent_column} {codes.dotted(given)} does not match code "
                f"{codes.dotted(code)} (expected {codes.dotted(parent)})"
            )
        if given not in parents:
            raise BadInput(
                f"{where}: parent {_level_above(spec.level)} {codes.dotted(given)} of "
                f"{codes.dotted(code)} does not exist"
            )
    name = " ".join(raw_name.split())
    if not name:
        raise BadInput(f"{where}: region {codes.dotted(code)} has no name")
    return {
        "code": code,
        "level": spec.level,
        "parent_code": parent,
        "province_code": code[:2],
        "name": name[:200],
        "name_key": name.casefold()[:200],
        "type": _type(where, code, spec.level),
    }


def _type(where: str, code: str, level: str) -> str | None:
    try:
        if level == "regency":
            return codes.regency_type(code)
        if level == "village":
            return codes.village_type(code)
    except BadInput as exc:
        raise BadInput(f"{where}: {exc}") from None
    return None


def _code(where: str, raw: str, level: str, column: str = "code") -> str:
    try:
        code = codes.undotted(raw)
    except BadInput as exc:
        raise BadInput(f"{where}, column {column}: {exc}") from None
    if codes.LEVEL_BY_LENGTH[len(code)] != level:
        raise BadInput(f"{where}, column {column}: {raw!r} is not a {level} code")
    return code


def _unchanged(connection: Connection, digest: str) -> dict[str, Any] | None:
    last = stats.latest_load(connection, "regions")
    if last is None or last["sha256"] != digest:
        return None
    present = connection.execute(select(func.count()).select_from(regions)).scalar_one()
    return last if present == last["rows"] else None


def load_regions(
    url: str | None = None, *, area_dir: Path | None = None, progress: Progress | None = None
) -> RegionsResult:
    """Replace the regions with the idn-area-data files, unless those were loaded already."""
    folder = area_dir or config.area_data_dir()
    paths = _paths(folder)
    digest = files_digest(paths)
    edition = edition_of(folder)
    with store(url).connect() as connection:
        last = _unchanged(connection, digest)
    if last is not None:
        detail = last["detail"]
        return RegionsResult(
            "unchanged", detail["edition"], digest, str(folder), detail["counts"], detail["types"]
        )
    rows = read_regions(folder, edition, progress)
    by_level = Counter(row["level"] for row in rows)
    by_type = Counter(row["type"] for row in rows)
    counts = {level: by_level[level] for level in codes.LENGTH_BY_LEVEL}
    types = {kind: by_type[kind] for kind in TYPES}
    with transaction(url) as connection:
        connection.execute(regions.delete())
        stats.bulk_insert(connection, regions, rows, "regions", progress)
        connection.execute(
            reference_loads.insert().values(
                kind="regions",
                source=str(folder)[:300],
                sha256=digest,
                rows=len(rows),
                loaded_at=datetime.now(UTC),
                detail={
                    "edition": edition,
                    "counts": counts,
                    "types": types,
                    "files": [p.name for p in paths],
                },
            )
        )
    stats.clear_caches()
    return RegionsResult("loaded", edition, digest, str(folder), counts, types)


def load_all(
    url: str | None = None,
    *,
    area_dir: Path | None = None,
    reference_dir: Path | None = None,
    with_stats: bool = True,
    progress: Progress | None = None,
) -> LoadResult:
    """Regions, then (unless `with_stats` is off) statistics and boundaries; each one unit of work."""
    result = LoadResult(load_regions(url, area_dir=area_dir, progress=progress))
    if with_stats:
        result.stats = stats.import_stats(url, reference_dir=reference_dir, progress=progress)
        result.boundaries = stats.import_boundaries(url, reference_dir=reference_dir, progress=progress)
    return result


KINDS = ("regions", "stats", "boundaries")


@dataclass
class Status:
    counts: dict[str, int]
    loads: dict[str, dict[str, Any]]  # kind → latest load
    indicators: list[tuple[str, str, int]]  # (indicator, period, regions)
    boundaries: dict[str, int]  # level → features

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "loads": {
                kind: {**load, "loaded_at": load["loaded_at"].isoformat()}
                for kind, load in self.loads.items()
            },
            "indicators": [{"indicator": i, "period": p, "regions": n} for i, p, n in self.indicators],
            "boundaries": self.boundaries,
        }


def status(url: str | None = None) -> Status:
    """What is loaded now: region counts, the latest load of each kind, indicators, boundaries."""
    with store(url).connect() as connection:
        counts = _counts(connection, regions.c.level)
        loads = {kind: load for kind in KINDS if (load := _load(connection, kind))}
        indicators = [
            (str(row[0]), str(row[1]), int(row[2]))
            for row in connection.execute(
                select(region_stats.c.indicator, region_stats.c.period, func.count())
                .group_by(region_stats.c.indicator, region_stats.c.period)
                .order_by(region_stats.c.indicator, region_stats.c.period)
            )
        ]
        boundaries = _counts(connection, region_boundaries.c.level)
    return Status(
        {level: counts.get(level, 0) for level in codes.LENGTH_BY_LEVEL}, loads, indicators, boundaries
    )


def _counts(connection: Connection, column: Any) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    return {str(row[0]): int(row[1]) for row in connection.execute(query)}


def _load(connection: Connection, kind: str) -> dict[str, Any] | None:
    last = stats.latest_load(connection, kind)
    if last is None:
        return None
    loaded_at = last["loaded_at"]
    if loaded_at.tzinfo is None:  # SQLite keeps no zone; we always write UTC
        last["loaded_at"] = loaded_at.replace(tzinfo=UTC)
    return last
