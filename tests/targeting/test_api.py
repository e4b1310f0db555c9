"""The sponsor's workflow over real HTTP, as a regency officer: budget, target, a round of
targeting runs, explanation, scenarios, enrolment, ledger and cliffs."""

from __future__ import annotations

import httpx
import pytest

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from jaring.kit import protect
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.targeting.conftest import START, World, expected

PRIORITY = ["desil", "older"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_from_a_budget_to_enrolled_members_over_http(world: World):
    account = make_account(world.url, "rina-http", "regency_officer", region_code=world.regency)
    token = accounts.issue_token(user_id=account.user_id, url=world.url)
    with (
        serving(create_app(database_url=world.url)) as base,
        httpx.Client(base_url=base, timeout=120, headers={"Authorization": f"Bearer {token}"}) as api,
    ):
        budget = api.post(
            "/api/v1/sponsors/KAB/budgets",
            json={
                "fiscal_year": 2026,
                "amount": 1_008_000,
                "first_month": "2026-12",
                "last_month": "2026-12",
            },
        )
        assert budget.status_code == 201, budget.text
        put = api.put("/api/v1/sponsors/KAB/target", json={"rule": {"desil_max": 4}, "priority": PRIORITY})
        assert put.status_code == 200, put.text
        api.put("/api/v1/sponsors/DESA/target", json={"rule": {"desil_max": 2}}).raise_for_status()
        started = api.post(
            "/api/v1/targeting-rounds", json={"snapshot": world.snapshot_id, "start_month": str(START)}
        )
        assert started.status_code == 201, started.text
        runs = {r["sponsor"]: r for r in started.json()["runs"]}
        assert sorted(runs) == ["DESA", "KAB"]
        reasons, order = expected(world, {"desil_max": 4}, PRIORITY)
        assert runs["KAB"]["eligible"] == len(order) > 10
        assert runs["KAB"]["excluded"] == {k: v for k, v in reasons.items() if k and v}
        first = next(p for p in world.persons if protect.blind_index(p["nik"]) == order[0])
        explained = api.post(
            f"/api/v1/targeting-runs/{runs['KAB']['run_id']}/explain", json={"nik": first["nik"]}
        )
        assert explained.json()["rank"] == 1
        assert first["nik"] not in explained.text
        simulated = api.post(
            "/api/v1/sponsors/KAB/scenarios",
            json={"run_id": runs["KAB"]["run_id"], "scenarios": [{"budget": 1_008_000, "months": 6}]},
        )
        assert simulated.status_code == 201, simulated.text
        scenario = simulated.json()[0]
        assert scenario["funded"] == 10  # Rp 1.008.000 = 10 persons x 6 months x Rp 16.800
        enrolled = api.post(f"/api/v1/budget-scenarios/{scenario['scenario_id']}/enrolment")
        assert enrolled.status_code == 201, enrolled.text
        assert enrolled.json()["accepted"] == 10
        # The fiscal year 2026 holds the first funded month (December) of the six.
        ledger = api.get("/api/v1/sponsors/KAB/ledger", params={"year": 2026}).json()
        assert ledger["allocated"] == 1_008_000
        assert ledger["committed"] == 10 * 16_800
        cliffs = api.get("/api/v1/sponsors/KAB/cliffs", params={"date": "2027-04-01"}).json()
        assert [(c["ends_on"], c["members"], c["undecided"]) for c in cliffs["months"]] == [
            ("2027-06", 10, 10)
        ]
        # Bad input gets a clear answer naming the mistake.
        assert (
            api.post(
                "/api/v1/targeting-rounds", json={"sponsors": ["NOPE"], "snapshot": world.snapshot_id}
            ).status_code
            == 404
        )
        small = api.post("/api/v1/sponsors/KAB/scenarios", json={"scenarios": [{"budget": 100, "months": 1}]})
        assert small.status_code == 422
        assert "person-month" in small.text
