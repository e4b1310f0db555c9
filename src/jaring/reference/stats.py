"""Official statistics and map boundaries per region, from files the operator provides.

The files live in `reference_dir()` (`stats/*.csv`, `geo/*.geojson`); none of them is
required. Each import is one transaction that makes the store mirror the files present,
and is skipped when the files (and the region codes they were checked against) are
unchanged since the last import.

Other domains read the results through `known_codes`, `population_weights`,
`poverty_rates`, `region_stats` and `boundary_collection`.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv
from sqlalchemy import Connection, Table, func, select

from jaring.kit import config
from jaring.kit.db import store, transaction
from jaring.kit.errors import BadInput
from jaring.reference import codes
from jaring.reference.model import reference_loads, region_boundaries, region_stats, regions

Progress = Callable[[str, int, int], None]
"""(what, done, total): how far an import is; the CLI turns it into a progress bar."""

BATCH = 5000
_EXAMPLES = 5

# Features that degrade (never fail) when a file is missing, named in the load summary.
FEATURE_WEIGHTS = "weights"  # regional weights and coverage rates
FEATURE_TARGETING = "targeting"  # poverty context for targeting
FEATURE_WELFARE = "welfare"  # welfare and labour-market profile of a province
FEATURE_BASELINE = "baseline"  # BPJS Ketenagakerjaan participants before Jaring
FEATURE_MAPS = "maps"  # choropleth maps; without them the map is a tile grid


# ---------------------------------------------------------------- known region codes


@dataclass(frozen=True)
class KnownCodes:
    """Every valid undotted code per level, and where the sets came from."""

    provinces: frozenset[str]
    regencies: frozenset[str]
    districts: frozenset[str]
    villages: frozenset[str]
    source: str  # "store" or "idn-area-data"
    fingerprint: str  # changes whenever the sets may have changed

    def at(self, level: str) -> frozenset[str]:
        return {
            "province": self.provinces,
            "regency": self.regencies,
            "district": self.districts,
            "village": self.villages,
        }[level]

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, str) or len(code) not in codes.LEVEL_BY_LENGTH:
            return False
        return code in self.at(codes.LEVEL_BY_LENGTH[len(code)])


_cache: dict[tuple[str, str], KnownCodes] = {}
_cache_lock = threading.Lock()


def clear_caches() -> None:
    """Forget cached code sets (a load does this itself; tests that swap data dirs call it)."""
    with _cache_lock:
        _cache.clear()


def latest_load(connection: Connection, kind: str) -> dict[str, Any] | None:
    row = (
        connection.execute(
            select(reference_loads)
            .where(reference_loads.c.kind == kind)
            .order_by(reference_loads.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def known_codes(url: str | None = None, *, area_dir: Path | None = None) -> KnownCodes:
    """Valid region codes: from the store once regions are loaded, else straight from the
    idn-area-data CSV files, so code checks (e.g. the region part of a NIK) work before any
    load. Cached per process; the cache key changes when a new load is recorded."""
    with store(url).connect() as connection:
        last = latest_load(connection, "regions")
    if last is not None:
        key = (url or config.database_url(), f"store:{last['sha256']}")
    else:
        key = ("", f"csv:{(area_dir or config.area_data_dir()).resolve()}")
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    found = _codes_from_store(url, key[1]) if last is not None else _codes_from_csv(area_dir, key[1])
    with _cache_lock:
        _cache[key] = found
    return found


def _codes_from_store(url: str | None, fingerprint: str) -> KnownCodes:
    sets: dict[str, set[str]] = {level: set() for level in codes.LENGTH_BY_LEVEL}
    with store(url).connect() as connection:
        for code, level in connection.execute(select(regions.c.code, regions.c.level)):
            sets[str(level)].add(str(code))
    return _known(sets, "store", fingerprint)


def _codes_from_csv(area_dir: Path | None, fingerprint: str) -> KnownCodes:
    # Trusts the package (a load validates it properly); only strips the dots.
    folder = area_dir or config.area_data_dir()
    sets: dict[str, set[str]] = {}
    for level, name in (
        ("province", "provinces.csv"),
        ("regency", "regencies.csv"),
        ("district", "districts.csv"),
        ("village", "villages.csv"),
    ):
        path = folder / name
        if not path.is_file():
            raise BadInput(
                f"region codes are not available: {path} is missing and no regions are loaded; "
                "set JARING_AREA_DATA to the idn-area-data 'data' folder or run 'make install'"
            )
        only_code = pa_csv.ConvertOptions(include_columns=["code"], column_types={"code": pa.string()})
        column = pa_csv.read_csv(path, convert_options=only_code).column("code")
        sets[level] = set(pc.replace_substring(column, ".", "").to_pylist())
    return _known(sets, "idn-area-data", fingerprint)


def _known(sets: dict[str, set[str]], source: str, fingerprint: str) -> KnownCodes:
    return KnownCodes(
        provinces=frozenset(sets["province"]),
        regencies=frozenset(sets["regency"]),
        districts=frozenset(sets["district"]),
        villages=frozenset(sets["village"]),
        source=source,
        fingerprint=fingerprint,
    )


# ---------------------------------------------------------------- statistics files


@dataclass(frozen=True)
class StatsFile:
    """How to read one kind of statistics file the operator provides."""

    pattern: str  # file name (fnmatch pattern) under stats/
    feature: str
    source: str  # citation stored with every value
    key: str = "code"  # column holding the region code
    level: str | None = None  # expected level; None: the file's own `level` column
    columns: tuple[tuple[str, str], ...] = ()  # (column, indicator); empty: read the period suffixes
    period: str | None = None  # for `columns`; overridden by a `period` column or the file name
    per_region: bool = True


STATS_FILES: tuple[StatsFile, ...] = (
    StatsFile(
        "region_population_area.csv",
        FEATURE_WEIGHTS,
        "Dukcapil DKB Semester II 2024; area: BIG B-16.10/DIGD-BIG/IGD.04.04/12/2024",
        columns=(
            ("population_total", "population_total"),
            ("population_male", "population_male"),
            ("population_female", "population_female"),
            ("area_km2", "area_km2"),
        ),
        period="2024-12",
    ),
    StatsFile(
        "province_poverty_bps*.csv",
        FEATURE_TARGETING,
        "BPS Susenas, Persentase/Jumlah Penduduk Miskin menurut Provinsi",
        key="province_code",
        level="province",
    ),
    StatsFile(
        "regency_poverty_bps_*.csv",
        FEATURE_TARGETING,
        "BPS Susenas, Persentase/Jumlah Penduduk Miskin menurut Kabupaten/Kota",
        key="regency_code",
        level="regency",
    ),
    StatsFile(
        "province_welfare_labour_bps_*.csv",
        FEATURE_WELFARE,
        "BPS Susenas and Sakernas tables by province",
        key="province_code",
        level="province",
    ),
    StatsFile(
        "bpjstk_participants_province_*.csv",
        FEATURE_BASELINE,
        "BPJS Ketenagakerjaan via Satu Data Ketenagakerjaan (Kemnaker), partial table",
        key="province_code",
        level="province",
        columns=(
            ("active_participants", "bpjstk_active_participants"),
            ("non_active_participants", "bpjstk_non_active_participants"),
            ("total_registered", "bpjstk_registered_total"),
        ),
    ),
    StatsFile(
        "national_reference.csv",
        FEATURE_BASELINE,
        "national figures with their own sources",
        per_region=False,
    ),
)

# The files the summary names when they are absent (the feature they serve degrades).
EXPECTED_STATS = (
    "region_population_area.csv",
    "province_poverty_bps.csv",
    "regency_poverty_bps_*.csv",
    "province_welfare_labour_bps_*.csv",
    "bpjstk_participants_province_*.csv",
)

# `poverty_rate_pct_2025_03` → indicator poverty_rate_pct, period 2025-03; `…_2025` → 2025.
_SUFFIX = re.compile(
    r"^(?P<indicator>[a-z][a-z0-9_]*?)_(?P<year>(19|20)\d{2})(?:_(?P<month>0[1-9]|1[0-2]))?$"
)
_PERIOD = re.compile(r"(19|20)\d{2}(-(0[1-9]|1[0-2]))?")
_PERIOD_IN_NAME = re.compile(r"(?P<year>(19|20)\d{2})-(?P<month>0[1-9]|1[0-2])")


@dataclass
class FileReport:
    """What one file contributed, and every row it could not use."""

    name: str
    status: str  # imported | missing | not_per_region | unrecognised
    feature: str | None = None
    rows: int = 0
    values: int = 0
    empty: int = 0  # blank cells: not measured, so not stored
    duplicates: int = 0  # same value already given by another file
    unknown: int = 0
    unknown_examples: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileReport:
        return cls(
            name=data["name"],
            status=data["status"],
            feature=data.get("feature"),
            rows=data.get("rows", 0),
            values=data.get("values", 0),
            empty=data.get("empty", 0),
            duplicates=data.get("duplicates", 0),
            unknown=data.get("unknown_codes", 0),
            unknown_examples=list(data.get("unknown_examples", [])),
            indicators=list(data.get("indicators", [])),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "feature": self.feature,
            "rows": self.rows,
            "values": self.values,
            "empty": self.empty,
            "duplicates": self.duplicates,
            "unknown_codes": self.unknown,
            "unknown_examples": self.unknown_examples,
            "indicators": self.indicators,
        }


@dataclass
class ImportResult:
    kind: str  # stats | boundaries
    status: str  # loaded | unchanged | missing
    sha256: str
    rows: int
    files: list[FileReport]

    def __post_init__(self) -> None:
        self.files.sort(key=lambda report: report.name)

    @property
    def missing_features(self) -> list[str]:
        present = {f.feature for f in self.files if f.status == "imported"}
        return sorted({f.feature for f in self.files if f.status == "missing" and f.feature} - present)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "status": self.status,
            "sha256": self.sha256,
            "rows": self.rows,
            "files": [f.to_json() for f in self.files],
            "missing_features": self.missing_features,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _set_digest(files: Iterable[Path], known: KnownCodes) -> str:
    # Includes the code sets: new regions can turn an unknown code into a known one.
    digest = hashlib.sha256(known.fingerprint.encode())
    for path in files:
        digest.update(f"\0{path.name}\0{_sha256(path)}".encode())
    return digest.hexdigest()


def _spec_for(name: str) -> StatsFile | None:
    return next((spec for spec in STATS_FILES if fnmatch.fnmatch(name, spec.pattern)), None)


@dataclass
class _Collected:
    values: dict[tuple[str, str, str], tuple[float, str, str]] = field(default_factory=dict)


def import_stats(
    url: str | None = None, *, reference_dir: Path | None = None, progress: Progress | None = None
) -> ImportResult:
    """Mirror `stats/*.csv` into `region_stats` (one transaction), unless nothing changed."""
    folder = (reference_dir or config.reference_dir()) / "stats"
    present = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    known = known_codes(url)
    reports = _missing_reports(present)
    readable = [path for path in present if _spec_for(path.name) is not None]
    reports += [FileReport(p.name, "unrecognised") for p in present if _spec_for(p.name) is None]
    digest = _set_digest(readable, known)
    with transaction(url) as connection:
        last = latest_load(connection, "stats")
        if last is None and not readable:
            return ImportResult("stats", "missing", digest, 0, reports)
        if last is not None and last["sha256"] == digest:
            return ImportResult("stats", "unchanged", digest, last["rows"], _reports_of(last))
        collected = _Collected()
        for index, path in enumerate(readable):
            reports.append(_read_stats_file(path, known, collected))
            if progress:
                progress("stats", index + 1, len(readable))
        rows = [
            {"code": c, "indicator": i, "period": p, "value": v, "source": s}
            for (c, i, p), (v, s, _file) in collected.values.items()
        ]
        connection.execute(region_stats.delete())
        bulk_insert(connection, region_stats, rows, "stats", progress)
        _record(connection, "stats", folder, digest, len(rows), reports)
    return ImportResult("stats", "loaded", digest, len(rows), reports)


def _reports_of(load: dict[str, Any]) -> list[FileReport]:
    """The file reports of an earlier import: the summary of an unchanged import repeats them."""
    return [FileReport.from_json(item) for item in (load["detail"] or {}).get("files", [])]


def _missing_reports(present: list[Path]) -> list[FileReport]:
    names = [p.name for p in present]
    reports = []
    for pattern in EXPECTED_STATS:
        if not any(fnmatch.fnmatch(name, pattern) for name in names):
            spec = _spec_for(pattern.replace("*", "x"))
            reports.append(FileReport(pattern, "missing", feature=spec.feature if spec else None))
    return reports


def _rows(path: Path, required: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        absent = [column for column in required if column not in header]
        if absent:
            raise BadInput(
                f"{path.name}: missing column(s) {', '.join(absent)}; header is {','.join(header)}"
            )
        for row in reader:
            yield reader.line_num, row


def _columns(spec: StatsFile, path: Path, header: list[str]) -> list[tuple[str, str, str]]:
    """(column, indicator, period) for every value column of the file."""
    if spec.columns:
        named = _PERIOD_IN_NAME.search(path.name)
        period = named.group(0) if named else spec.period
        if period is None:
            raise BadInput(f"{path.name}: no period in the file name (expected YYYY-MM, e.g. _2023-12)")
        return [(column, indicator, period) for column, indicator in spec.columns if column in header]
    found = []
    for column in header:
        match = _SUFFIX.match(column)
        if match:
            month = match.group("month")
            period = f"{match.group('year')}-{month}" if month else match.group("year")
            found.append((column, match.group("indicator"), period))
    return found


def _read_stats_file(path: Path, known: KnownCodes, collected: _Collected) -> FileReport:
    spec = _spec_for(path.name)
    assert spec is not None
    if not spec.per_region:
        return FileReport(path.name, "not_per_region")
    report = FileReport(path.name, "imported", feature=spec.feature)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    columns = _columns(spec, path, header)
    if not columns:
        raise BadInput(f"{path.name}: no value columns found in the header {','.join(header)}")
    required = [spec.key, *(c for c, _i, _p in columns), *([] if spec.level else ["level"])]
    report.indicators = sorted({indicator for _c, indicator, _p in columns})
    for line, row in _rows(path, required):
        report.rows += 1
        code = _region_code(row, spec, known)
        if code is None:
            _unknown(report, row.get(spec.key, ""), f"line {line}")
            continue
        row_period = (row.get("period") or "").strip()
        if row_period and not _PERIOD.fullmatch(row_period):
            raise BadInput(f"{path.name} line {line}, column period: {row_period!r} is not YYYY or YYYY-MM")
        for column, indicator, period in columns:
            _collect(
                path,
                line,
                column,
                row[column],
                (code, indicator, row_period or period),
                spec,
                report,
                collected,
            )
    return report


def _region_code(row: dict[str, str], spec: StatsFile, known: KnownCodes) -> str | None:
    raw = (row.get(spec.key) or "").strip()
    level = spec.level or (row.get("level") or "").strip()
    if not codes.is_code(raw) or level not in codes.LENGTH_BY_LEVEL:
        return None
    code = codes.undotted(raw)
    return code if code in known.at(level) else None


def _unknown(report: FileReport, raw: str, where: str) -> None:
    report.unknown += 1
    if len(report.unknown_examples) < _EXAMPLES:
        report.unknown_examples.append(f"{raw.strip() or '(empty)'} ({where})")


def _collect(
    path: Path,
    line: int,
    column: str,
    raw: str | None,
    key: tuple[str, str, str],
    spec: StatsFile,
    report: FileReport,
    collected: _Collected,
) -> None:
    text = (raw or "").strip()
    if not text:
        report.empty += 1
        return
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{path.name} line {line}, column {column}: {text!r} is not a number") from None
    earlier = collected.values.get(key)
    if earlier is not None:
        if abs(earlier[0] - value) > 1e-9 * max(1.0, abs(value)):
            raise BadInput(
                f"{path.name} line {line}: {key[1]} {key[2]} for region {codes.dotted(key[0])} is {text}, "
                f"but {earlier[2]} gives {earlier[0]:g}; remove one of the two"
            )
        report.duplicates += 1
        return
    collected.values[key] = (value, f"{path.name}: {spec.source}"[:200], path.name)
    report.values += 1


def bulk_insert(
    connection: Connection, table: Table, rows: list[dict[str, Any]], what: str, progress: Progress | None
) -> None:
    """Insert many rows fast: PostgreSQL COPY, the driver's executemany elsewhere.

    SQLAlchemy's per-row parameter handling costs more than the database does at 90,000
    rows; the rows here are plain strings and numbers, so the driver can take them as is.
    """
    if not rows:
        return
    columns = list(rows[0])
    for start in range(0, len(rows), BATCH):
        batch = [tuple(row[c] for c in columns) for row in rows[start : start + BATCH]]
        _write(connection, table, columns, batch)
        if progress:
            progress(what, min(start + BATCH, len(rows)), len(rows))


def _write(connection: Connection, table: Table, columns: list[str], batch: list[tuple[Any, ...]]) -> None:
    dialect = connection.dialect
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    quoted = dialect.identifier_preparer.quote(table.name)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
            for values in batch:
                copy.write_row(values)
        return
    marker = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle or "")
    if marker is None:
        connection.execute(table.insert(), [dict(zip(columns, values, strict=True)) for values in batch])
        return
    sql = f"INSERT INTO {quoted} ({names}) VALUES ({', '.join([marker] * len(columns))})"
    connection.exec_driver_sql(sql, batch)


def _record(
    connection: Connection, kind: str, folder: Path, digest: str, rows: int, reports: list[FileReport]
) -> None:
    connection.execute(
        reference_loads.insert().values(
            kind=kind,
            source=str(folder)[:300],
            sha256=digest,
            rows=rows,
            loaded_at=datetime.now(UTC),
            detail={"files": [r.to_json() for r in reports]},
        )
    )


# ---------------------------------------------------------------- boundaries

BOUNDARY_FILES = (("provinces.geojson", "province"), ("regencies.geojson", "regency"))
_GEOMETRIES = ("Polygon", "MultiPolygon")


def import_boundaries(
    url: str | None = None, *, reference_dir: Path | None = None, progress: Progress | None = None
) -> ImportResult:
    """Mirror `geo/*.geojson` into `region_boundaries` (one transaction), unless unchanged."""
    folder = (reference_dir or config.reference_dir()) / "geo"
    known = known_codes(url)
    present = [(folder / name, level) for name, level in BOUNDARY_FILES if (folder / name).is_file()]
    reports = [
        FileReport(name, "missing", feature=FEATURE_MAPS)
        for name, _level in BOUNDARY_FILES
        if not (folder / name).is_file()
    ]
    digest = _set_digest([path for path, _level in present], known)
    with transaction(url) as connection:
        last = latest_load(connection, "boundaries")
        if last is None and not present:
            return ImportResult("boundaries", "missing", digest, 0, reports)
        if last is not None and last["sha256"] == digest:
            return ImportResult("boundaries", "unchanged", digest, last["rows"], _reports_of(last))
        rows: list[dict[str, Any]] = []
        for index, (path, level) in enumerate(present):
            file_rows, report = _read_geojson(path, level, known)
            rows += file_rows
            reports.append(report)
            if progress:
                progress("boundaries", index + 1, len(present))
        connection.execute(region_boundaries.delete())
        bulk_insert(connection, region_boundaries, rows, "boundaries", progress)
        _record(connection, "boundaries", folder, digest, len(rows), reports)
    return ImportResult("boundaries", "loaded", digest, len(rows), reports)


def _read_geojson(path: Path, level: str, known: KnownCodes) -> tuple[list[dict[str, Any]], FileReport]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path.name}: not valid GeoJSON ({exc})") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise BadInput(f"{path.name}: expected a GeoJSON FeatureCollection")
    report = FileReport(path.name, "imported", feature=FEATURE_MAPS, indicators=[level])
    rows: dict[str, dict[str, Any]] = {}
    for number, feature in enumerate(document.get("features") or [], start=1):
        report.rows += 1
        code, geometry = _feature(path, number, feature)
        if not codes.is_code(code) or codes.undotted(code) not in known.at(level):
            _unknown(report, code, f"feature {number}")
            continue
        plain = codes.undotted(code)
        if plain in rows:
            raise BadInput(f"{path.name} feature {number}: region {codes.dotted(plain)} appears twice")
        rows[plain] = {
            "code": plain,
            "level": level,
            "geometry": json.dumps(geometry, separators=(",", ":")),
            "source": path.name,
        }
        report.values += 1
    return list(rows.values()), report


def _feature(path: Path, number: int, feature: Any) -> tuple[str, dict[str, Any]]:
    where = f"{path.name} feature {number}"
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict) or "code" not in properties:
        raise BadInput(f"{where}: no 'code' property")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRIES:
        raise BadInput(f"{where}: geometry must be a Polygon or MultiPolygon")
    return str(properties["code"]), geometry


def boundary_collection(level: str, url: str | None = None) -> dict[str, Any] | None:
    """A GeoJSON FeatureCollection of the level's regions (`code` and `name` properties), or
    None when no boundaries are loaded: the map then falls back to a tile grid."""
    if level not in codes.LENGTH_BY_LEVEL:
        raise BadInput(f"unknown level {level!r}; expected one of {', '.join(codes.LENGTH_BY_LEVEL)}")
    query = (
        select(region_boundaries.c.code, region_boundaries.c.geometry, regions.c.name)
        .join(regions, regions.c.code == region_boundaries.c.code, isouter=True)
        .where(region_boundaries.c.level == level)
        .order_by(region_boundaries.c.code)
    )
    with store(url).connect() as connection:
        found = connection.execute(query).all()
    if not found:
        return None
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name},
            "geometry": json.loads(str(geometry)),
        }
        for code, geometry, name in found
    ]
    return {"type": "FeatureCollection", "features": features}


# ---------------------------------------------------------------- accessors


@dataclass(frozen=True)
class Stat:
    indicator: str
    period: str
    value: float
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "period": self.period,
            "value": self.value,
            "source": self.source,
        }


def region_stats_for(code: str, url: str | None = None) -> list[Stat]:
    """Every statistic of one region, by indicator then period (empty when none is loaded)."""
    plain = codes.undotted(code)
    query = (
        select(region_stats.c.indicator, region_stats.c.period, region_stats.c.value, region_stats.c.source)
        .where(region_stats.c.code == plain)
        .order_by(region_stats.c.indicator, region_stats.c.period)
    )
    with store(url).connect() as connection:
        return [
            Stat(str(row[0]), str(row[1]), float(row[2]), str(row[3])) for row in connection.execute(query)
        ]


def latest_values(indicator: str, level: str, url: str | None = None) -> dict[str, float]:
    """code → the indicator's value in its latest period, for every region of the level."""
    length = codes.LENGTH_BY_LEVEL[level]
    query = (
        select(region_stats.c.code, region_stats.c.period, region_stats.c.value)
        .where(region_stats.c.indicator == indicator, func.length(region_stats.c.code) == length)
        .order_by(region_stats.c.code, region_stats.c.period)
    )
    values: dict[str, float] = {}
    with store(url).connect() as connection:
        for row in connection.execute(query):
            values[str(row[0])] = float(row[2])  # ordered by period: the last one wins
    return values


def population_weights(url: str | None = None, *, level: str = "regency") -> dict[str, int]:
    """Registered population (Dukcapil) per regency (or `level`); {} when not imported."""
    return {code: round(value) for code, value in latest_values("population_total", level, url).items()}


def poverty_rates(url: str | None = None) -> dict[str, float]:
    """Poverty headcount rate P0 (%) per regency, latest period; a regency without its own
    figure gets its province's rate. {} when no poverty statistics are imported."""
    by_regency = latest_values("poverty_rate_pct", "regency", url)
    by_province = latest_values("poverty_rate_pct", "province", url)
    if not by_regency and not by_province:
        return {}
    rates = dict(by_regency)
    for regency in known_codes(url).regencies:
        if regency not in rates and regency[:2] in by_province:
            rates[regency] = by_province[regency[:2]]
    return rates
