"""Workflows in a real browser over the demo store `make run` loads: a claim verified by one
person and approved by another, budget scenarios side by side, and an export downloaded."""

from __future__ import annotations

import csv
import io
import re

from playwright.sync_api import Page

from jaring.claims import service as claims
from jaring.demo.plan import account
from jaring.kit.auth import system
from jaring.sponsors import service as sponsors
from jaring.web import text
from tests.browser.conftest import Shots
from tests.browser.site import Site


def log_in(page: Page, role: str, next_path: str = "/dashboard") -> None:
    who = account(role)
    page.goto(f"/login?next={next_path}")
    page.fill("input[name=username]", who.username)
    page.fill("input[name=password]", who.password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def log_out(page: Page) -> None:
    page.click("header form.inline button")
    page.wait_for_load_state("networkidle")


def test_a_claim_is_verified_by_one_person_and_approved_by_another(
    demo_page: Page, demo: Site, shots: Shots
) -> None:
    reader = system("test")
    waiting = [c for c in claims.list_claims(principal=reader, url=demo.url) if c.status == "submitted"]
    assert waiting, "the demo leaves a claim waiting for its documents"
    claim = waiting[0]
    page = demo_page
    log_in(page, "claims_officer", f"/claims/{claim.id}")
    assert page.locator("#claim-status").get_attribute("data-status") == "submitted"
    assert page.locator("#approve-form").count() == 0  # an officer never approves
    for box in page.locator("form#documents input[type=checkbox]").all():
        box.check()
    shots.take(page, "documents")
    page.click("#receive")
    page.wait_for_load_state("networkidle")
    assert page.locator("#claim-status").get_attribute("data-status") == "documents_complete"
    page.click("#verify")
    page.wait_for_load_state("networkidle")
    assert page.locator("#claim-status").get_attribute("data-status") == "verified"
    shots.take(page, "verified")
    log_out(page)

    log_in(page, "claims_supervisor", f"/claims/{claim.id}")
    page.click("#approve")
    page.wait_for_load_state("networkidle")
    assert page.locator("#claim-status").get_attribute("data-status") == "approved"
    shots.take(page, "approved")
    stored = claims.get_claim(principal=reader, claim_id=claim.id, url=demo.url)
    assert stored.status == "approved"
    trail = page.locator("#claim-timeline").inner_text()
    assert account("claims_officer").username in trail
    assert account("claims_supervisor").username in trail


def _scenario_row(page: Page, key: str) -> list[str]:
    label = text.t(key, "id")
    for row in page.locator("table#scenarios tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if cells and cells[0].strip() == label:
            return [c.strip() for c in cells[1:]]
    raise AssertionError(f"no row {label!r} in the scenarios table")


def _number(shown: str) -> int:
    return int(re.sub(r"[^\d]", "", shown))


def test_two_budget_scenarios_side_by_side(demo_page: Page, demo: Site, shots: Shots) -> None:
    sponsor = sponsors.get_sponsor(principal=system("test"), code_or_id="KAB-MALANG", url=demo.url)
    page = demo_page
    log_in(page, "regency_officer", f"/sponsors/{sponsor.id}/simulate")
    for budget in ("5.000.000", "2.000.000"):  # fewer people than the demo leaves eligible
        page.fill("#budget", budget)
        page.fill("#months", "12")
        page.click("form#simulate button[type=submit]")
        page.wait_for_load_state("networkidle")
    shots.take(page, "scenarios")
    budgets = [_number(v) for v in _scenario_row(page, "sp_budget")]
    assert budgets[-2:] == [5_000_000, 2_000_000]
    funded = [_number(v) for v in _scenario_row(page, "sp_funded")][-2:]
    eligible = [_number(v) for v in _scenario_row(page, "sp_eligible")][-2:]
    cost = [_number(v) for v in _scenario_row(page, "sp_cost_per_person")][-2:]
    # A budget funds whole persons for the whole period (the cost shown is a person's for the
    # twelve months), never more people than are eligible.
    for i, budget in enumerate(budgets[-2:]):
        assert funded[i] == min(eligible[i], budget // cost[i])
    assert funded[0] > funded[1]


def test_an_export_downloads_the_rows_shown(demo_page: Page, demo: Site, shots: Shots) -> None:
    page = demo_page
    log_in(page, "regency_officer", "/members")
    shown = page.locator("table#members tbody tr").count()
    assert shown > 0
    shots.take(page, "members")
    with page.expect_download() as waiting:
        page.click("a.export[data-format=csv]")
    download = waiting.value
    assert re.fullmatch(r"peserta-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(rows) - 1 == shown
    first_shown = page.locator("table#members tbody tr").first.locator("td").first.inner_text().strip()
    assert rows[1][0] == first_shown  # the participant number, as the page shows it
    assert all("*" in row[2] for row in rows[1:])  # NIKs masked in the file as on the page


def test_the_dashboard_charts_a_year_and_shows_the_coming_cliffs(
    demo_page: Page, demo: Site, shots: Shots
) -> None:
    from jaring.monitoring.service import overview
    from jaring.sponsors.cliffs import cliffs

    page = demo_page
    log_in(page, "national_admin")
    page.wait_for_selector("#trend-coverage[data-points]")
    # What ECharts laid out: twelve months in each trend chart.
    assert page.locator("#trend-coverage").get_attribute("data-points") == "12"
    assert page.locator("#trend-claims").get_attribute("data-points") == "12"
    view = overview(principal=system("test"), url=demo.url)
    assert sum(p.covered is not None for p in view.trend) == 12
    # The coming cliff of the programme that ends soon, as the sponsor's own cliff report says.
    report = cliffs(principal=system("test"), sponsor="DBHCHT-KUDUS", url=demo.url)
    ending = sum(m.members for m in report.months)
    assert page.locator("#kpi-ending").inner_text() == text.number(ending, "id")
    first = page.locator("#sponsor-funding tbody tr").first
    assert "Kudus" in first.locator("td").first.inner_text()  # the nearest cliff first
    page.locator("#funding").scroll_into_view_if_needed()
    shots.take(page, "funding")
    first.locator("td a").first.click()
    page.wait_for_load_state("networkidle")
    assert "/sponsors/DBHCHT-KUDUS" in page.url
