"""Monitoring report pages over real HTTP: the Inpres 2/2021 report's coverage figures are the
coverage overview's for the same region and day, its budgets are the sponsors' ledgers, the
Paritrana scorecard ranks by the weights (defaults from the rule parameter, or the reader's),
bad weights are refused with the typed values kept, exports, and another region refused."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from jaring.kit.auth import NATIONAL_ADMIN, Principal
from jaring.monitoring import service as monitoring
from jaring.monitoring.reports import INDICATORS, default_weights
from jaring.registry.generate import generate
from jaring.registry.service import import_snapshot
from jaring.sponsors.budgets import add_budget
from jaring.sponsors.ledger import budget_ledger
from jaring.sponsors.service import create_sponsor
from tests.accounts.conftest import make_account
from tests.contributions.billing_fixtures import World
from tests.web.conftest import login

ADMIN = Principal("admin", NATIONAL_ADMIN)
DAY = "2026-03-20"  # while the paid member is protected


@dataclass
class Reported:
    client: httpx.Client
    url: str


@pytest.fixture
def reported(site: tuple[httpx.Client, World], tmp_path: Path) -> Reported:
    client, world = site
    url = world.url
    extract = tmp_path / "extract.csv"
    generate(persons=1500, seed=5, out=extract, provinces=["35", "31"])
    import_snapshot(path=extract, snapshot_date=date(2026, 9, 30), url=url)
    add_budget(
        principal=ADMIN, sponsor="KAB", fiscal_year=2026, amount=50_000_000, document="DPA 1.02/2026", url=url
    )
    create_sponsor(
        principal=ADMIN, code="DESA", name="Desa Sumber", kind="village", region_code="3507010001", url=url
    )
    add_budget(principal=ADMIN, sponsor="DESA", fiscal_year=2026, amount=5_000_000, url=url)
    # A city with a large budget and no members yet: first on budget, last on coverage.
    create_sponsor(
        principal=ADMIN, code="KOTA", name="Pemkot Malang", kind="regency", region_code="3573", url=url
    )
    add_budget(principal=ADMIN, sponsor="KOTA", fiscal_year=2026, amount=900_000_000, url=url)
    return Reported(client, url)


def cells(page: str, table: str) -> list[dict[str, str]]:
    found = re.search(rf'<table class="data" id="{table}">(.*?)</table>', page, re.S)
    assert found is not None, table
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S):
        cols = re.findall(r'<td class="[a-z]+" data-key="([^"]+)">(?:<a [^>]*>)?([^<]*)', tr)
        if cols:
            rows.append(dict(cols))
    return rows


def figure(text: str) -> int | None:
    """A cell as the page writes it (id_ID: 1.234, Rp 1.234, 12,5%) as a number; – is None."""
    if text.strip() == "–":
        return None
    return int(re.sub(r"[^\d]", "", text.split(",")[0]))


def test_the_inpres_report_shows_the_overview_s_coverage_and_the_ledgers_budgets(reported: Reported) -> None:
    client, url = reported.client, reported.url
    login(client, "admin", "admin-long-secret-1")
    page = client.get("/reports/inpres", params={"region": "35", "year": "2026", "date": DAY})
    assert page.status_code == 200, page.text
    rows = {row["code"]: row for row in cells(page.text, "inpres")}
    view = monitoring.overview(principal=ADMIN, region="35", on=date.fromisoformat(DAY), url=url)
    assert set(rows) == {r.code for r in view.rows}
    for region in view.rows:
        shown = rows[region.code]
        for key in ("members", "covered", "universe", "vulnerable", "sponsored", "self_paying"):
            assert figure(shown[key]) == getattr(region, key), (region.code, key)
    malang = next(r for r in view.rows if r.code == "3507")
    assert malang.covered == 1  # the paid member, counted by the overview
    assert figure(rows["3507"]["coverage_pct"]) == int(malang.coverage_pct or 0)
    assert re.search(rf'id="total-covered" data-value="{view.total.covered}"', page.text)

    ledgers = [
        budget_ledger(principal=ADMIN, sponsor=code, fiscal_year=2026, url=url) for code in ("KAB", "DESA")
    ]
    assert figure(rows["3507"]["allocated"]) == sum(ledger.allocated or 0 for ledger in ledgers)
    assert figure(rows["3507"]["billed"]) == sum(ledger.billed for ledger in ledgers)
    assert figure(rows["3507"]["committed"]) == sum(ledger.committed for ledger in ledgers)
    assert figure(rows["3507"]["sponsors"]) == 2
    assert figure(rows["3507"]["legal_basis"]) == 1  # only KAB's line names its document
    assert figure(rows["3507"]["village_sponsors"]) == 1
    assert figure(rows["3573"]["sponsors"]) == 1

    exported = client.get(
        "/reports/inpres", params={"region": "35", "year": "2026", "date": DAY, "export": "csv"}
    )
    assert exported.status_code == 200
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(lines) == 1 + len(rows)
    header = lines[0]
    by_code = {line[0]: dict(zip(header, line, strict=True)) for line in lines[1:]}
    assert int(by_code["3507"]["Terlindungi (JKK+JKM)"]) == malang.covered
    workbook = client.get("/reports/inpres", params={"region": "35", "year": "2026", "export": "xlsx"})
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"


def test_a_role_that_may_not_read_budgets_gets_the_report_without_them(reported: Reported) -> None:
    client = reported.client
    make_account(reported.url, "kiki", "claims_officer", password="kiki-long-secret-1", region_code="3507")
    login(client, "kiki", "kiki-long-secret-1")
    page = client.get("/reports/inpres", params={"year": "2026", "date": DAY})
    assert page.status_code == 200
    assert 'id="no-budgets"' in page.text
    assert 'data-key="allocated"' not in page.text
    assert "Kabupaten Malang" in page.text


def top(page: str) -> str:
    return cells(page, "paritrana")[0]["code"]


def test_the_scorecard_ranks_by_the_weights_and_shows_them(reported: Reported) -> None:
    client = reported.client
    login(client, "admin", "admin-long-secret-1")
    base = {"region": "35", "year": "2026", "date": DAY}
    default = client.get("/reports/paritrana", params=base)
    assert default.status_code == 200, default.text
    assert 'data-source="default"' in default.text
    weights = default_weights(date.today())
    for key in INDICATORS:
        assert f'name="w_{key}" value="{weights.values[key]:g}"' in default.text
    assert "Paritrana" in default.text
    assert "not published" in default.text
    ranked = cells(default.text, "paritrana")
    assert len(ranked) == len(monitoring.overview(principal=ADMIN, region="35", url=reported.url).rows)
    assert [figure(r["rank"]) for r in ranked][:2] == [1, 2]

    only = {f"w_{key}": "0" for key in INDICATORS}
    by_coverage = client.get("/reports/paritrana", params={**base, **only, "w_coverage": "1"})
    by_budget = client.get("/reports/paritrana", params={**base, **only, "w_budget": "1"})
    assert 'data-source="custom"' in by_coverage.text
    assert top(by_coverage.text) == "3507"  # the only regency with a protected member
    assert top(by_budget.text) == "3573"  # the largest budget per vulnerable worker
    # Drilling down keeps the reader's weights; the default page's links carry none.
    assert (
        'href="/reports/paritrana?region=3507&amp;year=2026&amp;w_regulation=0&amp;w_budget=1'
        in by_budget.text
    )
    assert 'href="/reports/paritrana?region=3507&amp;year=2026"' in default.text
    shares = re.findall(r'<tr data-indicator="([a-z_]+)">.*?data-weight="([\d.]+)"', by_budget.text, re.S)
    assert {k: float(w) for k, w in shares} == {key: (1.0 if key == "budget" else 0.0) for key in INDICATORS}

    exported = client.get("/reports/paritrana", params={**base, **only, "w_budget": "1", "export": "csv"})
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[1][1] == "3573"
    assert len(lines) == 1 + len(ranked)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"w_coverage": "-5"}, "from 0 to"),
        ({"w_coverage": "lots"}, "a weight is a number"),
        ({f"w_{key}": "0" for key in INDICATORS}, "at least one weight must be above 0"),
    ],
)
def test_bad_weights_are_refused_and_the_typed_values_kept(
    reported: Reported, given: dict[str, str], message: str
) -> None:
    client = reported.client
    login(client, "admin", "admin-long-secret-1")
    answer = client.get("/reports/paritrana", params={"region": "35", "year": "2026", **given})
    assert answer.status_code == 422
    problem = re.search(r'<p class="problem" id="problem">(.*?)</p>', answer.text, re.S)
    assert problem is not None
    assert message in problem.group(1)
    for name, value in given.items():
        assert f'name="{name}" value="{value}"' in answer.text
    assert 'id="paritrana"' not in answer.text


def test_another_region_is_refused_like_one_that_does_not_exist(reported: Reported) -> None:
    client = reported.client
    login(client, "rina", "rina-long-secret-1")
    own = client.get("/reports/inpres", params={"year": "2026"})
    assert own.status_code == 200
    assert "Kabupaten Malang" in own.text
    assert client.get("/reports").status_code == 200
    for address in ("/reports/inpres", "/reports/paritrana"):
        for region in ("31", "3171", "35", "3573"):
            refused = client.get(address, params={"region": region, "year": "2026"})
            assert refused.status_code == 404
            assert "di luar wilayah akun Anda" in refused.text
            assert "Pemkot" not in refused.text
        exported = client.get(address, params={"region": "3573", "export": "csv"})
        assert exported.status_code == 404
    assert client.get("/reports/inpres", params={"year": "3000"}).status_code == 422
