"""Read and validate a registry extract into a protected snapshot, accounting for every row.

DuckDB parses the file (CSV in parallel, or Parquet) in one order-preserving scan that
hands over the columns as text, on a background thread; `normalise` and `fixed_numbers`
read the values and `judge` picks each row's first rejection reason on whole Arrow
batches, so rows keep their file order and their line numbers. Accepted rows are written
to Parquet (also on a background thread) with the NIK and KK number replaced by blind
index + ciphertext; rejected rows go, as they were in the file, to a rejects file with
their line and reason.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import os
import queue
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
from jaring.registry import fixed_numbers
from jaring.registry.codes import EXTRACT_COLUMNS, OCCUPATIONS, REQUIRED_COLUMNS
from jaring.registry.normalise import normalise
from jaring.registry.reasons import REJECTIONS, WARNINGS

REQUIRED = REQUIRED_COLUMNS
COLUMNS = EXTRACT_COLUMNS
BATCH_ROWS = 262_144

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
# Random 16-byte blind indexes and ciphertexts neither compress nor repeat: they are stored
# plain. Statistics (for row-group skipping) are kept only for the columns later queries
# filter on; LZ4 costs a third of zstd's time for a slightly larger file.
_OPAQUE = ("nik_index", "nik_cipher", "kk_index", "kk_cipher")
_FILTERED = ("village_code", "district_code", "regency_code", "province_code", "desil", "birth_date")
PERSON_WRITE_OPTIONS: dict[str, object] = {
    "compression": {name: "none" if name in _OPAQUE else "lz4" for name in PERSON_SCHEMA.names},
    "use_dictionary": [name for name in PERSON_SCHEMA.names if name not in (*_OPAQUE, "name")],
    "write_statistics": list(_FILTERED),
}
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
    """The reader's message, safe for the terminal and logs: its first line only (DuckDB
    quotes the offending row on later lines) and any long digit run (a NIK) hidden."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    first = first.split("Original Line", 1)[0].rstrip(" :")
    return _LONG_NUMBER.sub(lambda match: "*" * len(match.group()), first)


_LONG_NUMBER = re.compile(r"\d{8,}")


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


# --- one batch ------------------------------------------------------------------------------


def _np(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow column as numpy, NULL read as False."""
    result: np.ndarray = np.asarray(pc.fill_null(array, False), dtype=bool)
    return result


@dataclass(frozen=True)
class Sets:
    """The codes rows are checked against, shaped for fast bulk membership tests: a flag
    per possible code for the short ones, sorted integers (binary search) for the rest."""

    provinces: np.ndarray  # bool, indexed by the 2-digit code
    regencies: np.ndarray  # bool, indexed by the 4-digit code
    districts: np.ndarray  # bool, indexed by the 6-digit code
    villages: np.ndarray  # sorted int64
    occupations: pa.Array
    duplicates: np.ndarray  # sorted int64 NIK numbers

    @classmethod
    def build(cls, known: KnownCodes, duplicates: np.ndarray) -> Sets:
        def flags(codes: frozenset[str], digits: int) -> np.ndarray:
            table = np.zeros(10**digits, dtype=bool)
            table[[int(code) for code in codes if len(code) == digits and code.isdigit()]] = True
            return table

        return cls(
            provinces=flags(known.provinces, 2),
            regencies=flags(known.regencies, 4),
            districts=flags(known.districts, 6),
            villages=np.array(sorted(int(code) for code in known.villages), dtype=np.int64),
            occupations=pa.array(sorted(OCCUPATIONS), pa.string()),
            duplicates=np.sort(duplicates),
        )


def _flagged(numbers: np.ndarray, table: np.ndarray) -> np.ndarray:
    """table[number] for each number, False outside the table (e.g. -1 for no number)."""
    inside = (numbers >= 0) & (numbers < len(table))
    found: np.ndarray = table[np.where(inside, numbers, 0)] & inside
    return found


def _member(numbers: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Whether each integer is in the sorted array `members`."""
    if len(members) == 0:
        return np.zeros(len(numbers), dtype=bool)
    at = np.minimum(np.searchsorted(members, numbers), len(members) - 1)
    found: np.ndarray = members[at] == numbers
    return found


@dataclass(frozen=True)
class Judgement:
    reason: np.ndarray  # index into REASONS per row, -1 = accepted
    warning_flags: np.ndarray  # int16 bitmask (WARNINGS order), 0 on rejected rows
    nik_number: np.ndarray  # int64, -1 where the NIK is not 16 digits
    nik_blocks: np.ndarray  # (n, 16) ASCII NIKs, for protecting the accepted ones
    kk_blocks: np.ndarray
    village_blocks: np.ndarray  # (n, 10) ASCII village codes, for the region code columns


def judge(batch: pa.RecordBatch, sets: Sets, snapshot_date: date) -> Judgement:
    """The first rejection reason of every row (or none) and the warnings of accepted rows."""
    col = batch.column
    ref_ymd = _ymd(snapshot_date)
    nik_f = fixed_numbers.read_nik(col("nik"), ref_ymd)
    kk_f = fixed_numbers.read_nik(col("kk"), ref_ymd, plus_forty=False)
    village_number, village_blocks = fixed_numbers.read_village(col("village"))
    birth = col("birth_date")
    nik_abroad = nik_f.region // 10_000 == 99

    def is_null(name: str) -> np.ndarray:
        nulls: np.ndarray = np.asarray(pc.is_null(col(name)))
        return nulls

    def empty(name: str) -> np.ndarray:
        return _np(pc.fill_null(pc.equal(pc.binary_length(col(name)), 0), True))

    def region_zero(region: np.ndarray) -> np.ndarray:
        zero: np.ndarray = ((region // 100) % 100 == 0) | (region % 100 == 0)
        return zero

    conditions = {
        "nik_missing": empty("nik"),
        "nik_non_digit": ~_np(pc.ascii_is_decimal(col("nik"))),
        "nik_length": ~nik_f.ok,
        "nik_province_unknown": ~nik_abroad & ~_flagged(nik_f.region // 10_000, sets.provinces),
        "nik_region_zero": ~nik_abroad & region_zero(nik_f.region),
        "nik_date_impossible": ~nik_f.date_ok,
        "nik_serial_zero": nik_f.serial_zero,
        "nik_duplicate": _member(nik_f.number, sets.duplicates),
        "kk_missing": empty("kk"),
        "kk_non_digit": ~_np(pc.ascii_is_decimal(col("kk"))),
        "kk_length": ~kk_f.ok,
        "kk_province_unknown": ~_flagged(kk_f.region // 10_000, sets.provinces) | region_zero(kk_f.region),
        "kk_date_impossible": ~kk_f.date_ok,
        "name_missing": empty("name"),
        "sex_invalid": is_null("sex"),
        "birth_date_invalid": is_null("birth_date"),
        "birth_date_future": _np(pc.greater(birth, pa.scalar(snapshot_date, pa.date32()))),
        "village_invalid": village_number < 0,
        "village_unknown": ~_member(village_number, sets.villages),
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

    birth_year = np.asarray(pc.fill_null(pc.year(birth), 0), dtype=np.int64)
    birth_month = np.asarray(pc.fill_null(pc.month(birth), 0), dtype=np.int64)
    birth_day = np.asarray(pc.fill_null(pc.day(birth), 0), dtype=np.int64)
    flags = {
        "nik_region_retired": ~nik_abroad
        & ~(_flagged(nik_f.region // 100, sets.regencies) & _flagged(nik_f.region, sets.districts)),
        "nik_abroad": nik_abroad,
        # Same day and month, and years a whole number of centuries apart (the NIK has 2 digits).
        "nik_birth_date_mismatch": (nik_f.day != birth_day)
        | (nik_f.month != birth_month)
        | ~np.isin(nik_f.year - birth_year, (-100, 0, 100)),
        "nik_sex_mismatch": nik_f.female != _np(pc.equal(col("sex"), "F")),
        "kk_region_retired": ~(
            _flagged(kk_f.region // 100, sets.regencies) & _flagged(kk_f.region, sets.districts)
        ),
    }
    bits = np.zeros(batch.num_rows, dtype=np.int16)
    for position, name in enumerate(WARNINGS):
        bits |= flags[name].astype(np.int16) << position
    return Judgement(
        reason,
        np.where(reason < 0, bits, 0).astype(np.int16),
        nik_f.number,
        nik_f.blocks,
        kk_f.blocks,
        village_blocks,
    )


REASONS = list(REJECTIONS)
REASON_NAMES = pa.array(REASONS, pa.string())
REASON_INDEX = {name: position for position, name in enumerate(REASONS)}


def _fixed(blocks: np.ndarray) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(blocks), [None, pa.py_buffer(blocks.tobytes())]
    )


def accepted_table(batch: pa.RecordBatch, verdict: Judgement) -> pa.Table:
    keep = verdict.reason < 0
    whole = bool(keep.all())
    rows = batch if whole else batch.filter(pa.array(keep))
    col = rows.column
    nik_blocks = verdict.nik_blocks if whole else verdict.nik_blocks[keep]
    kk_blocks = verdict.kk_blocks if whole else verdict.kk_blocks[keep]
    nik_index, nik_cipher = protect.protect_many(nik_blocks, "nik")
    kk_index, kk_cipher = protect.protect_many(kk_blocks, "kk")
    village = col("village")
    village_bytes = verdict.village_blocks if whole else verdict.village_blocks[keep]
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
            fixed_numbers.leading_text(village_bytes, 6),
            fixed_numbers.leading_text(village_bytes, 4),
            fixed_numbers.leading_text(village_bytes, 2),
            col("relationship"),
            col("employment_status"),
            pc.fill_null(occupation, ""),
            col("desil"),
            col("deceased"),
            col("jamsostek"),
            pa.array(verdict.warning_flags if whole else verdict.warning_flags[keep], pa.int16()),
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
    arrays += [subset.column(name) for name in COLUMNS]
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
    """Validate `source` and write the accepted persons and the rejects. Returns the tally.

    Duplicate NIKs can only be known once every row has been read, so the file is validated
    once assuming none; only a file that turns out to have some is validated again with
    them known (the same code path, so both passes judge rows identically)."""
    con = connect_batch()
    try:
        sets = Sets.build(known, np.zeros(0, dtype=np.int64))
        tally, niks = _validate_pass(con, source, sets, snapshot_date, outputs, progress)
        duplicates = _repeated(niks)
        if len(duplicates):
            sets = dataclasses.replace(sets, duplicates=duplicates)
            tally, _niks = _validate_pass(con, source, sets, snapshot_date, outputs, progress)
        malformed = _malformed_lines(con, source)
        _finish_rejects(con, outputs.work / "rejects.parquet", malformed, outputs.rejects)
        if malformed:
            tally.by_reason["row_malformed"] += len(malformed)
            tally.rows_in += len(malformed)
        return tally
    finally:
        con.close()


def _validate_pass(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    sets: Sets,
    snapshot_date: date,
    outputs: Outputs,
    progress: Callable[[int], None] | None,
) -> tuple[Tally, np.ndarray]:
    """One scan of the file: (the tally, the NIK numbers of every row with a well-formed NIK)."""
    con.execute("DROP TABLE IF EXISTS bad_lines")
    _source_view(con, source, rejects=source.format == "csv")
    tally = Tally()
    niks: list[np.ndarray] = []
    with (
        pq.ParquetWriter(outputs.persons, PERSON_SCHEMA, **PERSON_WRITE_OPTIONS) as persons,
        pq.ParquetWriter(outputs.work / "rejects.parquet", _reject_schema(), compression="none") as rejects,
        _Writes() as writes,
    ):
        try:
            with _Prefetch(con.sql("SELECT * FROM source").to_arrow_reader(BATCH_ROWS)) as batches:
                for raw in batches:
                    fields = normalise(raw)
                    verdict = judge(fields, sets, snapshot_date)
                    niks.append(verdict.nik_number[verdict.nik_number >= 0])
                    for writer, table in _tables(raw, fields, verdict, tally, persons, rejects):
                        writes.submit(writer, table)
                    if progress:
                        progress(raw.num_rows)
        except duckdb.Error as exc:
            raise BadInput(f"{source.path}: cannot read the file: {_first_line(exc)}") from None
    return tally, np.concatenate(niks) if niks else np.zeros(0, dtype=np.int64)


def _repeated(numbers: np.ndarray) -> np.ndarray:
    """The sorted distinct values that occur more than once."""
    ordered = np.sort(numbers)
    same = ordered[1:] == ordered[:-1]
    return np.unique(ordered[1:][same])


class _Prefetch:
    """The batches of a DuckDB reader, fetched on a background thread: DuckDB releases the
    GIL while it parses, so the next batch is read while this one is judged."""

    _DONE = object()

    def __init__(self, reader: pa.RecordBatchReader, depth: int = 2) -> None:
        self._reader = reader
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name="jaring-read", daemon=True)

    def _fetch(self) -> None:
        item: object = self._DONE
        try:
            for batch in self._reader:
                if self._stop.is_set():
                    return
                if batch.num_rows:
                    self._put(batch)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            item = exc
        self._put(item)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, pa.RecordBatch)
            yield item

    def __enter__(self) -> _Prefetch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Writes:
    """Parquet writes on a background thread (Arrow releases the GIL while encoding), so the
    next batch is read and judged meanwhile. At most a few tables wait, to bound memory."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jaring-write")
        self._pending: deque[Future[None]] = deque()

    def submit(self, writer: pq.ParquetWriter, table: pa.Table) -> None:
        while len(self._pending) >= 2:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(writer.write_table, table))

    def __enter__(self) -> _Writes:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True)


def _ymd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _reject_schema() -> pa.Schema:
    return pa.schema(
        [("line", pa.int64()), ("reason", pa.string())]
        + [(c, pa.string()) for c in COLUMNS]
        + [("original_line", pa.string())]
    )


def _tables(
    batch: pa.RecordBatch,
    fields: pa.RecordBatch,
    verdict: Judgement,
    tally: Tally,
    persons: pq.ParquetWriter,
    rejects: pq.ParquetWriter,
) -> Iterator[tuple[pq.ParquetWriter, pa.Table]]:
    """The accepted and rejected rows of one batch, each for its writer; counts them."""
    reason, flags = verdict.reason, verdict.warning_flags
    keep = reason < 0
    ordinals = np.arange(tally.rows_in + 1, tally.rows_in + batch.num_rows + 1, dtype=np.int64)
    tally.rows_in += batch.num_rows
    if keep.any():
        tally.accepted += int(keep.sum())
        for position, name in enumerate(WARNINGS):
            count = int(np.count_nonzero(flags[keep] & (1 << position)))
            if count:
                tally.warnings[name] += count
        yield persons, accepted_table(fields, verdict)
    if not keep.all():
        rows = ~keep
        codes, counts = np.unique(reason[rows], return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            tally.by_reason[REASONS[code]] += count
        yield rejects, rejected_table(batch, rows, reason, ordinals)


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
