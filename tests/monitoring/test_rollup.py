"""The coverage roll-up says what counting the members says: after a full build, after the
triggers mark the regencies a payment, a payer or a move changed, and in a new month; and a
refresh recounts only what was marked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from jaring.contributions.coverage import counts_by_region_in
from jaring.kit import db
from jaring.kit.periods import Month
from jaring.membership.model import members
from jaring.monitoring import rollup
from jaring.monitoring.model import rollup_dirty
from tests.contributions.billing_fixtures import FIRST_ID, Person, World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay

TODAY = date.today()
THIS = Month.of(TODAY)


@pytest.fixture
def world(store_url: str, jaring_env: object) -> World:
    world = World(store_url)
    world.sponsor("KAB", "regency", "3507")
    start = THIS.plus(-8).first_day
    world.person(1, "3507010001", start)  # pays everything: active
    world.person(2, "3507020002", start, sponsor="KAB")  # the sponsor's, unpaid
    world.person(3, "3507020003", start)  # never pays
    world.person(4, "3578010004", start)  # paid up to four months ago
    world.person(5, "3171010005", start)  # paid up to two months ago
    world.person(6, "3507010006", start, segment="pu")  # a wage earner: not a BPU figure
    for person in world.people.values():
        bill_through(world, person, str(THIS))
    _pay_through(world, world.people[world_id(1)], THIS)
    _pay_through(world, world.people[world_id(4)], THIS.plus(-4))
    _pay_through(world, world.people[world_id(5)], THIS.plus(-2))
    return world


def world_id(serial: int) -> int:
    return FIRST_ID + serial


def _pay_through(world: World, person: Person, last: Month, after: Month | None = None) -> None:
    owed = sum(
        amount
        for month, amount in charge_amounts(world.url, person).items()
        if Month.parse(month) <= last and (after is None or Month.parse(month) > after)
    )
    pay(world, person, owed, TODAY.isoformat())


def _both(url: str, prefix: str, length: int) -> tuple[dict[str, object], dict[str, object]]:
    with db.reading(url) as conn:
        rolled = rollup.counts_by_region_in(conn, prefix, length, TODAY)
        counted = counts_by_region_in(conn, prefix, length, TODAY)
    return {k: vars(v) for k, v in rolled.items()}, {k: vars(v) for k, v in counted.items()}


def _dirty(url: str) -> set[str]:
    with db.reading(url) as conn:
        return {row[0] for row in conn.execute(select(rollup_dirty.c.regency))}


def test_the_rollup_says_what_counting_the_members_says(world: World) -> None:
    assert rollup.refresh(world.url) == rollup.Refreshed("full", 3)
    for prefix, length in (("", 2), ("35", 4), ("3507", 4), ("31", 4)):
        rolled, counted = _both(world.url, prefix, length)
        assert rolled == counted, prefix
    rolled, _ = _both(world.url, "", 2)
    assert sum(r["members"] for r in rolled.values()) == 5  # type: ignore[misc]  # the wage earner is not one
    assert rolled["35"]["sponsored"] + rolled["35"]["active"] >= 1  # type: ignore[operator]
    assert rollup.refresh(world.url) == rollup.Refreshed("none", 0)


def test_a_payment_marks_its_regency_and_a_refresh_recounts_only_it(world: World) -> None:
    rollup.refresh(world.url)
    before, _ = _both(world.url, "35", 4)
    late = world.people[world_id(4)]
    _pay_through(world, late, THIS, after=THIS.plus(-4))  # the months still owed
    assert _dirty(world.url) == {"3578"}
    assert rollup.refresh(world.url) == rollup.Refreshed("regencies", 1)
    after, counted = _both(world.url, "35", 4)
    assert after == counted
    assert after["3578"] != before["3578"]
    assert after["3507"] == before["3507"]
    assert _dirty(world.url) == set()


def test_a_move_marks_both_regencies(world: World) -> None:
    rollup.refresh(world.url)
    with db.transaction(world.url) as conn:
        conn.execute(update(members).where(members.c.id == world_id(3)).values(region_code="3578020003"))
    assert _dirty(world.url) == {"3507", "3578"}
    assert rollup.refresh(world.url) == rollup.Refreshed("regencies", 2)
    rolled, counted = _both(world.url, "35", 4)
    assert rolled == counted


def test_a_new_month_rebuilds_everything(world: World) -> None:
    rollup.refresh(world.url)
    assert rollup.refresh(world.url, THIS.plus(1).first_day).kind == "full"
    assert not rollup.serves(THIS.plus(-1).first_day)
    assert rollup.serves(TODAY)
