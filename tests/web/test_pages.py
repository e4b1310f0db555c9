"""The web app over real HTTP: log in, the dashboard of one's own region with figures the
store holds, the drill-down, another region refused like a page that does not exist, the
language toggle, and the assets served from npm packages."""

from __future__ import annotations

import re

import httpx

from tests.contributions.billing_fixtures import World
from tests.web.conftest import login


def test_a_page_needs_a_login_and_a_wrong_password_says_so(site: tuple[httpx.Client, World]) -> None:
    client, _ = site
    first = client.get("/dashboard?region=3507")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fdashboard%3Fregion%3D3507"
    wrong = client.post(
        "/login", data={"username": "rina", "password": "nope", "next": "https://evil.example/"}
    )
    assert wrong.status_code == 401
    assert "Nama pengguna atau kata sandi salah" in wrong.text
    assert 'value="/dashboard"' in wrong.text  # never a redirect to another site
    assert 'href="/status"' in wrong.text  # members check their status without an account


def test_a_regency_officer_sees_their_regency_and_not_another(site: tuple[httpx.Client, World]) -> None:
    client, _ = site
    login(client, "rina", "rina-long-secret-1")
    page = client.get("/dashboard", params={"date": "2026-03-20"})
    assert page.status_code == 200
    assert "Kabupaten Malang" in page.text
    rows = dict(re.findall(r'<tr data-code="(\d+)">\s*<td>(?:<a[^>]*>)?([^<]+)', page.text))
    # Two members in two districts of Malang; the Jakarta member is not here.
    data = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page.text, re.S)
    assert data is not None
    import json

    figures = {row["code"]: row for row in json.loads(data.group(1))["rows"]}
    assert {c for c, r in figures.items() if r["members"]} == {"350701", "350702"}
    assert figures["350701"]["covered"] == 1  # paid through March
    assert figures["350702"]["covered"] == 0  # billed to the sponsor, not paid yet
    assert len(rows) == len(figures)
    for other in ("31", "3171", "35"):
        refused = client.get("/dashboard", params={"region": other})
        assert refused.status_code == 404
        assert "di luar wilayah akun Anda" in refused.text
        assert "Jakarta" not in refused.text
    assert client.get("/dashboard/map.json", params={"region": "3171"}).status_code == 404


def test_the_national_view_drills_down_and_speaks_english(site: tuple[httpx.Client, World]) -> None:
    client, _ = site
    login(client, "admin", "admin-long-secret-1")
    national = client.get("/dashboard", params={"date": "2026-03-20"})
    assert national.status_code == 200
    assert national.text.count('<tr data-code="') == 38
    assert "Inpres 8/2025" in national.text
    province = client.get("/dashboard", params={"region": "35", "lang": "en"})
    assert "Coverage dashboard" in province.text
    assert 'href="/dashboard?region=3507"' in province.text
    assert province.cookies.get("jaring_lang") == "en" or client.cookies.get("jaring_lang") == "en"
    again = client.get("/dashboard", params={"region": "3507"})
    assert "Log out" in again.text  # the language is remembered
    tiles = client.get("/dashboard/map.json").json()
    assert tiles["kind"] in ("tiles", "geo")
    shapes = tiles["tiles"] if tiles["kind"] == "tiles" else tiles["geojson"]["features"]
    assert len(shapes) == 38
    for name in ("echarts.min.js", "htmx.min.js"):
        asset = client.get(f"/assets/vendor/{name}")
        assert asset.status_code == 200
        assert len(asset.content) > 10_000
    assert client.get("/assets/dashboard.js").status_code == 200
    assert client.get("/assets/vendor/jquery.js").status_code == 404


def _csv(answer: httpx.Response) -> list[list[str]]:
    import csv
    import io

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def test_the_dashboard_shows_sponsors_trends_and_exports_them(site: tuple[httpx.Client, World]) -> None:
    import json

    from jaring.monitoring import rollup
    from tests.accounts.conftest import make_account

    client, world = site
    rollup.refresh(world.url)  # what the first page view starts in the background
    login(client, "rina", "rina-long-secret-1")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="funding"' in page.text
    assert 'href="/sponsors/KAB"' in page.text
    data = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', page.text, re.S)
    assert data is not None
    shown = json.loads(data.group(1))
    trend = shown["trend"]
    assert len(trend) == 12
    assert trend[-1]["closed"] is False
    # The sponsor's one member (the other two pay for themselves), with no end in sight.
    sponsors = _csv(client.get("/dashboard", params={"table": "sponsors", "export": "csv"}))
    assert sponsors[0][:2] == ["Pemberi dana", "Dibiayai bulan ini"]
    assert [row[:2] for row in sponsors[1:]] == [["Sponsor KAB", "1"]]
    assert sponsors[1][6] == ""  # funding ends: none
    months = _csv(client.get("/dashboard", params={"table": "trend", "export": "csv"}))
    assert len(months) == 13
    assert months[-1][0] == trend[-1]["month"]
    regions = _csv(client.get("/dashboard", params={"export": "csv"}))
    assert [row[0] for row in regions[1:]] == [r["code"] for r in shown["rows"]]
    assert sum(int(row[2]) for row in regions[1:]) == 2  # Malang's two BPU members
    assert client.get("/dashboard", params={"table": "nope", "export": "csv"}).status_code == 404
    # A claims officer monitors coverage but does not read sponsors' budgets.
    make_account(world.url, "kiki", "claims_officer", password="kiki-long-secret-1", region_code="3507")
    client.cookies.clear()
    login(client, "kiki", "kiki-long-secret-1")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'id="funding"' not in page.text
    assert client.get("/dashboard", params={"table": "sponsors", "export": "csv"}).status_code == 404
