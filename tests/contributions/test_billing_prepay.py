"""Prepayment (a self-paying BPU member billed months ahead) and `ensure_charges_in` (a single
member billed up to a month, inside another service's transaction)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from jaring.contributions.billing import ensure_charges_in, prepay, run_billing
from jaring.contributions.model import charges
from jaring.kit import db
from jaring.kit.audit import audit_events
from jaring.kit.auth import MEMBER, REGENCY_OFFICER, Principal, system
from jaring.kit.errors import BadInput, Conflict, NotFound
from jaring.kit.periods import Month
from tests.contributions.billing_fixtures import BASIC, World, price

ADMIN = system("test")


def world_with(url: str) -> tuple[World, dict[str, object]]:
    world = World(url)
    world.sponsor("PROV35", "province", "35")
    people = {
        "siti": world.person(1, "3507010001", date(2026, 1, 5)),
        "joko": world.person(2, "3507010002", date(2026, 1, 5), sector="transport"),
        "ani": world.person(3, "3507010003", date(2026, 1, 5)),
        "pu": world.person(4, "3507010004", date(2026, 1, 5), segment="pu", programs=BASIC),
    }
    return world, people


def months_charged(url: str, member_id: int) -> dict[Month, int]:
    with db.store(url).connect() as conn:
        rows = conn.execute(select(charges.c.month, charges.c.amount).where(charges.c.member_id == member_id))
        return {Month.of(row.month): int(row.amount) for row in rows}


def total_charges(url: str) -> int:
    with db.store(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(charges)).scalar_one())


@pytest.mark.parametrize("months", [3, 6, 12])
def test_prepay_bills_each_month_at_its_own_tariff(store_url, months):
    _, people = world_with(store_url)
    siti = people["siti"]
    start = Month(2026, 11)
    found = prepay(
        principal=ADMIN, participant_number=siti.participant_number, months=months, start=start, url=store_url
    )
    window = [start.plus(i) for i in range(months)]
    assert [c.month for c in found] == window
    expected = {m: price(siti, m, "self")[0] for m in window}
    assert months_charged(store_url, siti.id) == expected
    # The PP 50/2025 relief for "other" workers ends with December 2026.
    assert expected[Month(2026, 12)] == 8_400
    if months > 2:
        assert expected[Month(2027, 1)] == 16_800
    assert all(c.payer_kind == "self" and c.run_id is None for c in found)
    assert sum(c.amount for c in found) == sum(expected.values())


def test_prepay_is_idempotent_and_skips_months_already_charged(store_url):
    _, people = world_with(store_url)
    joko = people["joko"]
    number = joko.participant_number
    # December is billed by the monthly run first: the prepayment keeps that charge.
    run_billing(principal=ADMIN, period=Month(2026, 12), url=store_url)
    first = prepay(principal=ADMIN, participant_number=number, months=6, start=Month(2026, 11), url=store_url)
    again = prepay(principal=ADMIN, participant_number=number, months=6, start=Month(2026, 11), url=store_url)
    assert first == again
    assert len(months_charged(store_url, joko.id)) == 6
    assert [c.run_id is not None for c in first] == [False, True, False, False, False, False]
    with db.store(store_url).connect() as conn:
        events = conn.execute(
            select(audit_events.c.after).where(audit_events.c.action == "billing.prepay")
        ).all()
    assert [e.after["months"] for e in events] == [["2026-11", "2027-01", "2027-02", "2027-03", "2027-04"]]


def test_prepay_starts_at_the_first_uncharged_month_from_now(store_url):
    _, people = world_with(store_url)
    ani = people["ani"]
    now = Month.of(date.today())
    first = prepay(principal=ADMIN, participant_number=ani.participant_number, months=3, url=store_url)
    assert [c.month for c in first] == [now, now.plus(1), now.plus(2)]
    second = prepay(principal=ADMIN, participant_number=ani.participant_number, months=3, url=store_url)
    assert [c.month for c in second] == [now.plus(3), now.plus(4), now.plus(5)]


def test_prepay_refuses_other_periods_sponsored_months_and_wage_earners(store_url):
    world, people = world_with(store_url)
    siti = people["siti"]
    with pytest.raises(BadInput, match="5 is not a payment period"):
        prepay(principal=ADMIN, participant_number=siti.participant_number, months=5, url=store_url)
    world.sponsor_window(siti, "PROV35", Month(2027, 2), Month(2027, 8))
    with pytest.raises(Conflict, match="2027-02 is paid by a sponsor"):
        prepay(
            principal=ADMIN,
            participant_number=siti.participant_number,
            months=6,
            start=Month(2026, 11),
            url=store_url,
        )
    assert total_charges(store_url) == 0  # all or nothing
    with pytest.raises(BadInput, match="not a BPU member"):
        prepay(principal=ADMIN, participant_number=people["pu"].participant_number, months=3, url=store_url)
    with pytest.raises(BadInput, match="too far ahead"):
        prepay(
            principal=ADMIN,
            participant_number=siti.participant_number,
            months=3,
            start=Month.of(date.today()).plus(13),
            url=store_url,
        )
    with pytest.raises(BadInput, match="before the member's registration"):
        prepay(
            principal=ADMIN,
            participant_number=siti.participant_number,
            months=3,
            start=Month(2025, 12),
            url=store_url,
        )


def test_a_member_prepays_for_themself_only(store_url):
    _, people = world_with(store_url)
    siti, ani = people["siti"], people["ani"]
    me = Principal(username="siti", role=MEMBER, member_id=siti.id)
    found = prepay(principal=me, participant_number=siti.participant_number, months=3, url=store_url)
    assert len(found) == 3
    with pytest.raises(NotFound):
        prepay(principal=me, participant_number=ani.participant_number, months=3, url=store_url)
    elsewhere = Principal(username="o", role=REGENCY_OFFICER, region_code="3173")
    with pytest.raises(NotFound):
        prepay(principal=elsewhere, participant_number=ani.participant_number, months=3, url=store_url)
    with pytest.raises(BadInput, match="11 digits"):
        prepay(principal=ADMIN, participant_number="12345", months=3, url=store_url)
    assert set(months_charged(store_url, ani.id)) == set()


def test_ensure_charges_bills_self_paid_months_from_registration(store_url):
    world, people = world_with(store_url)
    siti = people["siti"]
    world.sponsor_window(siti, "PROV35", Month(2026, 3), Month(2026, 5))
    run_billing(principal=ADMIN, period=Month(2026, 2), url=store_url)
    with db.transaction(store_url) as conn:
        created = ensure_charges_in(conn, member_id=siti.id, through=Month(2026, 6))
    # January (registration) and February (billed by the run) are there; March and April
    # are the sponsor's to be invoiced; May and June are new.
    assert created == 3
    charged = months_charged(store_url, siti.id)
    assert set(charged) == {Month(2026, m) for m in (1, 2, 5, 6)}
    assert charged == {m: price(siti, m, "self")[0] for m in charged}
    with db.transaction(store_url) as conn:
        assert ensure_charges_in(conn, member_id=siti.id, through=Month(2026, 6)) == 0
        assert ensure_charges_in(conn, member_id=siti.id, through=Month(2025, 12)) == 0
        assert ensure_charges_in(conn, member_id=people["pu"].id, through=Month(2026, 6)) == 0
        with pytest.raises(NotFound):
            ensure_charges_in(conn, member_id=42, through=Month(2026, 6))
    report = run_billing(principal=ADMIN, period=Month(2026, 5), url=store_url)
    assert report.already_billed == 1


def test_ensure_charges_rolls_back_with_the_callers_transaction(store_url):
    _, people = world_with(store_url)
    siti = people["siti"]

    class Boom(Exception):
        pass

    def bill_then_fail() -> None:
        with db.transaction(store_url) as conn:
            assert ensure_charges_in(conn, member_id=siti.id, through=Month(2026, 3)) == 3
            raise Boom

    with pytest.raises(Boom):
        bill_then_fail()
    assert months_charged(store_url, siti.id) == {}


def test_months_the_rules_refuse_fail_a_prepayment_but_not_a_payment(store_url):
    world, _ = world_with(store_url)
    odd = world.person(9, "3507010009", date(2026, 1, 5), income=2_750_000)  # not a listed level
    with pytest.raises(BadInput, match="income_not_accepted"):
        prepay(principal=ADMIN, participant_number=odd.participant_number, months=3, url=store_url)
    with db.transaction(store_url) as conn:
        assert ensure_charges_in(conn, member_id=odd.id, through=Month(2026, 3)) == 0
    assert months_charged(store_url, odd.id) == {}
