"""A sponsor's budget ledger: allocated → committed → billed → paid, on both stores. The
expected amounts are worked out here from the package price (Rp 16.800 a member-month for
JKK + JKM at the lowest income, APBD money: no relief)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jaring.contributions.billing import list_invoices, run_billing
from jaring.contributions.payments import record_payment
from jaring.kit.auth import REGENCY_OFFICER, Principal, system
from jaring.kit.errors import BadInput, NotFound
from jaring.kit.periods import Month
from jaring.sponsors.budgets import add_budget
from jaring.sponsors.ledger import budget_ledger
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import at

PRICE = 16_800
MALANG = Principal("rina", REGENCY_OFFICER, region_code="3507")


@pytest.fixture
def world(store_url: str, jaring_env: Path) -> World:
    world = World(store_url)
    world.sponsor("KAB", "regency", "3507")
    for serial in (1, 2, 3):
        world.person(serial, "3507010001", date(2026, 1, 5), sponsor="KAB")
    world.person(4, "3507010001", date(2026, 1, 5))  # pays for themself: not the sponsor's
    late = world.person(5, "3507010001", date(2026, 1, 5))
    world.sponsor_window(late, "KAB", Month(2026, 7), Month(2026, 10))  # three months only
    for period in ("2026-01", "2026-02"):
        run_billing(principal=system("test"), period=Month.parse(period), url=store_url)
    return world


def test_allocated_committed_billed_paid(world: World):
    add_budget(principal=MALANG, sponsor="KAB", fiscal_year=2026, amount=1_000_000, url=world.url)
    january = next(
        i for i in list_invoices(principal=system("test"), url=world.url) if i.period == Month(2026, 1)
    )
    record_payment(
        channel="BANK", idempotency_key="jan", reference=january.number, amount=3 * PRICE,
        paid_at=at("2026-02-10"), url=world.url, now=at("2026-02-10", 11),
    )  # fmt: skip
    ledger = budget_ledger(
        principal=MALANG, sponsor="KAB", fiscal_year=2026, today=date(2026, 3, 10), url=world.url
    )
    assert (ledger.allocated, ledger.budget_stage) == (1_000_000, "apbd")
    assert ledger.committed == (3 * 12 + 3) * PRICE
    assert [m.members for m in ledger.months] == [3] * 6 + [4] * 3 + [3] * 3
    assert (ledger.billed, ledger.paid) == (2 * 3 * PRICE, 3 * PRICE)
    assert [(m.billed, m.paid) for m in ledger.months[:3]] == [(3 * PRICE, 3 * PRICE), (3 * PRICE, 0), (0, 0)]
    assert ledger.burn_per_month == 3 * PRICE // 2  # two months of the year are past
    assert ledger.projected_paid == 3 * PRICE + ledger.burn_per_month * 10
    assert ledger.warnings == []


def test_an_overcommitted_or_missing_budget_is_flagged(world: World):
    ledger = budget_ledger(principal=MALANG, sponsor="KAB", fiscal_year=2026, url=world.url)
    assert ledger.allocated is None
    assert ledger.warnings == ["no budget recorded for 2026"]
    add_budget(principal=MALANG, sponsor="KAB", fiscal_year=2026, amount=500_000, url=world.url)
    ledger = budget_ledger(principal=MALANG, sponsor="KAB", fiscal_year=2026, url=world.url)
    assert ledger.warnings == [
        f"committed exceeds the allocation by Rp {39 * PRICE - 500_000:,}".replace(",", ".")
    ]
    with pytest.raises(BadInput):
        budget_ledger(principal=MALANG, sponsor="KAB", fiscal_year=1999, url=world.url)
    with pytest.raises(NotFound):
        budget_ledger(principal=Principal("x", REGENCY_OFFICER, region_code="3171"), sponsor="KAB",
                      fiscal_year=2026, url=world.url)  # fmt: skip


def test_every_sponsor_s_ledger_at_once_is_each_sponsor_s_ledger(world: World):
    from jaring.sponsors.ledger import budget_ledgers

    world.sponsor("PROV", "province", "35")
    other = world.person(6, "3507020002", date(2026, 1, 5))
    world.sponsor_window(other, "PROV", Month(2026, 3), Month(2026, 9))
    add_budget(principal=MALANG, sponsor="KAB", fiscal_year=2026, amount=1_000_000, url=world.url)
    together = budget_ledgers(
        principal=system("test"), fiscal_year=2026, today=date(2026, 3, 10), url=world.url
    )
    assert {s.code for s, _ in together} == {"KAB", "PROV"}
    for sponsor, ledger in together:
        alone = budget_ledger(
            principal=system("test"),
            sponsor=sponsor.code,
            fiscal_year=2026,
            today=date(2026, 3, 10),
            url=world.url,
        )
        assert ledger == alone, sponsor.code
    prov = dict((s.code, book) for s, book in together)["PROV"]
    assert [m.members for m in prov.months] == [0, 0] + [1] * 6 + [0] * 4
    # What a region officer may see: the regency's sponsor, not the province's.
    mine = budget_ledgers(principal=MALANG, fiscal_year=2026, url=world.url)
    assert [s.code for s, _ in mine] == ["KAB"]
