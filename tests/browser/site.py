"""The site the browser tests walk: one SQLite store per session with the regions of the whole
country, members in two regencies of two provinces, and an account per role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from jaring.api.app import create_app
from jaring.kit import config, db
from jaring.reference import stats
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    region: str | None = None


ACCOUNTS = {
    "national_admin": Login("admin", "admin-long-secret-1", "national_admin"),
    "province_officer": Login("prov", "prov-long-secret-1", "province_officer", "35"),
    "regency_officer": Login("rina", "rina-long-secret-1", "regency_officer", "3507"),
    "claims_officer": Login("budi", "budi-long-secret-1", "claims_officer", "3507"),
    "claims_supervisor": Login("citra", "citra-long-secret-1", "claims_supervisor", "3507"),
    "auditor": Login("audit", "audit-long-secret-1", "auditor"),
}


@dataclass
class Site:
    base: str
    url: str
    world: World


@contextmanager
def small_site(folder: Path) -> Iterator[Site]:
    from jaring.reference.load import load_all

    saved = {k: os.environ.get(k) for k in ("JARING_DATA_DIR", "JARING_DATABASE_URL")}
    url = f"sqlite:///{folder / 'jaring.db'}"
    os.environ["JARING_DATA_DIR"] = str(folder / "var")
    os.environ["JARING_DATABASE_URL"] = url
    try:
        load_all(url=url, with_stats=False)
        if (config.reference_dir() / "geo" / "provinces.geojson").is_file():
            # The real boundaries when the operator's reference data is there; the tile grid
            # of provinces otherwise (both draw 38 provinces).
            stats.import_boundaries(url)
        world = World(url)
        world.sponsor("KAB", "regency", "3507")
        paying = world.person(1, "3507010001", date(2026, 1, 10))
        world.person(2, "3507020002", date(2026, 1, 10), sponsor="KAB")
        world.person(3, "3171010003", date(2026, 1, 10))
        for person in world.people.values():
            bill_through(world, person, "2026-03")
        pay(world, paying, sum(charge_amounts(url, paying).values()), "2026-03-05")
        for login in ACCOUNTS.values():
            links = {"region_code": login.region} if login.region else {}
            make_account(url, login.username, login.role, password=login.password, **links)
        with serving(create_app(database_url=url)) as base:
            yield Site(base, url, world)
    finally:
        db.dispose_all()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def demo_site(folder: Path, persons: int = 10_000) -> Iterator[Site]:
    """The store `make run` loads (smaller): sponsors with targeting runs and scenarios, a year
    of bills and payments, claims in every state and the demo accounts."""
    from click.testing import CliRunner

    from jaring.cli import cli

    saved = {k: os.environ.get(k) for k in ("JARING_DATA_DIR", "JARING_DATABASE_URL")}
    url = f"sqlite:///{folder / 'demo.db'}"
    os.environ["JARING_DATA_DIR"] = str(folder / "var")
    os.environ["JARING_DATABASE_URL"] = url
    try:
        loaded = CliRunner().invoke(cli, ["demo", "load", "--persons", str(persons)], catch_exceptions=False)
        assert loaded.exit_code == 0, loaded.output
        with serving(create_app(database_url=url)) as base:
            yield Site(base, url, World(url))
    finally:
        db.dispose_all()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
