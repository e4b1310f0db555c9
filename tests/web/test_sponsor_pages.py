"""Sponsor pages over real HTTP: the list and the ledger show what the sponsor services return,
the simulator puts scenarios side by side with the funded counts the budget service computes,
a scenario's funded list is enrolled (read back through the membership service), another
region's sponsor is a page that does not exist, and the invoice PDF carries billing's figures.

The world is the targeting tests' one: a generated registry snapshot, a regency sponsor (KAB)
and a village fund (DESA) in the same regency, and members in every state."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from jaring.api.app import create_app
from jaring.contributions import billing
from jaring.membership import service as membership
from jaring.sponsors import budgets, cliffs, ledger, service
from jaring.sponsors.targets import set_target
from jaring.targeting import budget as simulation
from jaring.targeting import service as targeting
from jaring.targeting.rules import parse_package
from jaring.web import text
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.targeting import conftest as targeting_world
from tests.targeting.conftest import ADMIN, START, World
from tests.web.conftest import login

PASSWORDS = {name: f"{name}-long-secret-1" for name in ("rina", "admin", "budi", "fin")}
world = targeting_world.world  # the targeting tests' fixture, used here too
YEAR = START.year + 1  # the fiscal year with an APBD and its APBD-P revision


@dataclass
class Site:
    client: httpx.Client
    world: World
    run: targeting.TargetingReport


@pytest.fixture
def site(world: World) -> Iterator[Site]:
    url = world.url
    set_target(principal=world.officer, sponsor=world.sponsor.code, url=url)
    run = targeting.run_targeting(
        principal=world.officer,
        sponsor=world.sponsor.code,
        snapshot=world.snapshot_id,
        start_month=START,
        url=url,
    )
    for year, stage, amount in ((YEAR, "apbd", 2_016_000_000), (YEAR, "apbd_p", 2_500_000_000)):
        budgets.add_budget(
            principal=world.officer,
            sponsor=world.sponsor.code,
            fiscal_year=year,
            amount=amount,
            stage=stage,
            url=url,
        )
    make_account(url, "rina", "regency_officer", password=PASSWORDS["rina"], region_code=world.regency)
    make_account(url, "admin", "national_admin", password=PASSWORDS["admin"])
    make_account(url, "budi", "regency_officer", password=PASSWORDS["budi"], region_code="3507")
    make_account(url, "fin", "sponsor_finance", password=PASSWORDS["fin"], sponsor_id=world.other.id)
    with (
        serving(create_app(database_url=url)) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        yield Site(client, world, run)


def as_user(site: Site, name: str) -> httpx.Client:
    site.client.cookies.clear()
    login(site.client, name, PASSWORDS[name])
    return site.client


def rows_of(page: str, table_id: str) -> list[dict[str, str]]:
    """The cells of an HTML table view by column key, as the reader sees them."""
    found = re.search(rf'<table class="data" id="{table_id}">(.*?)</table>', page, re.S)
    assert found is not None, f"no table#{table_id}"
    body = found.group(1).split("<tbody>", 1)[1]
    return [
        {
            key: html.unescape(value)
            for key, value in re.findall(r'data-key="(\w+)">(?:<a [^>]*>)?([^<]*)', row)
        }
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def csv_rows(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))


def rp(value: int | None) -> str:
    return text.rupiah(value, "id")


def test_the_list_and_the_ledger_show_what_the_services_return(site: Site) -> None:
    world = site.world
    # Members the sponsor pays for, so the ledger and the cliffs have figures: a scenario enrolled
    # through the services, the way the CLI does it.
    [made] = simulation.simulate(
        principal=world.officer,
        sponsor=world.sponsor.code,
        scenarios=[simulation.Scenario(budget=16_800 * 6 * 5, months=6)],
        url=world.url,
    )
    simulation.enrol_scenario(principal=world.officer, scenario_id=made.scenario_id, url=world.url)
    client = as_user(site, "rina")

    page = client.get("/sponsors", params={"year": START.year})
    assert page.status_code == 200
    shown = {row["code"]: row for row in rows_of(page.text, "sponsors")}
    visible = service.list_sponsors(principal=world.officer, url=world.url)
    assert set(shown) == {s.code for s in visible} == {"KAB", "DESA"}
    exported = csv_rows(client.get("/sponsors", params={"year": START.year, "export": "csv"}))
    assert exported[0][:2] == ["Nama", "Kode"]
    for line in exported[1:]:
        book = ledger.budget_ledger(
            principal=world.officer, sponsor=line[1], fiscal_year=START.year, url=world.url
        )
        assert [int(v) if v else None for v in line[4:8]] == [
            book.allocated,
            book.committed,
            book.billed,
            book.paid,
        ]
        assert shown[line[1]]["committed"] == rp(book.committed)
    kab = next(line for line in exported if line[1] == "KAB")
    assert int(kab[5]) > 0  # five members committed in December
    assert f'href="/sponsors/{world.sponsor.id}"' in page.text

    detail = client.get(f"/sponsors/{world.sponsor.id}", params={"year": YEAR})
    assert detail.status_code == 200
    book = ledger.budget_ledger(principal=world.officer, sponsor="KAB", fiscal_year=YEAR, url=world.url)
    assert book.allocated == 2_500_000_000  # the APBD-P replaces the APBD
    kpis = dict(re.findall(r'<b id="kpi-(\w+)">([^<]*)</b>', detail.text))
    assert kpis["allocated"] == rp(book.allocated)
    assert (kpis["committed"], kpis["paid"], kpis["projected"]) == (
        rp(book.committed),
        rp(book.paid),
        rp(book.projected_paid),
    )
    months = csv_rows(client.get(f"/sponsors/{world.sponsor.id}", params={"year": YEAR, "export": "csv"}))
    assert [[m.month, str(m.members), str(m.committed)] for m in book.months] == [r[:3] for r in months[1:]]
    stages = [r["stage"] for r in rows_of(detail.text, "budgets")]
    assert stages == ["APBD-P (perubahan)", "APBD"]
    report = cliffs.cliffs(principal=world.officer, sponsor="KAB", within_days=365, url=world.url)
    assert report.months  # the six funded months end within the year
    cliff_csv = csv_rows(
        client.get(f"/sponsors/{world.sponsor.id}", params={"year": YEAR, "export": "csv", "table": "cliffs"})
    )
    assert [[m.ends_on, str(m.members), str(m.undecided)] for m in report.months] == [
        [r[0], r[1], r[5]] for r in cliff_csv[1:]
    ]
    assert f'href="/targeting/runs/{site.run.run_id}"' in detail.text
    assert 'id="target"' in detail.text
    assert "desil_max=4" in detail.text

    # A sponsor's finance officer sees only their own sponsor.
    client = as_user(site, "fin")
    mine = rows_of(client.get("/sponsors").text, "sponsors")
    assert [row["code"] for row in mine] == ["DESA"]
    assert client.get(f"/sponsors/{world.sponsor.id}").status_code == 404


def test_another_regions_sponsor_is_a_page_that_does_not_exist(site: Site) -> None:
    world = site.world
    client = as_user(site, "budi")
    listed = client.get("/sponsors")
    assert listed.status_code == 200
    assert "Pemkab" not in listed.text
    base = f"/sponsors/{world.sponsor.id}"
    for address in (
        base,
        f"/sponsors/{world.sponsor.code}",
        f"{base}/simulate",
        f"{base}/invoice.pdf?month=2026-12",
    ):
        refused = client.get(address)
        assert refused.status_code == 404, address
        assert "di luar wilayah akun Anda" in refused.text
        assert "Pemkab" not in refused.text
    posted = client.post(f"{base}/simulate", data={"budget": "1000000000", "months": "12"})
    assert posted.status_code == 404
    assert client.post(f"{base}/enrol", data={"scenario_id": "1"}).status_code == 404
    site.client.cookies.clear()
    assert client.get(base).status_code == 303  # nobody signed in: to the login page


def funded_row(page: str) -> dict[str, str]:
    return next(r for r in rows_of(page, "scenarios") if r["metric"] == "Didanai")


def test_scenarios_side_by_side_and_the_chosen_one_enrolled(site: Site) -> None:
    world = site.world
    client = as_user(site, "rina")
    address = f"/sponsors/{world.sponsor.id}/simulate"
    empty = client.get(address)
    assert empty.status_code == 200
    assert 'id="simulate"' in empty.text
    assert 'id="no-scenarios"' in empty.text

    first = client.post(address, data={"budget": "1.000.000.000", "months": "12", "package": ""})
    assert first.status_code == 303, first.text
    kept = parse_qs(urlsplit(first.headers["location"]).query)["scenario"]
    second = client.post(
        address,
        data={
            "budget": "Rp 2.000.000",
            "months": "3",
            "package": "jkk,jkm,jht",
            "desil_max": "2",
            "scenario": kept,
        },
    )
    assert second.status_code == 303
    location = second.headers["location"]
    ids = parse_qs(urlsplit(location).query)["scenario"]
    assert ids[0] == kept[0]
    assert len(ids) == 2  # the earlier scenario is kept beside the new one
    page = client.get(location)
    assert page.status_code == 200
    assert '<table class="data" id="scenarios">' in page.text
    assert "Skenario 1" in page.text
    assert "Skenario 2" in page.text
    # The budget service, asked the same questions, gives the same funded counts.
    expected = simulation.simulate(
        principal=world.officer,
        sponsor=world.sponsor.code,
        scenarios=[
            simulation.Scenario(budget=1_000_000_000, months=12),
            simulation.Scenario(
                budget=2_000_000,
                months=3,
                package=parse_package({"programs": ["jkk", "jkm", "jht"]}),
                desil_max=2,
            ),
        ],
        url=world.url,
    )
    funded = funded_row(page.text)
    assert [funded["s1"], funded["s2"]] == [text.number(r.funded, "id") for r in expected]
    assert expected[0].funded != expected[1].funded
    table = csv_rows(client.get(f"{location}&export=csv&table=scenarios"))
    raw = {row[0]: row[1:] for row in table[1:]}
    assert raw["Didanai"] == [str(r.funded) for r in expected]
    assert raw["Daftar tunggu"] == [str(r.waitlist) for r in expected]
    assert raw["Sisa anggaran"] == [str(r.budget_left) for r in expected]
    sexes = rows_of(page.text, "by-sex")
    assert sum(int(r["s2_funded"].replace(".", "")) for r in sexes) == expected[1].funded
    assert 'id="chart-by-region"' in page.text
    assert "/assets/sponsors.js" in page.text
    assert client.get("/assets/sponsors.js").status_code == 200

    # Refusals keep what was typed and say why.
    small = client.post(address, data={"budget": "16.799", "months": "1", "scenario": ids})
    assert small.status_code == 422
    assert 'class="problem"' in small.text
    assert "less than one person-month" in small.text
    assert 'value="16.799"' in small.text
    assert funded_row(small.text)["s2"] == funded["s2"]  # the scenarios stay side by side
    no_run = client.post(
        f"/sponsors/{world.other.id}/simulate", data={"budget": "1000000000", "months": "12"}
    )
    assert no_run.status_code == 404
    assert "no targeting run yet" in no_run.text
    assert 'id="no-run"' in no_run.text

    # A finance officer may not enrol (no member.enrol): the page refuses, nothing changes.
    before = {m.participant_number for m in _members(world)}
    chosen = ids[1]
    client = as_user(site, "fin")
    assert client.post(f"/sponsors/{world.sponsor.id}/enrol", data={"scenario_id": chosen}).status_code == 403
    client = as_user(site, "rina")
    enrolled = client.post(
        f"/sponsors/{world.sponsor.id}/enrol", data={"scenario_id": chosen, "scenario": ids}
    )
    assert enrolled.status_code == 303, enrolled.text
    back = parse_qs(urlsplit(enrolled.headers["location"]).query)
    assert back["scenario"] == ids
    counts = {k: int(back[k][0]) for k in ("enrolled", "assigned", "rejected")}
    assert sum(counts.values()) == expected[1].funded
    notice = client.get(enrolled.headers["location"])
    assert 'id="notice"' in notice.text
    assert f"{counts['enrolled']} didaftarkan" in notice.text
    after = {m.participant_number: m for m in _members(world)}
    new = set(after) - before
    assert len(new) == counts["enrolled"] > 0
    for number in new:
        member = membership.get_member(principal=world.officer, participant_number=number, url=world.url)
        assert [(p.sponsor_code, p.from_month) for p in member.payers] == [("KAB", START.first_day)]
    repeat = client.post(f"/sponsors/{world.sponsor.id}/enrol", data={"scenario_id": chosen, "scenario": ids})
    assert "repeat=1" in repeat.headers["location"]
    assert {m.participant_number for m in _members(world)} == set(after)

    # The month is billed; the invoice PDF carries billing's figures.
    billing.run_billing(principal=ADMIN, period=START, url=world.url)
    [invoice] = billing.list_invoices(principal=world.officer, sponsor="KAB", period=START, url=world.url)
    pdf = client.get(f"/sponsors/{world.sponsor.id}/invoice.pdf", params={"month": str(START)})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert invoice.number.encode() in pdf.content
    assert world.sponsor.name.encode() in pdf.content
    assert rp(invoice.total).encode() in pdf.content
    assert invoice.members == counts["enrolled"] + counts["assigned"]
    detail = client.get(f"/sponsors/{world.sponsor.id}", params={"year": START.year})
    assert f"/invoice.pdf?month={START}" in detail.text
    assert (
        client.get(
            f"/sponsors/{world.sponsor.id}/invoice.pdf", params={"month": str(START.plus(-6))}
        ).status_code
        == 404
    )
    assert (
        client.get(f"/sponsors/{world.sponsor.id}/invoice.pdf", params={"month": "2026-13"}).status_code
        == 400
    )


def _members(world: World) -> list[membership.MemberSummary]:
    return membership.search_members(
        principal=world.officer, region_code=world.regency, limit=500, url=world.url
    )


def test_the_simulator_speaks_english_and_shows_no_other_sponsors_scenario(site: Site) -> None:
    world = site.world
    [theirs] = simulation.simulate(
        principal=world.officer,
        sponsor=world.sponsor.code,
        scenarios=[simulation.Scenario(budget=10**9, months=12)],
        url=world.url,
    )
    client = as_user(site, "rina")
    page = client.get(
        f"/sponsors/{world.sponsor.id}/simulate", params={"scenario": theirs.scenario_id, "lang": "en"}
    )
    assert page.status_code == 200
    assert "Scenarios side by side" in page.text
    assert funded_row_en(page.text) == f"{theirs.funded:,}"
    # The same scenario on the other sponsor's page is not found there.
    elsewhere = client.get(f"/sponsors/{world.other.id}/simulate", params={"scenario": theirs.scenario_id})
    assert elsewhere.status_code == 404


def funded_row_en(page: str) -> str:
    return next(r for r in rows_of(page, "scenarios") if r["metric"] == "Funded")["s1"]
