"""The month closes into the coverage history as counting the members said on its last day, and
stays as it was recorded; the dashboard's trend reads it; the sponsor panel says who pays for
whom, the year's money and the coming ends of funding, on both stores. Expectations are worked
out by hand from the people below, or counted by the members' own engine."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jaring.contributions.billing import list_invoices, run_billing
from jaring.contributions.coverage import counts_by_region_in
from jaring.contributions.model import charges
from jaring.contributions.payments import record_payment
from jaring.kit import db
from jaring.kit.auth import REGENCY_OFFICER, Principal, system
from jaring.kit.periods import Month
from jaring.monitoring import rollup
from jaring.monitoring.funding import CliffAhead, funding_panel_in
from jaring.monitoring.model import coverage_history
from jaring.monitoring.service import overview
from jaring.sponsors.budgets import add_budget
from jaring.sponsors.cliffs import decide
from tests.contributions.billing_fixtures import FIRST_ID, World
from tests.contributions.payment_fixtures import at, bill_through, charge_amounts, pay

TODAY = date.today()
THIS = Month.of(TODAY)
LAST = THIS.plus(-1)
ADMIN = system("test")
NAMES = ("members", "active", "arrears", "lapsed", "not_started", "sponsored")


@pytest.fixture
def world(store_url: str, jaring_env: Path) -> World:
    from jaring.reference.load import load_all

    load_all(url=store_url, with_stats=False)  # the dashboard names regions
    world = World(store_url)
    world.sponsor("KAB", "regency", "3507")
    world.sponsor("PROV", "province", "35")
    start = THIS.plus(-3)
    world.person(1, "3507010001", start.first_day, sponsor="KAB")  # KAB pays, with no end in sight
    ending = world.person(2, "3507010002", start.first_day)  # PROV pays until THIS+2: a cliff
    world.sponsor_window(ending, "PROV", start, THIS.plus(2))
    handed = world.person(3, "3578010003", start.first_day)  # PROV until THIS+2, then KAB: no cliff
    world.sponsor_window(handed, "PROV", start, THIS.plus(2))
    world.sponsor_window(handed, "KAB", THIS.plus(2), THIS.plus(14))
    world.person(4, "3171010004", start.first_day)  # pays for themself, in Jakarta
    return world


def _history(url: str, month: Month, level: int) -> dict[str, dict[str, int]]:
    h = coverage_history
    with db.reading(url) as conn:
        rows = conn.execute(
            select(h.c.region, *(h.c[name] for name in NAMES)).where(
                h.c.month == month.first_day, h.c.level == level
            )
        ).all()
    return {r[0]: dict(zip(NAMES, (int(v) for v in r[1:]), strict=True)) for r in rows}


def _counted(url: str, length: int, day: date) -> dict[str, dict[str, int]]:
    with db.reading(url) as conn:
        return {k: vars(v) for k, v in counts_by_region_in(conn, "", length, day).items()}


def test_the_month_that_ends_is_recorded_as_it_stood_and_stays_so(world: World) -> None:
    jakarta = world.people[FIRST_ID + 4]
    bill_through(world, jakarta, str(THIS))
    rollup.refresh(world.url, LAST.first_day)  # the roll-up as it was built last month
    assert _history(world.url, LAST, 2) == {}
    rollup.refresh(world.url)  # the month turned: last month is closed first
    for level in (2, 4):
        assert _history(world.url, LAST, level) == _counted(world.url, level, LAST.last_day)
    recorded = _history(world.url, LAST, 2)
    assert recorded["31"]["not_started"] == 1
    assert recorded["35"]["members"] == 3
    # Paying afterwards moves today's figures, not the month already closed.
    pay(world, jakarta, sum(charge_amounts(world.url, jakarta).values()), TODAY.isoformat())
    rollup.refresh(world.url)
    assert _history(world.url, LAST, 2) == recorded
    assert _counted(world.url, 2, TODAY)["31"]["active"] == 1
    assert recorded["31"]["active"] == 0


def test_the_trend_is_the_history_then_today(world: World) -> None:
    rollup.refresh(world.url, LAST.first_day)
    rollup.refresh(world.url)
    view = overview(principal=ADMIN, url=world.url)
    assert [p.month for p in view.trend] == [str(THIS.plus(k - 11)) for k in range(12)]
    now, closed = view.trend[-1], view.trend[-2]
    assert (now.closed, now.covered, now.sponsored) == (False, view.total.covered, view.total.sponsored)
    last = _counted(world.url, 2, LAST.last_day)
    assert closed.closed
    assert closed.covered == sum(r["active"] + r["arrears"] for r in last.values())
    assert all(p.covered is None for p in view.trend[:-2])  # before the history began: gaps
    province = overview(principal=ADMIN, region="31", url=world.url)
    assert province.trend[-2].covered == last["31"]["active"] + last["31"]["arrears"]


def test_the_sponsor_panel_says_who_pays_and_what_ends(world: World) -> None:
    rollup.refresh(world.url)
    with db.reading(world.url) as conn:
        nation = funding_panel_in(conn, ADMIN, "", TODAY)
        malang = funding_panel_in(conn, ADMIN, "3507", TODAY)
        elsewhere = funding_panel_in(conn, Principal("x", REGENCY_OFFICER, region_code="3578"), "3578", TODAY)
    by_code = {s.code: s for s in nation.sponsors}
    assert (by_code["KAB"].funded, by_code["KAB"].ending, by_code["KAB"].next_end) == (1, 0, None)
    assert (by_code["PROV"].funded, by_code["PROV"].ending, by_code["PROV"].undecided) == (2, 1, 1)
    assert by_code["PROV"].next_end == str(THIS.plus(2))
    assert nation.sponsors[0].code == "PROV"  # the nearest cliff first
    assert nation.cliffs == [CliffAhead(str(THIS.plus(2)), 1, 1)]
    assert {s.code: s.funded for s in malang.sponsors} == {"KAB": 1, "PROV": 1}
    # A regency officer sees no sponsor of the province, even one paying in the regency.
    assert elsewhere.sponsors == []


def test_decisions_and_renewals_move_the_cliff(world: World) -> None:
    rollup.refresh(world.url)
    decide(principal=ADMIN, sponsor="PROV", ends_on=THIS.plus(2), action="self_pay", url=world.url)
    with db.reading(world.url) as conn:
        panel = funding_panel_in(conn, ADMIN, "", TODAY)
    assert (panel.ending, panel.undecided) == (1, 0)  # decided, yet still losing its sponsor


def test_a_renewal_is_no_cliff_after_the_refresh(world: World) -> None:
    rollup.refresh(world.url)
    decide(principal=ADMIN, sponsor="PROV", ends_on=THIS.plus(2), action="renew", months=6, url=world.url)
    rollup.refresh(world.url)  # the new assignment marked its regency
    with db.reading(world.url) as conn:
        panel = funding_panel_in(conn, ADMIN, "", TODAY)
    assert (panel.ending, panel.cliffs) == (0, [])


def test_the_year_s_budget_billed_and_paid(world: World) -> None:
    add_budget(principal=ADMIN, sponsor="PROV", fiscal_year=TODAY.year, amount=10_000_000, url=world.url)
    run_billing(principal=ADMIN, period=THIS, url=world.url)
    invoices = list_invoices(principal=ADMIN, url=world.url)
    invoice = next(i for i in invoices if i.period == THIS and i.sponsor_code == "PROV")
    record_payment(
        channel="BANK", idempotency_key="prov", reference=invoice.number, amount=invoice.total,
        paid_at=at(TODAY.isoformat()), url=world.url, now=at(TODAY.isoformat(), 11),
    )  # fmt: skip
    rollup.refresh(world.url)
    with db.reading(world.url) as conn:
        charged = conn.execute(
            select(func.sum(charges.c.amount)).where(
                charges.c.sponsor_id == world.sponsors["PROV"][0], charges.c.month == THIS.first_day
            )
        ).scalar_one()
        panel = funding_panel_in(conn, ADMIN, "", TODAY)
    prov = next(s for s in panel.sponsors if s.code == "PROV")
    charged = int(charged)  # a Decimal on PostgreSQL
    assert charged > 0
    assert (prov.allocated, prov.billed, prov.paid) == (10_000_000, charged, charged)
    assert prov.paid_pct == round(100 * charged / 10_000_000, 1)
    kab = next(s for s in panel.sponsors if s.code == "KAB")
    assert (kab.allocated, kab.paid, kab.paid_pct) == (None, 0, None)


def test_the_refresh_command_closes_the_month_for_a_scheduled_run(world: World) -> None:
    import json

    from click.testing import CliRunner

    from jaring.cli import cli

    rollup.refresh(world.url, LAST.first_day)
    ran = CliRunner().invoke(cli, ["monitoring", "refresh", "--json"], catch_exceptions=False)
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output) == {"kind": "full", "regencies": 3, "month": str(THIS), "closed": str(LAST)}
    assert _history(world.url, LAST, 4) == _counted(world.url, 4, LAST.last_day)
    again = CliRunner().invoke(cli, ["monitoring", "refresh"], catch_exceptions=False)
    assert again.exit_code == 0
    assert "sudah mutakhir" in again.output


def test_a_page_recounts_small_changes_and_leaves_big_ones_to_the_background(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from sqlalchemy import update

    from jaring.membership.model import members

    rollup.refresh(world.url)
    jakarta = world.people[FIRST_ID + 4]
    bill_through(world, jakarta, str(THIS))
    pay(world, jakarta, sum(charge_amounts(world.url, jakarta).values()), TODAY.isoformat())
    assert rollup.state(world.url).marked == 1
    view = overview(principal=ADMIN, url=world.url)
    assert not view.updating  # one small regency: recounted before the page answered
    assert rollup.state(world.url).marked == 0
    assert next(r for r in view.rows if r.code == "31").covered == 1
    # More members marked than a page may wait for: it answers with the figures as they were.
    monkeypatch.setattr(rollup, "INLINE_MEMBERS", 1)
    with db.transaction(world.url) as conn:
        conn.execute(update(members).where(members.c.id == FIRST_ID + 1).values(name="Peserta Satu"))
    assert rollup.state(world.url).marked_members == 2  # Malang's two BPU members
    assert overview(principal=ADMIN, url=world.url).updating
    deadline = time.monotonic() + 60
    while rollup.state(world.url).marked and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rollup.state(world.url).marked == 0  # the background refresh did it
    assert not overview(principal=ADMIN, url=world.url).updating
