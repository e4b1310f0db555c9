"""Claims over real HTTP: an officer files, two supervisors verify and approve (never the same
one), the payout is posted once, and the member follows their own claim."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.claims.conftest import paid_through_march
from tests.contributions.billing_fixtures import Person, World


@pytest.fixture
def api(world: World) -> Iterator[tuple[httpx.Client, dict[str, dict[str, str]], Person]]:
    person = paid_through_march(world)
    people = {
        "officer": ("claims_officer", {"region_code": "3507"}),
        "first": ("claims_supervisor", {"region_code": "35"}),
        "second": ("claims_supervisor", {"region_code": "3507"}),
        "member": ("member", {"member_id": person.id}),
    }
    headers = {}
    for name, (role, links) in people.items():
        account = make_account(world.url, f"u-{name}", role, **links)  # type: ignore[arg-type]
        token = accounts.issue_token(user_id=account.user_id, url=world.url)
        headers[name] = {"Authorization": f"Bearer {token}"}
    with (
        serving(create_app(database_url=world.url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client, headers, person


def test_a_claim_through_the_api(api: tuple[httpx.Client, dict[str, dict[str, str]], Person]) -> None:
    client, who, person = api
    kinds = client.get("/api/v1/claims/kinds", params={"lang": "en"}).json()
    jkm = next(k for k in kinds if k["kind"] == "jkm_death")
    assert jkm["claimed_by_heirs"] is True
    body = {
        "participant_number": person.participant_number,
        "kind": "jkm_death",
        "event_date": "2026-04-10",
        "claimant": {"relationship": "spouse", "name": "Sri Wahyuni"},
        "heirs": ["spouse", "child"],
        "documents": [d["code"] for d in jkm["documents"]],
    }
    filed = client.post("/api/v1/claims", json=body, headers=who["officer"])
    assert filed.status_code == 201, filed.text
    claim = filed.json()
    assert claim["status"] == "documents_complete"
    assert claim["amount_total"] == 42_000_000

    out_of_order = client.post(
        "/api/v1/claims",
        json={**body, "claimant": {"relationship": "sibling", "name": "Tono"}},
        headers=who["officer"],
    )
    assert out_of_order.status_code == 422
    assert out_of_order.json()["errors"][0]["field"] == "claimant.relationship"

    number = claim["id"]
    assert client.post(f"/api/v1/claims/{number}/verify", headers=who["first"]).status_code == 200
    same = client.post(f"/api/v1/claims/{number}/approve", headers=who["first"])
    assert same.status_code == 403
    assert "maker-checker" in same.json()["detail"]
    assert client.post(f"/api/v1/claims/{number}/approve", headers=who["officer"]).status_code == 403
    approved = client.post(f"/api/v1/claims/{number}/approve", headers=who["second"])
    assert approved.status_code == 200
    paid = client.post(
        f"/api/v1/claims/{number}/payouts", json={"transfer_ref": "BRI-1"}, headers=who["second"]
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["status"] == "paid"
    again = client.post(
        f"/api/v1/claims/{number}/payouts", json={"transfer_ref": "BRI-2"}, headers=who["second"]
    )
    assert again.status_code == 409

    mine = client.get("/api/v1/claims", headers=who["member"]).json()
    assert [c["id"] for c in mine] == [number]
    seen = client.get(f"/api/v1/claims/{number}", headers=who["member"], params={"lang": "en"}).json()
    assert seen["status"] == "paid"
    assert seen["calculation"]["lines"][0]["label"] == "JKM lump sum"
    assert client.post(f"/api/v1/claims/{number}/verify", headers=who["member"]).status_code == 403


def test_a_member_reports_their_own_accident(
    api: tuple[httpx.Client, dict[str, dict[str, str]], Person],
) -> None:
    client, who, person = api
    answer = client.post(
        "/api/v1/accident-reports",
        json={"participant_number": person.participant_number, "accident_at": "2026-04-10T08:00:00",
              "reporter": "family"},
        headers=who["member"],
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["accident_at"] == "2026-04-10T08:00:00+07:00"
    assert report["late"] is True  # reported today, long after two days
    employer = client.post(
        "/api/v1/accident-reports",
        json={"participant_number": person.participant_number, "accident_at": "2026-04-10T08:00:00",
              "reporter": "employer"},
        headers=who["member"],
    )  # fmt: skip
    assert employer.status_code == 422
    assert employer.json()["errors"][0]["field"] == "reporter"
