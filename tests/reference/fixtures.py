"""Fixtures shared by the reference and API tests.

`loaded_url` is a store (SQLite, then PostgreSQL) with the full idn-area-data regions and
the operator's statistics, loaded once per session: 91,599 regions per test would make
the suite slow. Tests must not change it; error cases use `tiny_area` on a fresh store.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jaring.kit import config, db
from jaring.reference import load, stats

_counter = itertools.count()


@dataclass(frozen=True)
class Loaded:
    url: str
    result: load.LoadResult
    reference_dir: Path

    @property
    def has_stats(self) -> bool:
        return (self.reference_dir / "stats").is_dir()

    @property
    def has_geo(self) -> bool:
        return (self.reference_dir / "geo").is_dir()


_loaded: dict[str, Loaded] = {}
_cleanups: list[object] = []


def _pg_database(name: str) -> str:
    base = os.environ.get("JARING_TEST_PG_URL")
    if not base:
        if os.environ.get("JARING_REQUIRE_PG"):
            pytest.fail("JARING_TEST_PG_URL is not set; run the suite through scripts/with-postgres")
        pytest.skip("PostgreSQL not available (run through scripts/with-postgres)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        db.dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    _cleanups.append(drop)
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def load_once(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    # Kept for the whole process: pytest recreates a parametrised session fixture whenever the
    # parameter changes between tests, and the reference and API folders each declare it.
    if kind not in _loaded:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('loaded') / 'jaring.db'}"
        else:
            url = _pg_database(f"ref{os.getpid()}_{next(_counter)}")
        reference_dir = config.reference_dir()
        _loaded[kind] = Loaded(url, load.load_all(url, reference_dir=reference_dir), reference_dir)
    return _loaded[kind]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def loaded_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """A store with the full regions and the operator's statistics; read-only for tests."""
    if not _cleanups or _cleanups[0] is not _drop_all:
        _cleanups.insert(0, _drop_all)
        request.config.add_cleanup(_drop_all)
    return load_once(request.param, tmp_path_factory)


def _drop_all() -> None:
    for cleanup in _cleanups[1:]:
        cleanup()  # type: ignore[operator]
    _cleanups.clear()
    _loaded.clear()


TINY: dict[str, list[tuple[str, ...]]] = {
    "provinces.csv": [("code", "name"), ("11", "Aceh"), ("31", "DKI Jakarta")],
    "regencies.csv": [
        ("code", "province_code", "name"),
        ("11.01", "11", "Kabupaten Aceh Selatan"),
        ("31.71", "31", "Kota Administrasi Jakarta Pusat"),
        ("31.74", "31", "Kota  Administrasi Jakarta Selatan "),
    ],
    "districts.csv": [
        ("code", "regency_code", "name"),
        ("11.01.01", "11.01", "Bakongan"),
        ("31.74.01", "31.74", "Tebet"),
        ("31.74.02", "31.74", "Setiabudi"),
    ],
    "villages.csv": [
        ("code", "district_code", "name"),
        ("11.01.01.2001", "11.01.01", "Keude Bakongan"),
        ("31.74.01.1001", "31.74.01", "Tebet Barat"),
        ("31.74.01.1002", "31.74.01", "Tebet Timur"),
        ("31.74.02.1001", "31.74.02", "Setia_budi 100%"),
    ],
}


def write_csv(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


@pytest.fixture
def tiny_area(tmp_path: Path) -> Path:
    """A small, valid idn-area-data package: 2 provinces, 3 regencies, 3 districts, 4 villages."""
    package = tmp_path / "idn-area-data"
    for name, rows in TINY.items():
        write_csv(package / "data" / name, rows)
    (package / "package.json").write_text(json.dumps({"name": "idn-area-data", "version": "0.0.1-test"}))
    return package / "data"


@pytest.fixture(autouse=True)
def _fresh_code_cache() -> Iterator[None]:
    stats.clear_caches()
    yield
    stats.clear_caches()


def source_rows(name: str) -> list[dict[str, str]]:
    """Rows of one idn-area-data file, for expectations taken from the source itself."""
    with (config.area_data_dir() / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
