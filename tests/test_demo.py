"""`jaring demo load` on a small registry: what it leaves in the store, read back through the
product's own services and over HTTP, and that a second run changes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from pathlib import Path

import httpx
from click.testing import CliRunner, Result

from jaring.cli import cli
from jaring.demo.plan import ACCOUNTS, SPONSORS
from jaring.kit.auth import MEMBER, ROLES, system

PERSONS = "10000"


def _load(*extra: str) -> Result:
    result = CliRunner().invoke(cli, ["demo", "load", "--persons", PERSONS, *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _check_sponsors(url: str) -> None:
    from jaring.sponsors.budgets import list_budgets
    from jaring.sponsors.cliffs import cliffs
    from jaring.sponsors.service import list_sponsors

    principal = system("test")
    codes = {s.code for s in list_sponsors(principal=principal, url=url)}
    assert codes == {p.code for p in SPONSORS}
    for code in codes:
        years = {b.fiscal_year for b in list_budgets(principal=principal, sponsor=code, url=url)}
        assert date.today().year in years or date.today().year - 1 in years, code
    # The DBH CHT programme ends soon: its members show on the cliff.
    report = cliffs(principal=principal, sponsor="DBHCHT-KUDUS", url=url)
    assert report.months
    assert report.undecided > 0


def _check_members_and_money(url: str) -> None:
    from jaring.contributions.ledger import check
    from jaring.monitoring.service import overview

    first = overview(principal=system("test"), url=url)
    assert not first.updating  # the load leaves the roll-up settled for the first page
    total = first.total
    assert min(total.sponsored, total.self_paying) > 0
    assert min(total.active, total.arrears, total.lapsed) > 0, total
    assert total.claims_filed >= 5
    assert total.benefits_paid > 0
    ledger = check(principal=system("test"), url=url)
    assert ledger.holds, ledger.problems
    assert min(ledger.payments, ledger.allocated, ledger.outstanding) > 0


def _check_trend_and_funding(url: str) -> None:
    from jaring.claims.payout_clock import WIB
    from jaring.claims.service import list_claims
    from jaring.monitoring.service import overview

    view = overview(principal=system("test"), url=url)
    closed = [p for p in view.trend if p.closed]
    # The demo turned each of its twelve months in order: eleven are closed into the history.
    assert len(closed) == 11
    assert all(p.covered is not None and p.covered > 0 for p in closed)
    assert (view.trend[-1].closed, view.trend[-1].covered) == (False, view.total.covered)
    # Claims per month, as the claims list dates them (in WIB).
    months = Counter(
        datetime.fromisoformat(c.filed_at).astimezone(WIB).strftime("%Y-%m")
        for c in list_claims(principal=system("test"), url=url)
    )
    assert [p.claims_filed for p in view.trend] == [months.get(p.month, 0) for p in view.trend]
    assert sum(p.claims_filed for p in view.trend) > 0
    assert view.funding is not None
    assert view.funding.ending > 0  # the DBH CHT programme ends soon
    assert {s.code for s in view.funding.sponsors} == {p.code for p in SPONSORS}


def _check_claims(url: str) -> None:
    from jaring.claims.service import list_claims

    claims = list_claims(principal=system("test"), url=url)
    statuses = {c.status for c in claims}
    assert {"submitted", "verified", "approved", "paid", "rejected"} <= statuses
    assert {c.kind for c in claims} >= {"jkm_death", "jkk_medical", "jht"}


def _check_logins(url: str) -> None:
    from jaring.api.app import create_app
    from tests.accounts.server import serving

    assert {a.role for a in ACCOUNTS} == set(ROLES) - {MEMBER}
    with serving(create_app(database_url=url)) as base:
        for account in ACCOUNTS:
            with httpx.Client(base_url=base, timeout=30) as client:
                form = {"username": account.username, "password": account.password, "next": "/dashboard"}
                answer = client.post("/login", data=form)
                assert answer.status_code == 303, (account.username, answer.text)
                assert client.get("/dashboard").status_code == 200, account.username


def test_the_demo_loads_a_whole_world_once(store_url: str, jaring_env: Path) -> None:
    from jaring.kit.audit import verify

    first = _load()
    for account in ACCOUNTS:
        assert account.username in first.output
        assert account.password in first.output
    assert "seimbang" in first.output  # the ledger check the load ends with
    _check_sponsors(store_url)
    _check_members_and_money(store_url)
    _check_claims(store_url)
    _check_trend_and_funding(store_url)
    _check_logins(store_url)
    chain = verify(store_url)
    assert chain.intact

    again = _load()
    assert "sudah dimuat" in again.output
    assert all(account.username in again.output for account in ACCOUNTS)
    after = verify(store_url)
    # Logging in writes audit events; the repeat load itself writes none.
    assert after.intact
    assert after.events == chain.events
