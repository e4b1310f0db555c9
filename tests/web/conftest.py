"""The web app's test site: a small world (a sponsor, three members in two regions, bills and a
payment) served over real HTTP, with an officer of one regency and a national admin."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx
import pytest

from jaring.api.app import create_app
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay


@pytest.fixture
def site(store_url: str, jaring_env: object) -> Iterator[tuple[httpx.Client, World]]:
    from jaring.reference.load import load_all

    load_all(url=store_url, with_stats=False)
    world = World(store_url)
    world.sponsor("KAB", "regency", "3507")
    paid = world.person(1, "3507010001", date(2026, 1, 10))
    world.person(2, "3507020002", date(2026, 1, 10), sponsor="KAB")
    world.person(3, "3171010003", date(2026, 1, 10))
    for person in world.people.values():
        bill_through(world, person, "2026-03")
    pay(world, paid, sum(charge_amounts(store_url, paid).values()), "2026-03-05")
    make_account(store_url, "rina", "regency_officer", password="rina-long-secret-1", region_code="3507")
    make_account(store_url, "admin", "national_admin", password="admin-long-secret-1")
    with (
        serving(create_app(database_url=store_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client, world


def _login(client: httpx.Client, username: str, password: str) -> None:
    answer = client.post("/login", data={"username": username, "password": password, "next": "/dashboard"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/dashboard"


def login(client: httpx.Client, username: str, password: str) -> None:
    answer = client.post("/login", data={"username": username, "password": password, "next": "/dashboard"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/dashboard"
