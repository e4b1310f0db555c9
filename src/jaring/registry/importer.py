"""Read and validate a registry extract into a protected snapshot, accounting for every row.

DuckDB parses the file (CSV in parallel, or Parquet) and normalises each row in one
order-preserving scan (`sql/row_checks.sql`); set membership (known regions, duplicate
NIKs) and the choice of the first rejection reason happen here on Arrow batches, so rows
keep their file order and their line numbers. Accepted rows are written to Parquet with
the NIK and KK number replaced by blind index + ciphertext; rejected rows go, as they
were in the file, to a rejects file with their line and reason.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from jaring.kit import config, nik, protect
from jaring.kit.errors import BadInput
from jaring.registry.codes import EXTRACT_COLUMNS, OCCUPATIONS, REQUIRED_COLUMNS
from jaring.registry.reasons import REJECTIONS, WARNINGS

REQUIRED = REQUIRED_COLUMNS
COLUMNS = EXTRACT_COLUMNS
BATCH_ROWS = 262_144
SQL_DIR = Path(__file__).resolve().parent / "sql"

MACROS = """
CREATE OR REPLACE MACRO days_in_month(y, m) AS CASE
    WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END
    WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END;
-- The year of a 2-digit yy: 20yy unless that is after the reference date (YYYYMMDD).
CREATE OR REPLACE MACRO century_year(yy, m, d, ref) AS
    CASE WHEN (2000 + yy) * 10000 + m * 100 + d <= ref THEN 2000 + yy ELSE 1900 + yy END;
CREATE OR REPLACE MACRO yymmdd_date(yy, m, d, ref) AS
    CASE WHEN m BETWEEN 1 AND 12 AND d BETWEEN 1 AND days_in_month(century_year(yy, m, d, ref), m)
         THEN make_date(century_year(yy, m, d, ref), m, d) END;
"""

PERSON_SCHEMA = pa.schema(
    [
        ("nik_index", pa.binary(16)),
        ("nik_cipher", pa.binary(16)),
        ("kk_index", pa.binary(16)),
        ("kk_cipher", pa.binary(16)),
        ("name", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("village_code", pa.string()),
        ("district_code", pa.string()),
        ("regency_code", pa.string()),
        ("province_code", pa.string()),
        ("relationship", pa.int8()),
        ("employment_status", pa.int8()),
        ("occupation", pa.string()),
        ("desil", pa.int8()),
        ("deceased", pa.bool_()),
        ("jamsostek", pa.int8()),
        ("warning_flags", pa.int16()),
    ]
)
REJECT_COLUMNS = ("line", "reason", *COLUMNS, "original_line")


class KnownCodes(nik.KnownCodes, Protocol):
    """The NIK's region codes plus the villages, which a residence must be one of."""

    @property
    def villages(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class SourceFile:
    path: Path
    format: str  # csv | parquet
    compression: str | None
    columns: tuple[str, ...]  # the header as in the file
    extra_columns: tuple[str, ...]


@dataclass
class Tally:
    rows_in: int = 0
    accepted: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)

    @property
    def rejected(self) -> int:
        return sum(self.by_reason.values())


# --- the file -----------------------------------------------------------------------------


def inspect_source(path: Path) -> SourceFile:
    """Decide the format from the content (not only the name) and check the header."""
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, not a file")
    if path.stat().st_size == 0:
        raise BadInput(f"{path}: the file is empty")
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if head.startswith(b"PAR1"):
        try:
            names = tuple(pq.read_schema(path).names)
        except (OSError, pa.ArrowException) as exc:
            raise BadInput(f"{path}: damaged Parquet file ({_first_line(exc)})") from None
        return _with_header(path, "parquet", None, names)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInput(f"{path}: this is a spreadsheet or ZIP file; export it as CSV (UTF-8) or Parquet")
    compression = None
    if head.startswith(b"\x1f\x8b"):
        compression = "gzip"
        with gzip.open(path, "rb") as handle:
            try:
                head = handle.read(1 << 20)
            except OSError as exc:
                raise BadInput(f"{path}: damaged gzip file ({exc})") from None
        if not head:
            raise BadInput(f"{path}: the file is empty")
    if path.suffix.lower() == ".parquet":
        raise BadInput(f"{path}: named .parquet but is not a Parquet file")
    _check_text(path, head)
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r")
    names = tuple(next(csv.reader([first]), []))
    return _with_header(path, "csv", compression, names)


def _check_text(path: Path, head: bytes) -> None:
    if b"\x00" in head:
        raise BadInput(f"{path}: not a text file (it contains NUL bytes); expected CSV (UTF-8) or Parquet")
    # A cut in the middle of a multi-byte character at the end of the sample is not an error.
    if not _is_utf8(head):
        raise BadInput(_encoding_message(path, head))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3 and exc.reason == "unexpected end of data"
    return True


def _encoding_message(path: Path, head: bytes) -> str:
    try:
        head.decode("utf-8")
        where = ""
    except UnicodeDecodeError as exc:
        line = head[: exc.start].count(b"\n") + 1
        where = f" (byte 0x{head[exc.start]:02X} on line {line})"
    return (
        f"{path}: the file is not UTF-8{where}; it looks like Windows-1252/Latin-1. "
        "Save it as 'CSV UTF-8' and import again"
    )


def _reader_sql(source: SourceFile, rejects: bool) -> str:
    quoted = str(source.path).replace("'", "''")
    if source.format == "parquet":
        return f"read_parquet('{quoted}')"
    # The header is known, so nothing is sniffed: every column is text, as in the file.
    columns = ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for name in source.columns)
    options = "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"'"
    options += f", columns = {{{columns}}}"
    if source.compression:
        options += ", compression = 'gzip'"
    options += ", store_rejects = true, rejects_table = 'bad_lines'" if rejects else ", ignore_errors = true"
    return f"read_csv('{quoted}', {options})"


def _with_header(path: Path, fmt: str, compression: str | None, names: tuple[str, ...]) -> SourceFile:
    normalised = [name.strip().lower() for name in names]
    if not any(normalised):
        raise BadInput(f"{path}: the first line is not a header (see docs/registry-format.md)")
    repeated = sorted({n for n in normalised if normalised.count(n) > 1})
    if repeated:
        raise BadInput(f"{path}: column(s) {', '.join(repeated)} appear more than once in the header")
    missing = [column for column in REQUIRED if column not in normalised]
    if missing:
        raise BadInput(
            f"{path}: missing required column(s) {', '.join(missing)}; the file has "
            f"{', '.join(names) or 'no columns'} (see docs/registry-format.md)"
        )
    extra = tuple(name for name, low in zip(names, normalised, strict=True) if low not in COLUMNS)
    return SourceFile(path, fmt, compression, names, extra)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --- DuckDB ---------------------------------------------------------------------------------


def connect_batch() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the memory ceiling and spill directory of the config."""
    spill = config.data_dir() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": config.duckdb_memory_limit()})
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    con.execute("SET enable_progress_bar = false")
    return con


def _source_view(con: duckdb.DuckDBPyConnection, source: SourceFile, rejects: bool) -> None:
    by_lower = {name.strip().lower(): name for name in source.columns}
    select = []
    for column in COLUMNS:
        if column in by_lower:
            original = by_lower[column].replace('"', '""')
            select.append(f'CAST("{original}" AS VARCHAR) AS {column}')
        else:
            select.append(f"CAST(NULL AS VARCHAR) AS {column}")
    reader = _reader_sql(source, rejects)
    con.execute(f"CREATE OR REPLACE TEMP VIEW source AS SELECT {', '.join(select)} FROM {reader}")


def _duplicate_niks(con: duckdb.DuckDBPyConnection) -> np.ndarray:
    """NIKs (as numbers) that appear on more than one row. Leading zeros cannot hide a
    difference: a NIK is exactly 16 digits, so equal numbers mean equal strings."""
    rows = con.sql(
        "SELECT TRY_CAST(trim(nik) AS BIGINT) AS n FROM source "
        "WHERE length(trim(nik)) = 16 AND TRY_CAST(trim(nik) AS BIGINT) IS NOT NULL "
        "GROUP BY 1 HAVING count(*) > 1"
    ).fetchnumpy()
    return np.asarray(rows["n"], dtype=np.int64)


# --- one batch ------------------------------------------------------------------------------


def _np(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow column as numpy, NULL read as False."""
    result: np.ndarray = np.asarray(pc.fill_null(array, False), dtype=bool)
    return result


def _isin(values: pa.Array, members: pa.Array) -> np.ndarray:
    return _np(pc.is_in(values, value_set=members))


@dataclass(frozen=True)
class Sets:
    """Sorted integer codes, for fast membership tests by binary search."""

    provinces: np.ndarray
    regencies: np.ndarray
    districts: np.ndarray
    villages: np.ndarray
    occupations: pa.Array
    duplicates: np.ndarray

    @classmethod
    def build(cls, known: KnownCodes, duplicates: np.ndarray) -> Sets:
        def ints(codes: frozenset[str]) -> np.ndarray:
            return np.array(sorted(int(code) for code in codes), dtype=np.int64)

        return cls(
            provinces=ints(known.provinces),
            regencies=ints(known.regencies),
            districts=ints(known.districts),
            villages=ints(known.villages),
            occupations=pa.array(sorted(OCCUPATIONS), pa.string()),
            duplicates=np.sort(duplicates),
        )


def _prefix(values: pa.Array, length: int) -> pa.Array:
    return pc.utf8_slice_codeunits(values, 0, length)


def _member(values: pa.Array, members: np.ndarray) -> np.ndarray:
    """Whether each integer is in the sorted array `members` (NULL → False)."""
    numbers = np.asarray(pc.fill_null(values, -1), dtype=np.int64)
    if len(members) == 0:
        return np.zeros(len(numbers), dtype=bool)
    at = np.minimum(np.searchsorted(members, numbers), len(members) - 1)
    found: np.ndarray = members[at] == numbers
    return found


def _digits(values: pa.Array, length: int | None = None) -> np.ndarray:
    ok = _np(pc.ascii_is_decimal(values))
    if length is not None:
        ok &= np.asarray(pc.fill_null(pc.binary_length(values), -1)) == length
    return ok


def judge(batch: pa.RecordBatch, sets: Sets, snapshot_date: date) -> tuple[np.ndarray, np.ndarray]:
    """(reason index per row, -1 = accepted; warning bitmask per row)."""
    col = batch.column
    nik, kk = col("nik"), col("kk")
    birth = col("birth_date")
    nik_region = np.asarray(pc.fill_null(col("nik_region"), -1), dtype=np.int64)
    kk_region = np.asarray(pc.fill_null(col("kk_region"), -1), dtype=np.int64)
    nik_abroad = nik_region // 10_000 == 99

    def is_null(name: str) -> np.ndarray:
        nulls: np.ndarray = np.asarray(pc.is_null(col(name)))
        return nulls

    def empty(name: str) -> np.ndarray:
        return _np(pc.equal(pc.fill_null(col(name), ""), ""))

    def region_zero(region: np.ndarray) -> np.ndarray:
        zero: np.ndarray = ((region // 100) % 100 == 0) | (region % 100 == 0)
        return zero

    nik_digits, kk_digits = _digits(nik), _digits(kk)
    conditions = {
        "nik_missing": empty("nik"),
        "nik_non_digit": ~nik_digits,
        "nik_length": ~_digits(nik, 16),
        "nik_province_unknown": ~nik_abroad & ~np.isin(nik_region // 10_000, sets.provinces),
        "nik_region_zero": ~nik_abroad & region_zero(nik_region),
        "nik_date_impossible": is_null("nik_birth_date") | ~_np(col("nik_day_ok")),
        "nik_serial_zero": _np(pc.ends_with(nik, "0000")),
        "nik_duplicate": _member(col("nik_number"), sets.duplicates),
        "kk_missing": empty("kk"),
        "kk_non_digit": ~kk_digits,
        "kk_length": ~_digits(kk, 16),
        "kk_province_unknown": ~np.isin(kk_region // 10_000, sets.provinces) | region_zero(kk_region),
        "kk_date_impossible": is_null("kk_recorded_on"),
        "name_missing": empty("name"),
        "sex_invalid": is_null("sex"),
        "birth_date_invalid": is_null("birth_date"),
        "birth_date_future": _np(pc.greater(birth, pa.scalar(snapshot_date, pa.date32()))),
        "village_invalid": ~_digits(col("village"), 10),
        "village_unknown": ~_member(col("village_number"), sets.villages),
        "relationship_invalid": is_null("relationship"),
        "employment_invalid": is_null("employment_status"),
        "occupation_unknown": ~empty("occupation")
        & ~_np(pc.is_in(col("occupation"), value_set=sets.occupations)),
        "desil_missing": _np(col("desil_missing")),
        "desil_invalid": is_null("desil"),
        "deceased_invalid": is_null("deceased"),
        "jamsostek_invalid": ~_np(col("jamsostek_missing")) & is_null("jamsostek"),
    }
    order = [name for name in REJECTIONS if name in conditions]
    reason = np.select([conditions[name] for name in order], [REASON_INDEX[name] for name in order], -1)

    nik_birth = col("nik_birth_date")
    flags = {
        "nik_region_retired": ~nik_abroad
        & ~(np.isin(nik_region // 100, sets.regencies) & _member(col("nik_region"), sets.districts)),
        "nik_abroad": nik_abroad,
        # Same day and month, and years a whole number of centuries apart (the NIK has 2 digits).
        "nik_birth_date_mismatch": _np(
            pc.or_(
                pc.or_(
                    pc.not_equal(pc.day(nik_birth), pc.day(birth)),
                    pc.not_equal(pc.month(nik_birth), pc.month(birth)),
                ),
                pc.invert(pc.is_in(pc.subtract(pc.year(nik_birth), pc.year(birth)), CENTURIES)),
            )
        ),
        "nik_sex_mismatch": _np(pc.not_equal(col("nik_sex"), col("sex"))),
        "kk_region_retired": ~(
            np.isin(kk_region // 100, sets.regencies) & _member(col("kk_region"), sets.districts)
        ),
    }
    bits = np.zeros(batch.num_rows, dtype=np.int16)
    for position, name in enumerate(WARNINGS):
        bits |= flags[name].astype(np.int16) << position
    return reason, np.where(reason < 0, bits, 0).astype(np.int16)


CENTURIES = pa.array([-100, 0, 100], pa.int64())
REASONS = list(REJECTIONS)
REASON_NAMES = pa.array(REASONS, pa.string())
REASON_INDEX = {name: position for position, name in enumerate(REASONS)}


def _ascii_blocks(values: pa.Array) -> np.ndarray:
    """16-character strings as an (n, 16) uint8 array."""
    fixed = pc.cast(values, pa.binary()).cast(pa.binary(16))
    buffer = fixed.buffers()[1]
    start = fixed.offset * 16
    return np.frombuffer(buffer, dtype=np.uint8)[start : start + 16 * len(fixed)].reshape(-1, 16)


def _fixed(blocks: np.ndarray) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(blocks), [None, pa.py_buffer(blocks.tobytes())]
    )


def accepted_table(batch: pa.RecordBatch, keep: np.ndarray, warning_flags: np.ndarray) -> pa.Table:
    rows = batch.filter(pa.array(keep))
    col = rows.column
    nik_index, nik_cipher = protect.protect_many(_ascii_blocks(col("nik")), "nik")
    kk_index, kk_cipher = protect.protect_many(_ascii_blocks(col("kk")), "kk")
    village = col("village")
    occupation = col("occupation")
    return pa.Table.from_arrays(
        [
            _fixed(nik_index),
            _fixed(nik_cipher),
            _fixed(kk_index),
            _fixed(kk_cipher),
            col("name"),
            col("sex"),
            col("birth_date"),
            village,
            _prefix(village, 6),
            _prefix(village, 4),
            _prefix(village, 2),
            col("relationship"),
            col("employment_status"),
            pc.fill_null(occupation, ""),
            col("desil"),
            col("deceased"),
            col("jamsostek"),
            pa.array(warning_flags[keep], pa.int16()),
        ],
        schema=PERSON_SCHEMA,
    )


def rejected_table(
    batch: pa.RecordBatch, rows: np.ndarray, reason: np.ndarray, ordinals: np.ndarray
) -> pa.Table:
    chosen = pa.array(rows)
    subset = batch.filter(chosen)
    arrays: list[pa.Array] = [
        pa.array(ordinals[rows], pa.int64()),
        pc.take(REASON_NAMES, pa.array(reason[rows])),
    ]
    arrays += [subset.column(f"raw_{name}") for name in COLUMNS]
    arrays.append(pa.nulls(subset.num_rows, pa.string()))
    return pa.Table.from_arrays(arrays, names=list(REJECT_COLUMNS))


# --- the whole file -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    persons: Path
    rejects: Path
    work: Path  # a scratch directory the caller removes


def validate_file(
    source: SourceFile,
    *,
    snapshot_date: date,
    known: KnownCodes,
    outputs: Outputs,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """Validate `source` and write the accepted persons and the rejects. Returns the tally."""
    con = connect_batch()
    try:
        con.execute(MACROS)
        _source_view(con, source, rejects=False)
        try:
            duplicates = _duplicate_niks(con)
        except duckdb.Error as exc:
            raise BadInput(f"{source.path}: cannot read the file: {_first_line(exc)}") from None
        _source_view(con, source, rejects=source.format == "csv")
        sets = Sets.build(known, duplicates)
        sql = (SQL_DIR / "row_checks.sql").read_text(encoding="utf-8")
        tally = Tally()
        pending_rejects = outputs.work / "rejects.parquet"
        with (
            pq.ParquetWriter(outputs.persons, PERSON_SCHEMA, compression="zstd") as persons,
            pq.ParquetWriter(pending_rejects, _reject_schema(), compression="none") as rejects,
        ):
            try:
                reader = con.sql(sql, params={"ref_ymd": _ymd(snapshot_date)}).to_arrow_reader(BATCH_ROWS)
                for batch in _batches(reader):
                    _one_batch(batch, sets, snapshot_date, tally, persons, rejects)
                    if progress:
                        progress(batch.num_rows)
            except duckdb.Error as exc:
                raise BadInput(f"{source.path}: cannot read the file: {_first_line(exc)}") from None
        malformed = _malformed_lines(con, source)
        _finish_rejects(con, pending_rejects, malformed, outputs.rejects)
        if malformed:
            tally.by_reason["row_malformed"] += len(malformed)
            tally.rows_in += len(malformed)
        return tally
    finally:
        con.close()


def _ymd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _batches(reader: pa.RecordBatchReader) -> Iterator[pa.RecordBatch]:
    for batch in reader:
        if batch.num_rows:
            yield batch


def _reject_schema() -> pa.Schema:
    return pa.schema(
        [("line", pa.int64()), ("reason", pa.string())]
        + [(c, pa.string()) for c in COLUMNS]
        + [("original_line", pa.string())]
    )


def _one_batch(
    batch: pa.RecordBatch,
    sets: Sets,
    snapshot_date: date,
    tally: Tally,
    persons: pq.ParquetWriter,
    rejects: pq.ParquetWriter,
) -> None:
    reason, flags = judge(batch, sets, snapshot_date)
    keep = reason < 0
    ordinals = np.arange(tally.rows_in + 1, tally.rows_in + batch.num_rows + 1, dtype=np.int64)
    tally.rows_in += batch.num_rows
    if keep.any():
        persons.write_table(accepted_table(batch, keep, flags))
        tally.accepted += int(keep.sum())
        for position, name in enumerate(WARNINGS):
            count = int(np.count_nonzero(flags[keep] & (1 << position)))
            if count:
                tally.warnings[name] += count
    if not keep.all():
        rows = ~keep
        rejects.write_table(rejected_table(batch, rows, reason, ordinals))
        codes, counts = np.unique(reason[rows], return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            tally.by_reason[REASONS[code]] += count


def _malformed_lines(con: duckdb.DuckDBPyConnection, source: SourceFile) -> list[tuple[int, str]]:
    if source.format != "csv":
        return []
    rows = con.sql("SELECT line, error_type, csv_line FROM bad_lines ORDER BY line").fetchall()
    if any("UNICODE" in str(error).upper() for _line, error, _text in rows):
        first = next(line for line, error, _text in rows if "UNICODE" in str(error).upper())
        raise BadInput(
            f"{source.path}: the file is not UTF-8 (first bad byte on line {first}); "
            "save it as 'CSV UTF-8' and import again"
        )
    seen: dict[int, str] = {}
    for line, _error, text in rows:
        seen.setdefault(int(line), str(text))
    return sorted(seen.items())


def _finish_rejects(
    con: duckdb.DuckDBPyConnection, pending: Path, malformed: list[tuple[int, str]], target: Path
) -> None:
    """Turn row ordinals into file lines (malformed lines shift the count) and write the CSV."""
    bad = np.array([line for line, _text in malformed], dtype=np.int64)
    # Good rows before the i-th malformed line: its record number minus the header, minus i.
    before = bad - 2 - np.arange(len(bad), dtype=np.int64)
    fixed = pending.with_name("rejects_lines.parquet")
    with pq.ParquetWriter(fixed, _reject_schema(), compression="zstd") as writer:
        for batch in pq.ParquetFile(pending).iter_batches(BATCH_ROWS):
            ordinal = np.asarray(batch.column("line"), dtype=np.int64)
            line = ordinal + 1 + np.searchsorted(before, ordinal, side="left")
            arrays = [pa.array(line, pa.int64()), *batch.columns[1:]]
            writer.write_table(pa.Table.from_arrays(arrays, schema=_reject_schema()))
        if malformed:
            columns: list[pa.Array] = [
                pa.array(bad, pa.int64()),
                pa.array(["row_malformed"] * len(bad), pa.string()),
            ]
            columns += [pa.nulls(len(bad), pa.string()) for _ in COLUMNS]
            columns.append(pa.array([text for _line, text in malformed], pa.string()))
            writer.write_table(pa.Table.from_arrays(columns, schema=_reject_schema()))
    quoted_in = str(fixed).replace("'", "''")
    quoted_out = str(target).replace("'", "''")
    con.execute(f"COPY (SELECT * FROM read_parquet('{quoted_in}') ORDER BY line) TO '{quoted_out}' (HEADER)")
    os.chmod(target, 0o600)
