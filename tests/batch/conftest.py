"""Fixtures for the batch engines: real DuckDB, real Spark (local mode, started once per test
session and shared), and small registry-like Parquet inputs with NULLs, 16-byte binary keys,
duplicates and ties."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from jaring.batch import BatchEngine, engine, spark_engine

VILLAGES = ["3171010001", "3171010002", "3172020001", "3273030001", "5171040001"]
BIRTHS = [
    date(2004, 2, 29),
    date(2000, 3, 10),
    date(2000, 3, 11),
    date(2000, 3, 9),
    date(1999, 12, 31),
    date(2000, 1, 1),
    date(2008, 2, 28),
    date(2008, 3, 1),
    date(1960, 7, 15),
    None,
    date(2010, 3, 10),
    date(2026, 3, 10),
    date(1966, 2, 28),
]
SPECIAL_KEYS = [
    b"\x00" * 16,
    b"\xff" * 16,
    b"\x80" + b"\x00" * 15,
    b"\x7f" + b"\xff" * 15,
    b"\x41" * 15 + b"\x01",
    b"\x41" * 15 + b"\xfe",
]

PERSON_SCHEMA = pa.schema(
    [
        ("nik_index", pa.binary(16)),
        ("kk_index", pa.binary(16)),
        ("name", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("village_code", pa.string()),
        ("regency_code", pa.string()),
        ("desil", pa.int8()),
        ("deceased", pa.bool_()),
        ("jamsostek", pa.int8()),
        ("warning_flags", pa.int16()),
        ("income", pa.int64()),
    ]
)
MEMBER_SCHEMA = pa.schema([("nik_index", pa.binary(16)), ("member_id", pa.int64()), ("status", pa.string())])
PAYMENT_SCHEMA = pa.schema([("member_id", pa.int64()), ("month", pa.string()), ("amount", pa.int64())])


@dataclass(frozen=True)
class Data:
    persons: list[dict[str, Any]]
    members: list[dict[str, Any]]
    payments: list[dict[str, Any]]
    paths: dict[str, Path]


def _make_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    rng = random.Random(20260310)
    households = [rng.randbytes(16) for _ in range(8)]
    persons = []
    for i in range(44):
        village = rng.choice(VILLAGES)
        persons.append(
            {
                "nik_index": SPECIAL_KEYS[i] if i < len(SPECIAL_KEYS) else rng.randbytes(16),
                "kk_index": rng.choice(households),
                "name": rng.choice(["Siti Nur'aini", "Budi", "Ñoño", "Made", "Wayan", "O'Brien"]),
                "sex": rng.choice(["L", "P"]),
                "birth_date": BIRTHS[i % len(BIRTHS)],
                "village_code": village,
                "regency_code": village[:4],
                "desil": rng.choice([1, 2, 2, 3, 4, 4, 5, 7, 10, None]),
                "deceased": rng.choice([False, False, False, True, None]),
                "jamsostek": rng.choice([0, 1, 2]),
                "warning_flags": rng.choice([0, 1, 2, 3, 6]),
                "income": rng.choice([None, 0, 750_000, 1_000_000, 2_500_000, 1_800_000_000]),
            }
        )
    members = []
    for i, person in enumerate(persons):
        if i % 2 == 0:
            members.append({"nik_index": person["nik_index"], "member_id": 1000 + i, "status": "aktif"})
    members.append({"nik_index": persons[0]["nik_index"], "member_id": 2000, "status": "nonaktif"})
    members.append({"nik_index": rng.randbytes(16), "member_id": 2001, "status": "aktif"})
    members.append({"nik_index": None, "member_id": 2002, "status": "aktif"})
    payments = []
    for member in members:
        for month in ("2026-01", "2026-02"):
            if member["member_id"] % 3:
                payments.append(
                    {
                        "member_id": member["member_id"],
                        "month": month,
                        "amount": rng.choice([16_800, 8_400, 2_000_000_000]),
                    }
                )
    return persons, members, payments


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Data:
    folder = tmp_path_factory.mktemp("inputs")
    persons, members, payments = _make_rows()
    paths = {}
    for name, rows, schema in (
        ("persons", persons, PERSON_SCHEMA),
        ("members", members, MEMBER_SCHEMA),
        ("payments", payments, PAYMENT_SCHEMA),
    ):
        paths[name] = folder / f"{name}.parquet"
        # Small row groups: several per file, as in a real snapshot.
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), paths[name], row_group_size=16)
    return Data(persons, members, payments, paths)


@pytest.fixture(scope="session")
def spark_work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Spark starts once for the whole run (it costs seconds); each test gets its own engine."""
    work = tmp_path_factory.mktemp("spark")
    engine("spark", work_dir=work).close()
    yield work
    spark_engine.stop()


@pytest.fixture
def spark(spark_work: Path) -> Iterator[BatchEngine]:
    with engine("spark", work_dir=spark_work) as batch:
        yield batch


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[BatchEngine]:
    with engine("duckdb", temp_dir=tmp_path / "duckdb", memory_limit="512MB", threads=2) as batch:
        yield batch


def _row_key(row: dict[str, Any]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is None, value) for value in row.values())


def _types(table: pa.Table) -> list[tuple[str, str]]:
    return [(field.name, str(field.type)) for field in table.schema]


@dataclass
class Pair:
    """The same statement on both engines."""

    duck: BatchEngine
    spark: BatchEngine

    def register(self, name: str, source: Path | pa.Table) -> None:
        for batch in (self.duck, self.spark):
            batch.register(name, source)

    def fetch(self, sql: str, params: dict[str, Any] | None = None) -> tuple[pa.Table, pa.Table]:
        return self.duck.fetch(sql, params), self.spark.fetch(sql, params)

    def agree(
        self, sql: str, params: dict[str, Any] | None = None, *, ordered: bool, types: bool = True
    ) -> list[dict[str, Any]]:
        """Both engines' complete results, equal (in order when the ORDER BY is total);
        with `types`, the column types too. Returns DuckDB's rows."""
        duck, spark = self.fetch(sql, params)
        assert duck.column_names == spark.column_names
        if types:
            assert _types(duck) == _types(spark)
        duck_rows, spark_rows = duck.to_pylist(), spark.to_pylist()
        if not ordered:
            duck_rows, spark_rows = sorted(duck_rows, key=_row_key), sorted(spark_rows, key=_row_key)
        assert duck_rows == spark_rows
        return duck_rows


@pytest.fixture
def both(duck: BatchEngine, spark: BatchEngine, data: Data) -> Pair:
    pair = Pair(duck, spark)
    for name, path in data.paths.items():
        pair.register(name, path)
    return pair
