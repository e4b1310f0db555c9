"""Bulk enrolment: a file of NIKs, the persons' details from a registry snapshot, every row
either enrolled or rejected with a reason, in one set-based pass.

The steps, none of them a loop of single inserts:

1. the file is read with Arrow (one thread, so malformed lines keep their line numbers);
2. NIKs are checked for form in numpy and protected (blind index, ciphertext) in one call;
3. DuckDB joins them with the snapshot's persons and assigns the first reason that applies;
4. a block of participant serials is reserved once and the rows go in with COPY
   (PostgreSQL) or one executemany (SQLite), `ON CONFLICT (nik_index) DO NOTHING`: the
   unique blind index is the final guard when another enrolment of the same person runs at
   the same time, and such a row is reported `already_member`;
5. terms and (with a sponsor) payer assignments follow as INSERT ... SELECT.

A batch is keyed by the SHA-256 of the file and the parameters; running it again returns the
stored report and changes nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    DateTime,
    Integer,
    SmallInteger,
    String,
    insert,
    literal,
    null,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from jaring.kit import audit, config, db, protect
from jaring.kit.auth import MEMBER, Principal, in_scope, require
from jaring.kit.errors import BadInput
from jaring.kit.nik import ABROAD_PREFIX
from jaring.kit.periods import Month
from jaring.membership import numbers, service
from jaring.membership.model import enrolment_batches, member_terms, members, payer_assignments
from jaring.membership.service import bad
from jaring.registry import fixed_numbers
from jaring.registry import service as registry
from jaring.sponsors.service import Sponsor

# The first reason that applies, in this order. Being outside the officer's area comes
# before being recorded as deceased, so that an officer learns nothing about people
# elsewhere; being a member comes last for the same reason.
REASONS: dict[str, tuple[str, str]] = {
    "row_malformed": ("Baris rusak (jumlah kolom salah)", "Malformed line (wrong number of fields)"),
    "nik_invalid": ("NIK tidak valid", "NIK is not a valid NIK"),
    "duplicate_in_file": ("NIK sudah ada di baris sebelumnya", "NIK repeats an earlier line of the file"),
    "not_in_snapshot": ("NIK tidak ada dalam snapshot registri", "NIK is not in the registry snapshot"),
    "outside_region": ("Tinggal di luar wilayah Anda", "Lives outside your area"),
    "deceased": ("Tercatat meninggal dunia", "Recorded as deceased"),
    "already_member": ("Sudah menjadi peserta", "Already a member"),
    "payer_conflict": (
        "Bulan yang sama sudah dibayar pemberi dana lain",
        "Another sponsor already pays some of these months",
    ),
}
INSERT_CHUNK = 100_000

Progress = Callable[[int, int], None]  # (rows done, rows in)


@dataclass(frozen=True)
class BulkReport:
    batch_id: int
    snapshot_id: str
    rows_in: int
    accepted: int  # enrolled + assigned_existing
    rejected: int
    by_reason: dict[str, int]
    enrolled: int
    # Rows already members who, with a sponsor given, were assigned to it instead of refused.
    assigned_existing: int
    first_participant_number: str | None
    last_participant_number: str | None
    registered_on: date
    rejects_path: str
    repeat: bool = False
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "snapshot_id": self.snapshot_id,
            "rows_in": self.rows_in,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "by_reason": self.by_reason,
            "enrolled": self.enrolled,
            "assigned_existing": self.assigned_existing,
            "first_participant_number": self.first_participant_number,
            "last_participant_number": self.last_participant_number,
            "registered_on": self.registered_on.isoformat(),
            "rejects_path": self.rejects_path,
            "repeat": self.repeat,
            "parameters": self.parameters,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, repeat: bool) -> BulkReport:
        return cls(
            batch_id=int(data["batch_id"]),
            snapshot_id=str(data["snapshot_id"]),
            rows_in=int(data["rows_in"]),
            accepted=int(data["accepted"]),
            rejected=int(data["rejected"]),
            by_reason={str(k): int(v) for k, v in data["by_reason"].items()},
            enrolled=int(data["enrolled"]),
            assigned_existing=int(data["assigned_existing"]),
            first_participant_number=data["first_participant_number"],
            last_participant_number=data["last_participant_number"],
            registered_on=date.fromisoformat(data["registered_on"]),
            rejects_path=str(data["rejects_path"]),
            repeat=repeat,
            parameters=dict(data.get("parameters") or {}),
        )


# The category of a list enrolled by blind index: each person's occupation in the snapshot.
FROM_SNAPSHOT = "from_snapshot"


def enrolment_dir() -> Path:
    return config.data_dir() / "enrolment"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Input:
    niks: pa.Array  # trimmed text, "" for an empty cell
    lines: np.ndarray  # file line of each row (the header is line 1)
    malformed: np.ndarray  # file lines that could not be read as a row


def _read_niks(path: Path) -> _Input:
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as packed:
                first = packed.readline()
        else:
            with path.open(encoding="utf-8-sig", newline="") as plain:
                first = plain.readline()
    except (OSError, UnicodeDecodeError, EOFError):
        raise BadInput(f"{path}: not a readable UTF-8 CSV file") from None
    header = next(csv.reader([first]), [])
    by_lower = {name.strip().lower(): name for name in header}
    if "nik" not in by_lower:
        shown = ", ".join(name.strip() for name in header[:20]) or "nothing"
        raise BadInput(f"{path}: the header has no 'nik' column (it has: {shown})")
    bad: list[int] = []

    def malformed(row: Any) -> str:
        bad.append(int(row.number) if row.number is not None else -1)
        return "skip"

    column = by_lower["nik"]
    try:
        table = pacsv.read_csv(
            path,
            # One thread, so a malformed row comes with its line number.
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=malformed),
            convert_options=pacsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()}, strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, OSError) as exc:
        # Arrow's message may quote a row, and a row holds a NIK: say only what kind of problem.
        kind = str(exc).split(":", 1)[0][:80]
        raise BadInput(f"{path}: the file cannot be read as CSV ({kind})") from None
    niks = pc.utf8_trim_whitespace(table.column(column).combine_chunks())
    total = len(niks) + len(bad)
    if total == 0:
        raise BadInput(f"{path}: the file has a header but no rows")
    all_lines = np.arange(2, total + 2, dtype=np.int64)
    known_bad = np.array(sorted(b for b in bad if b >= 0), dtype=np.int64)
    if len(known_bad) != len(bad):  # without a line number the rows cannot be told apart
        raise BadInput(f"{path}: {len(bad)} lines have the wrong number of fields; fix them and retry")
    lines = all_lines[~np.isin(all_lines, known_bad)]
    return _Input(niks=niks, lines=lines, malformed=known_bad)


def _valid_form(niks: pa.Array, today: date, provinces: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """(whether each NIK is well formed as kit.nik.parse_nik would judge it, its 16 ASCII
    bytes). The reference for these rules is parse_nik; tests compare the two."""
    fields = fixed_numbers.read_nik(niks, today.year * 10_000 + today.month * 100 + today.day)
    region = fields.region
    known = np.zeros(100, dtype=bool)
    known[[int(p) for p in provinces if len(p) == 2 and p.isdigit()]] = True
    province = np.where(region >= 0, region // 10_000, 0)
    abroad = province == int(ABROAD_PREFIX)
    region_ok = abroad | (known[province] & ((region // 100) % 100 != 0) & (region % 100 != 0))
    valid: np.ndarray = fields.ok & region_ok & fields.date_ok & ~fields.serial_zero
    return valid, fields.blocks


def _fixed(values: np.ndarray) -> pa.Array:
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(16), len(values), [None, pa.py_buffer(values.tobytes())]
    )


# --------------------------------------------------------------------------- matching


def _duckdb() -> duckdb.DuckDBPyConnection:
    spill = config.data_dir() / "tmp" / "duckdb"
    spill.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": config.duckdb_memory_limit()})
    con.execute(f"SET temp_directory = '{_quote(str(spill))}'")
    con.execute("SET enable_progress_bar = false")
    return con


def _quote(text: str) -> str:
    return text.replace("'", "''")


def _scope_sql(principal: Principal) -> str:
    if principal.national:
        return "TRUE"
    code = principal.region_code
    if principal.role == MEMBER or code is None or not code.isdigit():
        return "FALSE"
    return f"starts_with(p.village_code, '{code}')"


def _match(
    principal: Principal, persons: Path, lines: np.ndarray, indexes: np.ndarray, ciphers: np.ndarray | None
) -> pa.Table:
    """Each well-formed row with its person's details and its first reason (NULL: accepted
    so far), ordered by line. Without `ciphers` (rows known by blind index only) the
    snapshot's ciphertext is taken: the same key protected both."""
    cipher = pa.nulls(len(lines), pa.binary(16)) if ciphers is None else _fixed(ciphers)
    rows = pa.table({"line": pa.array(lines), "nik_index": _fixed(indexes), "nik_cipher": cipher})
    con = _duckdb()
    try:
        con.register("v", rows)
        result: pa.Table = con.sql(
            f"""
            WITH numbered AS (
                SELECT *, row_number() OVER (PARTITION BY nik_index ORDER BY line) AS copy FROM v
            ), p AS (
                SELECT nik_index, nik_cipher, name, birth_date, sex, village_code, deceased, occupation
                FROM read_parquet('{_quote(str(persons))}')
            )
            SELECT n.line,
                   lower(hex(n.nik_index)) AS nik_hex,
                   COALESCE(n.nik_cipher, p.nik_cipher) AS nik_cipher,
                   lower(hex(COALESCE(n.nik_cipher, p.nik_cipher))) AS cipher_hex,
                   COALESCE(NULLIF(p.occupation, ''), 'other') AS occupation,
                   left(p.name, 200) AS name,
                   p.birth_date,
                   CASE p.sex WHEN 'F' THEN 'P' WHEN 'M' THEN 'L' END AS sex,
                   p.village_code AS region_code,
                   CASE
                       WHEN n.copy > 1 THEN 'duplicate_in_file'
                       WHEN p.nik_index IS NULL THEN 'not_in_snapshot'
                       WHEN NOT ({_scope_sql(principal)}) THEN 'outside_region'
                       WHEN p.deceased THEN 'deceased'
                   END AS reason
            FROM numbered n LEFT JOIN p ON p.nik_index = n.nik_index
            ORDER BY n.line
            """
        ).to_arrow_table()
        return result
    finally:
        con.close()


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Batch:
    id: int
    segment: str
    category: str
    sector: str
    registered_on: date
    now: datetime


_MEMBER_COLUMNS = (
    "id",
    "participant_number",
    "nik_index",
    "nik_cipher",
    "name",
    "birth_date",
    "sex",
    "segment",
    "category",
    "sector",
    "region_code",
    "registered_on",
    "channel",
    "batch_id",
    "created_at",
)


def _insert_members(
    conn: Connection, rows: pa.Table, batch: _Batch, progress: Callable[[int], None] | None
) -> None:
    """`rows`: id, participant_number, nik_hex, nik_cipher, name, birth_date, sex,
    region_code, category. A NIK that is a member already (or becomes one in a concurrent
    enrolment) is skipped, not an error."""
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_members(conn, rows, batch, progress)
        return
    sql = (
        f"INSERT INTO members ({', '.join(_MEMBER_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_MEMBER_COLUMNS))}) ON CONFLICT (nik_index) DO NOTHING"
    )
    fixed = (
        batch.segment,
        batch.sector,
        batch.registered_on.isoformat(),
        "bulk",
        batch.id,
        # As SQLAlchemy stores a DateTime on SQLite.
        batch.now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
    )
    for start in range(0, rows.num_rows, INSERT_CHUNK):
        part = rows.slice(start, INSERT_CHUNK)
        columns = [
            part.column("id").to_pylist(),
            part.column("participant_number").to_pylist(),
            part.column("nik_hex").to_pylist(),
            part.column("nik_cipher").to_pylist(),
            part.column("name").to_pylist(),
            pc.cast(part.column("birth_date"), pa.string()).to_pylist(),
            part.column("sex").to_pylist(),
            part.column("region_code").to_pylist(),
            part.column("category").to_pylist(),
        ]
        conn.exec_driver_sql(
            sql,
            [
                (i, pn, idx, ci, nm, bd, sx, fixed[0], cat, fixed[1], rc, *fixed[2:])
                for i, pn, idx, ci, nm, bd, sx, rc, cat in zip(*columns, strict=True)
            ],
        )
        if progress:
            progress(part.num_rows)


def _copy_members(
    conn: Connection, rows: pa.Table, batch: _Batch, progress: Callable[[int], None] | None
) -> None:
    # COPY cannot skip conflicting rows, so it fills a staging table that one INSERT ... SELECT
    # ... ON CONFLICT moves into members.
    conn.exec_driver_sql(
        "CREATE TEMP TABLE enrolment_staging (id bigint, participant_number varchar(11), "
        "nik_index varchar(32), nik_cipher bytea, name varchar(200), birth_date date, sex varchar(1), "
        "region_code varchar(10), category varchar(40)) ON COMMIT DROP"
    )
    staged = pa.table(
        {
            "id": rows.column("id"),
            "participant_number": rows.column("participant_number"),
            "nik_index": rows.column("nik_hex"),
            # bytea's hex input form
            "nik_cipher": pc.binary_join_element_wise("\\x", rows.column("cipher_hex"), ""),
            "name": rows.column("name"),
            "birth_date": rows.column("birth_date"),
            "sex": rows.column("sex"),
            "region_code": rows.column("region_code"),
            "category": rows.column("category"),
        }
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy("COPY enrolment_staging FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, staged.num_rows, INSERT_CHUNK):
            part = staged.slice(start, INSERT_CHUNK)
            buffer = io.BytesIO()
            pacsv.write_csv(part, buffer, pacsv.WriteOptions(include_header=False))
            copy.write(buffer.getvalue())
            if progress:
                progress(part.num_rows)
    conn.exec_driver_sql(
        f"INSERT INTO members ({', '.join(_MEMBER_COLUMNS)}) "
        "SELECT id, participant_number, nik_index, nik_cipher, name, birth_date, sex, "
        "%(segment)s, category, %(sector)s, region_code, %(registered_on)s, 'bulk', %(batch)s, %(now)s "
        "FROM enrolment_staging ORDER BY id ON CONFLICT (nik_index) DO NOTHING",
        {
            "segment": batch.segment,
            "sector": batch.sector,
            "registered_on": batch.registered_on,
            "batch": batch.id,
            "now": batch.now,
        },
    )
    conn.exec_driver_sql("DROP TABLE enrolment_staging")


# --------------------------------------------------------------------------- the use case


def _parameters(
    *,
    snapshot_id: str,
    category: str,
    segment: str,
    sector: str,
    programs: Sequence[str],
    income: int,
    sponsor_id: int | None,
    from_month: Month | None,
    months: int | None,
    registered_on: date | None,
) -> dict[str, Any]:
    return {
        "snapshot_id": snapshot_id,
        "category": category,
        "segment": segment,
        "sector": sector,
        "programs": sorted({p.strip().lower() for p in programs if p.strip()}),
        "income": income,
        "sponsor_id": sponsor_id,
        "from_month": None if from_month is None else str(from_month),
        "months": months,
        # Only a date given explicitly is part of the key: re-running a file on another day
        # with the default (today) is still the same request.
        "registered_on": None if registered_on is None else registered_on.isoformat(),
    }


def _stored(key: str, url: str | None) -> BulkReport | None:
    with db.store(url).connect() as conn:
        row = conn.execute(select(enrolment_batches.c.report).where(enrolment_batches.c.key == key)).first()
    if row is None or not row.report:
        return None
    return BulkReport.from_json(dict(row.report), repeat=True)


@dataclass(frozen=True)
class _Request:
    """A bulk enrolment's parameters, checked."""

    registered: date
    category: str
    segment: str
    sector: str
    income: int
    bits: int
    span: tuple[date, date] | None
    sponsor: Sponsor | None
    snapshot_id: str
    persons: Path
    parameters: dict[str, Any]


def _request(
    principal: Principal,
    *,
    snapshot: str,
    category: str,
    segment: str,
    sector: str,
    programs: Sequence[str],
    income: int,
    sponsor_id: int | None,
    from_month: Month | None,
    months: int | None,
    registered_on: date | None,
    url: str | None,
) -> _Request:
    today = date.today()
    registered = registered_on or today
    if registered > today:
        raise bad("registered_on", "cannot be in the future")
    category = service.check_category(category)
    bits = service.check_terms(
        segment=segment, programs=programs, income=income, sector=sector, month=Month.of(registered)
    )
    span: tuple[date, date] | None = None
    sponsor: Sponsor | None = None
    if (sponsor_id, from_month, months) != (None, None, None):
        require(principal, "payer.assign")
        if sponsor_id is None or from_month is None or months is None:
            raise BadInput("a sponsor needs all three of: sponsor, from_month and months")
        if from_month < Month.of(registered):
            raise bad(
                "from_month",
                f"the members are registered in {Month.of(registered)}; a sponsor can pay "
                "from the registration month on",
            )
        if not 1 <= months <= service.MAX_PAYER_MONTHS:
            raise bad("months", f"must be between 1 and {service.MAX_PAYER_MONTHS}")
        span = (from_month.first_day, from_month.plus(months).first_day)
        with db.store(url).connect() as conn:
            sponsor = service.visible_sponsor_in(conn, principal, sponsor_id)
    snap = registry.get_snapshot(snapshot, url)
    persons = Path(snap.path)
    if not persons.is_file():
        raise BadInput(f"snapshot {snap.snapshot_id}: its persons file is missing from {persons.parent}")
    parameters = _parameters(
        snapshot_id=snap.snapshot_id,
        category=category,
        segment=segment,
        sector=sector,
        programs=programs,
        income=income,
        sponsor_id=sponsor_id,
        from_month=from_month,
        months=months,
        registered_on=registered_on,
    )
    return _Request(
        registered,
        category,
        segment,
        sector,
        income,
        bits,
        span,
        sponsor,
        snap.snapshot_id,
        persons,
        parameters,
    )


def enrol_bulk(
    *,
    principal: Principal,
    nik_file: Path,
    snapshot: str,
    category: str,
    segment: str = "bpu",
    sector: str = "other",
    programs: Sequence[str] = ("jkk", "jkm"),
    income: int = 1_000_000,
    sponsor_id: int | None = None,
    from_month: Month | None = None,
    months: int | None = None,
    registered_on: date | None = None,
    url: str | None = None,
    progress: Progress | None = None,
) -> BulkReport:
    """Enrol the persons whose NIKs are in `nik_file` (a CSV with a `nik` column), taking
    their details from a registry snapshot; with a sponsor, make it their payer of record for
    [from_month, from_month + months). Every row is enrolled or rejected with a reason."""
    require(principal, "member.enrol")
    req = _request(
        principal, snapshot=snapshot, category=category, segment=segment, sector=sector, programs=programs,
        income=income, sponsor_id=sponsor_id, from_month=from_month, months=months,
        registered_on=registered_on, url=url,
    )  # fmt: skip
    if not nik_file.is_file():
        raise BadInput(f"{nik_file}: no such file")
    key = hashlib.sha256(
        (registry.file_sha256(nik_file) + json.dumps(req.parameters, sort_keys=True)).encode()
    ).hexdigest()
    stored = _stored(key, url)
    if stored is not None:
        return stored

    from jaring.reference.stats import known_codes

    source = _read_niks(nik_file)
    valid, blocks = _valid_form(source.niks, date.today(), known_codes(url).provinces)
    registry.check_snapshot_key(req.persons)
    indexes, ciphers = protect.protect_many(blocks[valid])
    return _enrol(principal, req, key, source, valid, indexes, ciphers, url, progress)


def enrol_indexed(
    *,
    principal: Principal,
    indexes: np.ndarray,
    source_key: str,
    snapshot: str,
    programs: Sequence[str],
    income: int,
    sponsor_id: int,
    from_month: Month,
    months: int,
    registered_on: date | None = None,
    url: str | None = None,
    progress: Progress | None = None,
) -> BulkReport:
    """Enrol persons known by blind index (`indexes`: n x 16 bytes), such as a budget
    scenario's funded list, with the sponsor as payer of record: their details and their
    category (their occupation) come from the snapshot. Row i is reported as line i + 2, as
    if read from a file with a header. `source_key` names the list, so a repeat changes
    nothing and returns the first report."""
    require(principal, "member.enrol")
    req = _request(
        principal, snapshot=snapshot, category=FROM_SNAPSHOT, segment="bpu", sector="other",
        programs=programs, income=income, sponsor_id=sponsor_id, from_month=from_month, months=months,
        registered_on=registered_on, url=url,
    )  # fmt: skip
    n = len(indexes)
    if n == 0:
        raise BadInput("nobody to enrol: the list is empty")
    key = hashlib.sha256(
        (f"indexed:{source_key}" + json.dumps(req.parameters, sort_keys=True)).encode()
    ).hexdigest()
    stored = _stored(key, url)
    if stored is not None:
        return stored
    source = _Input(
        niks=pa.array([""] * n, pa.string()),
        lines=np.arange(2, n + 2, dtype=np.int64),
        malformed=np.zeros(0, dtype=np.int64),
    )
    registry.check_snapshot_key(req.persons)
    return _enrol(principal, req, key, source, np.ones(n, dtype=bool), indexes, None, url, progress)


def _enrol(
    principal: Principal,
    req: _Request,
    key: str,
    source: _Input,
    valid: np.ndarray,
    indexes: np.ndarray,
    ciphers: np.ndarray | None,
    url: str | None,
    progress: Progress | None,
) -> BulkReport:
    """The set-based enrolment of the rows of `source` (their blind indexes given)."""
    rows_in = len(source.lines) + len(source.malformed)
    matched = _match(principal, req.persons, source.lines[valid], indexes, ciphers)
    if progress:
        progress(0, rows_in)

    pending = matched.filter(pc.is_null(matched.column("reason")))
    pending_hex: list[str] = pending.column("nik_hex").to_pylist()
    with db.transaction(url) as conn:
        existing = _existing_in(conn, pending_hex)
    fresh = pending.filter(
        pc.invert(pc.is_in(pending.column("nik_hex"), value_set=pa.array(list(existing), pa.string())))
    )
    k = fresh.num_rows
    first = 0
    if k:
        # Its own short transaction: the counter row is not held for the whole batch, so
        # single enrolments carry on meanwhile. A failed batch leaves a gap, which is harmless.
        with db.transaction(url) as conn:
            first = numbers.reserve_serials(conn, k)
    serials = np.arange(first, first + k, dtype=np.int64)
    staged = pa.table(
        {
            "id": pa.array(serials),
            "participant_number": pa.array(numbers.participant_numbers(serials), pa.string()),
            "nik_hex": fresh.column("nik_hex"),
            "nik_cipher": fresh.column("nik_cipher"),
            "cipher_hex": fresh.column("cipher_hex"),
            "name": fresh.column("name"),
            "birth_date": fresh.column("birth_date"),
            "sex": fresh.column("sex"),
            "region_code": fresh.column("region_code"),
            "category": fresh.column("occupation")
            if req.category == FROM_SNAPSHOT
            else pa.array([req.category] * k, pa.string()),
        }
    )
    done = rows_in - k

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, rows_in)

    folder: Path | None = None
    try:
        with db.transaction(url) as conn:
            now = datetime.now(UTC)
            batch_id = int(
                conn.execute(
                    insert(enrolment_batches)
                    .values(key=key, created_at=now, actor=principal.actor, rows_in=rows_in, accepted=0,
                            rejected=0, report={})
                    .returning(enrolment_batches.c.id)
                ).scalar_one()
            )  # fmt: skip
            batch = _Batch(batch_id, req.segment, req.category, req.sector, req.registered, now)
            _insert_members(conn, staged, batch, advance)
            in_batch = (members.c.id >= first) & (members.c.id < first + k) & (members.c.batch_id == batch_id)
            inserted = np.array(
                conn.execute(select(members.c.id).where(in_batch)).scalars().all(), dtype=np.int64
            )
            _insert_terms(conn, in_batch, Month.of(req.registered), req.income, req.bits, now)
            if req.span is not None and req.sponsor is not None:
                _insert_payers(conn, in_batch, req.sponsor.id, req.span, now, principal.actor)
            # Fresh rows that did not go in were enrolled meanwhile by someone else.
            late = pc.filter(staged.column("nik_hex"), pa.array(~np.isin(serials, inserted))).to_pylist()
            existing.update(_members_by_index_in(conn, late))
            outcome = _settle_existing(conn, principal, existing, req.sponsor, req.span)
            settled = [(h, r) for h, r in outcome.items() if r != "assigned"]
            settled_rows = pending.filter(
                pc.is_in(pending.column("nik_hex"), value_set=pa.array([h for h, _ in settled], pa.string()))
            )
            settled_reason = dict(settled)
            refused = matched.filter(pc.is_valid(matched.column("reason")))
            rejects = _rejects_table(
                source,
                valid,
                refused.column("line").to_numpy(),
                refused.column("reason"),
                settled_rows.column("line").to_numpy(),
                pa.array(
                    [settled_reason[h] for h in settled_rows.column("nik_hex").to_pylist()], pa.string()
                ),
            )
            folder = enrolment_dir() / str(batch_id)
            rejects_path = _write_rejects(folder, rejects)
            counts = Counter(rejects.column("reason").to_pylist())
            by_reason = {reason: counts[reason] for reason in REASONS if counts[reason]}
            enrolled = len(inserted)
            assigned_existing = sum(1 for result in outcome.values() if result == "assigned")
            accepted = enrolled + assigned_existing
            rejected = rejects.num_rows
            if rows_in != accepted + rejected:  # an invariant, not user input
                raise AssertionError(f"row accounting broken: {rows_in} != {accepted} + {rejected}")
            report = BulkReport(
                batch_id=batch_id,
                snapshot_id=req.snapshot_id,
                rows_in=rows_in,
                accepted=accepted,
                rejected=rejected,
                by_reason=by_reason,
                enrolled=enrolled,
                assigned_existing=assigned_existing,
                first_participant_number=numbers.participant_number(int(inserted.min()))
                if enrolled
                else None,
                last_participant_number=numbers.participant_number(int(inserted.max())) if enrolled else None,
                registered_on=req.registered,
                rejects_path=str(rejects_path),
                parameters=req.parameters,
            )
            conn.execute(
                update(enrolment_batches)
                .where(enrolment_batches.c.id == batch_id)
                .values(accepted=accepted, rejected=rejected, report=report.to_json())
            )
            summary = {k: v for k, v in report.to_json().items() if k not in ("rejects_path", "repeat")}
            if req.sponsor is not None:
                summary["sponsor"] = req.sponsor.code
            audit.record(
                conn,
                actor=principal.actor,
                action="member.enrol_bulk",
                entity="enrolment_batch",
                entity_id=str(batch_id),
                region_code=principal.region_code,
                after=summary,
            )
    except IntegrityError:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        # The same file and parameters committed by a concurrent run: theirs is the batch.
        stored = _stored(key, url)
        if stored is None:
            raise
        return stored
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    if progress:
        progress(rows_in, rows_in)
    return report


def _insert_terms(
    conn: Connection, in_batch: Any, month: Month, income: int, bits: int, now: datetime
) -> None:
    conn.execute(
        insert(member_terms).from_select(
            ["member_id", "valid_from", "valid_to", "income", "programs", "created_at"],
            select(
                members.c.id,
                literal(month.first_day, Date),
                null(),
                literal(income, BigInteger),
                literal(bits, SmallInteger),
                literal(now, DateTime(timezone=True)),
            ).where(in_batch),
        )
    )


def _insert_payers(
    conn: Connection, in_batch: Any, sponsor_id: int, span: tuple[date, date], now: datetime, actor: str
) -> None:
    conn.execute(
        insert(payer_assignments).from_select(
            ["member_id", "sponsor_id", "from_month", "to_month", "created_at", "created_by"],
            select(
                members.c.id,
                literal(sponsor_id, Integer),
                literal(span[0], Date),
                literal(span[1], Date),
                literal(now, DateTime(timezone=True)),
                literal(actor, String),
            ).where(in_batch),
        )
    )


def _existing_in(conn: Connection, nik_hex: list[str]) -> dict[str, tuple[int, str]]:
    """The members among these blind indexes: index → (member id, region). The indexes go
    into a temporary table and one join answers, however many there are."""
    if not nik_hex:
        return {}
    conn.exec_driver_sql("CREATE TEMP TABLE enrolment_candidates (nik_index varchar(32) NOT NULL)")
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy("COPY enrolment_candidates FROM STDIN") as copy:
            for start in range(0, len(nik_hex), INSERT_CHUNK):
                copy.write(("\n".join(nik_hex[start : start + INSERT_CHUNK]) + "\n").encode("ascii"))
    else:
        conn.exec_driver_sql("INSERT INTO enrolment_candidates VALUES (?)", [(h,) for h in nik_hex])
    found = {
        str(row[0]): (int(row[1]), str(row[2]))
        for row in conn.exec_driver_sql(
            "SELECT m.nik_index, m.id, m.region_code FROM enrolment_candidates c "
            "JOIN members m ON m.nik_index = c.nik_index"
        )
    }
    conn.exec_driver_sql("DROP TABLE enrolment_candidates")
    return found


def _members_by_index_in(conn: Connection, nik_hex: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in service.chunks(nik_hex):
        for row in conn.execute(
            select(members.c.nik_index, members.c.id, members.c.region_code).where(
                members.c.nik_index.in_(chunk)
            )
        ):
            found[str(row.nik_index)] = (int(row.id), str(row.region_code))
    return found


def _settle_existing(
    conn: Connection,
    principal: Principal,
    existing: dict[str, tuple[int, str]],
    sponsor: Sponsor | None,
    span: tuple[date, date] | None,
) -> dict[str, str]:
    """What becomes of each row whose person is a member already: "already_member", or with
    a sponsor "assigned" (a sponsor knows its people by NIK, not by participant number, so
    it may take over members paying for themselves) or "payer_conflict" when another
    sponsor holds some of those months. Members outside the officer's area stay
    "already_member", so nothing about them is revealed."""
    outcome = dict.fromkeys(existing, "already_member")
    if sponsor is None or span is None:
        return outcome
    ids = {member_id: h for h, (member_id, region) in existing.items() if in_scope(principal, region)}
    if not ids:
        return outcome
    plan = service.plan_payers_in(conn, list(ids), sponsor.id, span[0], span[1])
    conflicted = {member_id for member_id, *_ in plan.conflicts}
    service.insert_payers_in(conn, plan.insert, sponsor.id, principal.actor)
    for member_id, nik_hex in ids.items():
        outcome[nik_hex] = "payer_conflict" if member_id in conflicted else "assigned"
    return outcome


def _rejects_table(
    source: _Input,
    valid: np.ndarray,
    refused_lines: np.ndarray,
    refused_reasons: pa.ChunkedArray,
    settled_lines: np.ndarray,
    settled_reasons: pa.Array,
) -> pa.Table:
    """line, reason and the NIK masked of every rejected row, by line."""
    malformed = len(source.malformed)
    invalid_lines = source.lines[~valid]
    later = np.concatenate([invalid_lines, refused_lines, settled_lines]).astype(np.int64)
    # Rows that were read have their text at their position in the file's rows.
    niks = pc.take(source.niks, pa.array(np.searchsorted(source.lines, later)))
    table = pa.table(
        {
            "line": pa.array(np.concatenate([source.malformed, later]).astype(np.int64)),
            "reason": pa.concat_arrays(
                [
                    pa.array(
                        ["row_malformed"] * malformed + ["nik_invalid"] * len(invalid_lines), pa.string()
                    ),
                    refused_reasons.combine_chunks().cast(pa.string()),
                    settled_reasons,
                ]
            ),
            "nik_masked": pa.concat_arrays([pa.array([""] * malformed, pa.string()), _mask(niks)]),
        }
    )
    return table.sort_by("line")


def _mask(niks: pa.Array) -> pa.Array:
    """kit.nik.mask of each value: the first six characters kept, the rest starred."""
    length = pc.utf8_length(niks)
    stars = pc.binary_repeat(pa.scalar("*"), pc.subtract(length, pc.min_element_wise(length, 6)))
    masked = pc.if_else(
        pc.greater(length, 6),
        pc.binary_join_element_wise(pc.utf8_slice_codeunits(niks, 0, 6), stars, ""),
        pc.binary_repeat(pa.scalar("*"), length),
    )
    return masked


def _write_rejects(folder: Path, rejects: pa.Table) -> Path:
    """The rejects file, readable by the owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "rejects.csv"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        pacsv.write_csv(rejects, handle, pacsv.WriteOptions(quoting_style="needed"))
    return path
