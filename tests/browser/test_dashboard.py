"""The dashboard in a real browser: a login per role, the national → province → regency
drill-down by clicking, the map drawing all 38 provinces, the language toggle, and another
region's page refused."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Shots
from tests.browser.site import ACCOUNTS, Login, Site


def log_in(page: Page, login: Login, next_path: str = "/dashboard") -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("input[name=username]", login.username)
    page.fill("input[name=password]", login.password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("role", sorted(ACCOUNTS))
def test_each_role_logs_in_and_sees_its_own_scope(page: Page, site: Site, shots: Shots, role: str) -> None:
    login = ACCOUNTS[role]
    log_in(page, login)
    assert page.url.endswith("/dashboard"), page.url
    who = page.locator("header .who")
    assert who.get_attribute("data-role") == role
    assert login.username in who.inner_text()
    heading = page.locator("#region-name").inner_text()
    if login.region == "35":
        assert heading == "Jawa Timur"
    elif login.region == "3507":
        assert heading == "Kabupaten Malang"
    else:
        assert heading in ("Indonesia", "Nasional")
    nav = page.locator("nav.main-nav a")
    assert nav.first.inner_text() == "Dasbor cakupan"
    shots.take(page, role)


def test_drill_down_from_the_nation_to_a_regency_by_clicking(page: Page, site: Site, shots: Shots) -> None:
    log_in(page, ACCOUNTS["national_admin"])
    assert page.locator("#regions tbody tr").count() == 38
    page.wait_for_selector("#map[data-drawn]")
    shots.take(page, "national")
    page.click("#regions tr[data-code='35'] a")
    page.wait_for_load_state("networkidle")
    assert page.locator("#region-name").inner_text() == "Jawa Timur"
    assert page.url.endswith("/dashboard?region=35")
    shots.take(page, "province")
    page.click("#regions tr[data-code='3507'] a")
    page.wait_for_load_state("networkidle")
    assert page.locator("#region-name").inner_text() == "Kabupaten Malang"
    breadcrumb = page.locator("nav.crumbs").inner_text()
    assert "Jawa Timur" in breadcrumb
    members = {
        row.get_attribute("data-code"): row.locator("td").nth(1).inner_text()
        for row in page.locator("#regions tbody tr").all()
    }
    # The two members of Malang live in two districts; every other district shows none.
    assert sorted(code for code, count in members.items() if count != "0") == ["350701", "350702"]
    shots.take(page, "regency")


def test_the_map_draws_all_38_provinces(page: Page, site: Site, shots: Shots) -> None:
    log_in(page, ACCOUNTS["national_admin"])
    drawn = page.wait_for_selector("#map[data-drawn]")
    assert drawn is not None
    assert drawn.get_attribute("data-drawn") == "38"
    assert drawn.get_attribute("data-kind") in ("geo", "tiles")
    # ECharts draws on a canvas: it is there and not blank.
    assert page.locator("#map canvas").count() >= 1
    shots.take(page, "map")


def test_the_language_toggle_switches_and_is_remembered(page: Page, site: Site, shots: Shots) -> None:
    log_in(page, ACCOUNTS["province_officer"])
    assert page.locator("html").get_attribute("lang") == "id"
    assert "Dasbor cakupan" in page.title()
    page.click("#lang-toggle")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Coverage dashboard" in page.title()
    shots.take(page, "english")
    page.goto("/dashboard?region=3507")
    assert page.locator("html").get_attribute("lang") == "en"
    assert re.search(r"Log out", page.locator("header").inner_text())


def test_another_regions_page_is_refused(page: Page, site: Site, shots: Shots) -> None:
    log_in(page, ACCOUNTS["regency_officer"])
    answer = page.goto("/dashboard?region=3171")
    assert answer is not None
    assert answer.status == 404
    assert "di luar wilayah akun Anda" in page.content()
    assert "Jakarta" not in page.content()
    shots.take(page, "refused")
    answer = page.goto("/dashboard?region=35")
    assert answer is not None
    assert answer.status == 404
