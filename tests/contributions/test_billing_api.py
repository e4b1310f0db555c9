"""Billing over real HTTP (uvicorn), with real accounts and bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from jaring.kit.auth import system
from tests.accounts.server import serving
from tests.contributions.billing_fixtures import MAY, World, mixed, world_id


@dataclass
class Api:
    client: httpx.Client
    world: World
    url: str

    def token(self, username: str, role: str, **links: object) -> dict[str, str]:
        secret = f"{username}-long-secret-1"
        user = accounts.create_user(
            principal=system(), username=username, role=role, password=secret, url=self.url, **links
        )
        return {"Authorization": f"Bearer {accounts.issue_token(user_id=user.id, url=self.url)}"}


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    world = mixed(store_url)
    with (
        serving(create_app(database_url=store_url)) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        yield Api(client, world, store_url)


def test_a_run_over_http_then_a_rerun(api):
    admin = api.token("admin", "national_admin")
    first = api.client.post("/api/v1/billing/runs", json={"period": "2026-05"}, headers=admin)
    assert first.status_code == 201
    body = first.json()
    expected = api.world.expected(MAY)
    assert (body["period"], body["charges_created"], body["amount_total"]) == (
        "2026-05",
        len(expected),
        sum(row[1] for row in expected.values()),
    )
    assert sorted(body["invoices"]) == ["INV-CSR3507-202605", "INV-PROV35-202605"]
    again = api.client.post("/api/v1/billing/runs", json={"period": "2026-05"}, headers=admin).json()
    assert (again["charges_created"], again["already_billed"]) == (0, len(expected))


def test_run_input_and_permission_errors(api):
    admin = api.token("admin", "national_admin")
    bad = api.client.post("/api/v1/billing/runs", json={"period": "2026-5"}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.period"
    impossible = api.client.post("/api/v1/billing/runs", json={"period": "2026-13"}, headers=admin)
    assert impossible.status_code == 422
    far = api.client.post("/api/v1/billing/runs", json={"period": "2999-01"}, headers=admin)
    assert far.status_code == 422
    assert far.json()["errors"] == [{"field": "period", "reason": far.json()["detail"]}]
    assert api.client.post("/api/v1/billing/runs", json={"period": "2026-05"}).status_code == 401
    auditor = api.token("audit", "auditor")
    assert (
        api.client.post("/api/v1/billing/runs", json={"period": "2026-05"}, headers=auditor).status_code
        == 403
    )


def test_invoices_by_scope_and_sponsor(api):
    admin = api.token("admin", "national_admin")
    api.client.post("/api/v1/billing/runs", json={"period": "2026-05"}, headers=admin)
    prov = api.world.sponsors["PROV35"][0]
    finance = api.token("keuangan", "sponsor_finance", sponsor_id=prov)
    listed = api.client.get("/api/v1/invoices", headers=finance).json()
    assert [i["number"] for i in listed] == ["INV-PROV35-202605"]
    detail = api.client.get("/api/v1/invoices/INV-PROV35-202605", headers=finance).json()
    assert detail["control"] == {"members": 2, "total": detail["total"], "balanced": True}
    assert [line["participant_number"] for line in detail["lines"]] == [
        api.world.people[world_id(n)].participant_number for n in (4, 5)
    ]
    assert api.client.get("/api/v1/invoices/INV-CSR3507-202605", headers=finance).status_code == 404
    regency = api.token("siti", "regency_officer", region_code="3507")
    assert api.client.get("/api/v1/invoices/INV-PROV35-202605", headers=regency).status_code == 404
    filtered = api.client.get(
        "/api/v1/invoices", params={"sponsor": "CSR3507", "period": "2026-05"}, headers=admin
    )
    assert [i["number"] for i in filtered.json()] == ["INV-CSR3507-202605"]
    assert api.client.get("/api/v1/invoices", params={"period": "May"}, headers=admin).status_code == 422


def test_a_member_reads_charges_and_prepays_for_themself(api):
    siti, joko = api.world.people[world_id(1)], api.world.people[world_id(2)]
    me = api.token("siti", "member", member_id=siti.id)
    created = api.client.post(
        f"/api/v1/members/{siti.participant_number}/prepayments",
        json={"months": 3, "start": "2026-11"},
        headers=me,
    )
    assert created.status_code == 201
    body = created.json()
    assert [c["month"] for c in body["charges"]] == ["2026-11", "2026-12", "2027-01"]
    assert body["total"] == 8_400 + 8_400 + 16_800
    charges = api.client.get(f"/api/v1/members/{siti.participant_number}/charges", headers=me).json()
    assert [c["month"] for c in charges["charges"]] == ["2026-11", "2026-12", "2027-01"]
    assert api.client.get(f"/api/v1/members/{joko.participant_number}/charges", headers=me).status_code == 404
    five = api.client.post(
        f"/api/v1/members/{siti.participant_number}/prepayments", json={"months": 5}, headers=me
    )
    assert five.status_code == 422
    assert five.json()["errors"][0]["field"] == "months"
    sponsored = api.world.people[world_id(4)]
    admin = api.token("admin", "national_admin")
    refused = api.client.post(
        f"/api/v1/members/{sponsored.participant_number}/prepayments", json={"months": 3}, headers=admin
    )
    assert refused.status_code == 409
    assert api.client.get("/api/v1/members/123/charges", headers=admin).status_code == 422


def test_the_routes_are_published(api):
    spec = api.client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/billing/runs",
        "/api/v1/invoices",
        "/api/v1/invoices/{number}",
        "/api/v1/members/{participant_number}/charges",
        "/api/v1/members/{participant_number}/prepayments",
    } <= set(spec["paths"])
