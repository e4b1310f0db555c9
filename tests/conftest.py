"""Shared fixtures. `store_url` runs a test on both stores: embedded SQLite and PostgreSQL.

PostgreSQL comes from `scripts/with-postgres` (which `make unit` wraps around pytest) via
JARING_TEST_PG_URL; each test gets a database of its own. Under `make`, JARING_REQUIRE_PG=1
turns a missing server into a failure rather than a skip.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jaring.kit import db

_counter = itertools.count()

# Property tests judge results, not speed: on a loaded machine a slow draw or example is not
# a failure (speed is measured by bench/, never inside a test).
settings.register_profile("results", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("results")


def _postgres_url() -> str | None:
    url = os.environ.get("JARING_TEST_PG_URL")
    if not url:
        if os.environ.get("JARING_REQUIRE_PG"):
            pytest.fail("JARING_TEST_PG_URL is not set; run the suite through scripts/with-postgres")
        pytest.skip("PostgreSQL not available (run through scripts/with-postgres)")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jaring.db'}"
        yield url
        db.dispose_all()
        return
    base = _postgres_url()
    assert base is not None
    name = f"t{os.getpid()}_{next(_counter)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        db.dispose_all()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def jaring_env(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir and store for code that reads its settings from the environment."""
    data = tmp_path / "var"
    monkeypatch.setenv("JARING_DATA_DIR", str(data))
    monkeypatch.setenv("JARING_DATABASE_URL", store_url)
    return data
