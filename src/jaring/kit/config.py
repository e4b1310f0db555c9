"""Settings read from the environment, each with a documented default."""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from pathlib import Path

from jaring.kit.periods import parse_date


def bpu_income_mode() -> str:
    """`listed` (default): a BPU income must be a transcribed Lampiran II level.
    `any`: accept any income of at least the lowest level, until the list is transcribed."""
    mode = os.environ.get("JARING_BPU_INCOME", "listed").strip().lower()
    if mode not in ("listed", "any"):
        raise ValueError(f"JARING_BPU_INCOME must be 'listed' or 'any', got {mode!r}")
    return mode


def allow_unconfirmed() -> bool:
    return os.environ.get("JARING_ALLOW_UNCONFIRMED", "").strip().lower() in ("1", "true", "yes")


@cache
def holidays() -> frozenset[date]:
    """National holidays from `JARING_HOLIDAYS` (one YYYY-MM-DD per line, `#` comments).

    Without the file only weekends move a due date; the official calendar (SKB
    tiga menteri) changes every year and is the operator's to provide.
    """
    path = os.environ.get("JARING_HOLIDAYS")
    if not path:
        return frozenset()
    days = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            days.add(parse_date(text))
    return frozenset(days)


def project_root() -> Path:
    """The checkout this package runs from (with `make`'s editable install)."""
    return _project_root()


def _project_root() -> Path:
    # src/jaring/kit/config.py → the checkout; meaningful for the editable install `make` does.
    return Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """Where Jaring keeps its own files (store, snapshots, reports, keys): `JARING_DATA_DIR`,
    default `var/` in the working directory."""
    return Path(os.environ.get("JARING_DATA_DIR", "var"))


def database_url() -> str:
    """`JARING_DATABASE_URL` (a SQLAlchemy URL); default an embedded SQLite file in the data dir."""
    url = os.environ.get("JARING_DATABASE_URL", "").strip()
    return url or f"sqlite:///{data_dir() / 'jaring.db'}"


def reference_dir() -> Path:
    """Operator-provided reference files (`stats/*.csv`, `geo/*.geojson`): `JARING_REFERENCE_DIR`,
    default `../shared/data` beside the checkout. Never copied into the repository."""
    configured = os.environ.get("JARING_REFERENCE_DIR", "").strip()
    return Path(configured) if configured else _project_root().parent / "shared" / "data"


def area_data_dir() -> Path:
    """The CSV files of the npm package `idn-area-data`: `JARING_AREA_DATA`, default the
    package `make install` puts in `node_modules/`."""
    configured = os.environ.get("JARING_AREA_DATA", "").strip()
    if configured:
        return Path(configured)
    for base in (Path.cwd(), _project_root()):
        candidate = base / "node_modules" / "idn-area-data" / "data"
        if candidate.is_dir():
            return candidate
    return _project_root() / "node_modules" / "idn-area-data" / "data"


def duckdb_memory_limit() -> str:
    """Ceiling for DuckDB batch work (`JARING_DUCKDB_MEMORY`, default 2GB); beyond it DuckDB spills."""
    return os.environ.get("JARING_DUCKDB_MEMORY", "2GB")
