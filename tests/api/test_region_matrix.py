"""Every API route × every role × a record in a foreign region: refused, and refused exactly as
if the record did not exist.

The routes come from the OpenAPI document, so a new route that is in neither table below
fails `test_every_route_is_in_the_matrix` until someone decides how it is scoped.

The caller works in DKI Jakarta (province 31, regency 3171); the foreign records live in
Kabupaten Malang (3507, province 35).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from jaring.claims import reports
from jaring.claims import service as claims
from jaring.contributions import payments
from jaring.contributions.billing import list_invoices, run_billing
from jaring.contributions.model import charges
from jaring.kit import db
from jaring.kit.auth import ROLES, system
from jaring.kit.periods import Month
from jaring.membership.numbers import participant_number
from jaring.registry.generate import generate
from jaring.registry.service import import_snapshot
from jaring.sponsors.targets import set_target
from jaring.targeting.budget import Scenario, simulate
from jaring.targeting.service import run_targeting
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import at

ABSENT_MEMBER = participant_number(1_000_099_999)  # well-formed, and nobody has it
CLAIMANT = {"relationship": "spouse", "name": "Sri"}

# Routes that hold no region-scoped record, and why.
UNSCOPED = {
    ("post", "/api/v1/auth/token"): "login",
    ("delete", "/api/v1/auth/token"): "logout of one's own token",
    ("post", "/api/v1/auth/session"): "login",
    ("delete", "/api/v1/auth/session"): "logout",
    ("get", "/api/v1/auth/me"): "one's own account",
    ("get", "/api/v1/regions"): "public reference data",
    ("get", "/api/v1/regions/{code}"): "public reference data",
    ("get", "/api/v1/regions/{code}/children"): "public reference data",
    ("post", "/api/v1/members/self-registration"): "public self-registration (creates, reads nothing)",
    ("post", "/api/v1/payments"): "payment channels, HMAC-signed (tests/contributions/test_payments_api.py)",
    ("post", "/api/v1/payments/{payment_id}/reversal"): "payment channels, HMAC-signed; a channel "
    "reversing another's payment gets 404 (test_payments_api.py)",
    ("get", "/api/v1/claims/kinds"): "reference: the claim types and their documents",
}


@dataclass
class Foreign:
    member: str
    sponsored: str
    invoice: str
    payment: int
    sponsor_id: int
    username: str
    run_id: int = 1
    snapshot: str = "2026-09-30"
    scenario_id: int = 1
    claim_id: int = 1
    report_id: int = 1


def _foreign_run(url: str, tmp: Path) -> tuple[int, str, int]:
    """A targeting run of the foreign sponsor over a small snapshot of its province."""
    extract = tmp / "extract.csv"
    generate(persons=80, seed=3, out=extract, provinces=["35"])
    snapshot = import_snapshot(path=extract, snapshot_date=date(2026, 9, 30), url=url).snapshot_id
    set_target(principal=system("test"), sponsor="KAB-MALANG", url=url)
    report = run_targeting(principal=system("test"), sponsor="KAB-MALANG", snapshot=snapshot, url=url)
    scenario = simulate(
        principal=system("test"),
        sponsor="KAB-MALANG",
        scenarios=[Scenario(budget=50_000_000, months=12)],
        url=url,
    )[0]
    return report.run_id, snapshot, scenario.scenario_id


@pytest.fixture
def setting(
    store_url: str, jaring_env: Path, tmp_path: Path
) -> Iterator[tuple[World, Foreign, dict[str, str], httpx.Client]]:
    world = World(store_url)
    world.sponsor("KAB-MALANG", "regency", "3507")
    world.sponsor("KOTA-JAKSEL", "regency", "3171")
    foreign_member = world.person(1, "3507010001", date(2026, 1, 5))
    sponsored = world.person(2, "3507010001", date(2026, 1, 5), sponsor="KAB-MALANG")
    own_member = world.person(3, "3171010001", date(2026, 1, 5))
    run_billing(principal=system("test"), period=Month.parse("2026-01"), url=store_url)
    invoice = list_invoices(principal=system("test"), url=store_url)[0].number
    paid = payments.record_payment(
        channel="BANK-T", idempotency_key="m1", reference=foreign_member.participant_number, amount=16_800,
        paid_at=at("2026-01-06"), url=store_url, now=at("2026-01-06", 11),
    )  # fmt: skip
    make_account(store_url, "malang", "regency_officer", region_code="3507")
    links = {
        "national_admin": {"region_code": "31"},
        "province_officer": {"region_code": "31"},
        "regency_officer": {"region_code": "3171"},
        "sponsor_finance": {"sponsor_id": world.sponsors["KOTA-JAKSEL"][0]},
        "claims_officer": {"region_code": "3171"},
        "claims_supervisor": {"region_code": "3171"},
        "auditor": {"region_code": "31"},
        "member": {"member_id": own_member.id},
    }
    tokens = {}
    for role in ROLES:
        account = make_account(store_url, f"u-{role.replace('_', '-')}", role, **links[role])  # type: ignore[arg-type]
        tokens[role] = accounts.issue_token(user_id=account.user_id, url=store_url)
    run_id, snapshot, scenario_id = _foreign_run(store_url, tmp_path)
    report = reports.report_accident(
        principal=system("test"), participant_number=foreign_member.participant_number,
        accident_at=at("2026-01-20"), reporter="member", reported_at=at("2026-01-20", 12), url=store_url,
    )  # fmt: skip
    claim = claims.file_claim(
        principal=system("test"), participant_number=foreign_member.participant_number, kind="jkm_death",
        event_date=date(2026, 1, 25), claimant=CLAIMANT, filed_at=at("2026-01-26"), url=store_url,
    )  # fmt: skip
    foreign = Foreign(
        member=foreign_member.participant_number,
        sponsored=sponsored.participant_number,
        invoice=invoice,
        payment=paid.payment_id,
        sponsor_id=world.sponsors["KAB-MALANG"][0],
        username="malang",
        run_id=run_id,
        snapshot=snapshot,
        scenario_id=scenario_id,
        claim_id=claim.id,
        report_id=report.id,
    )
    with (
        serving(create_app(database_url=store_url)) as base,
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield world, foreign, tokens, client


def _targets(f: Foreign) -> dict[tuple[str, str], tuple[dict[str, str], dict[str, str], object]]:
    """Routes that name one record: (foreign path params, absent path params, body)."""
    member = ({"participant_number": f.member}, {"participant_number": ABSENT_MEMBER})
    sponsor = ({"sponsor": "KAB-MALANG"}, {"sponsor": "KAB-NOWHERE"})
    run = ({"run_id": str(f.run_id)}, {"run_id": "999999"})
    claim = ({"claim_id": str(f.claim_id)}, {"claim_id": "999999"})
    return {
        ("get", "/api/v1/members/{participant_number}"): (*member, None),
        ("post", "/api/v1/members/{participant_number}/nik"): (*member, {"reason": "identity check"}),
        ("post", "/api/v1/members/{participant_number}/terms"): (
            *member,
            {"from_month": "2026-12", "income": 1_000_000},
        ),
        ("get", "/api/v1/members/{participant_number}/charges"): (*member, None),
        ("post", "/api/v1/members/{participant_number}/prepayments"): (*member, {"months": 3}),
        ("get", "/api/v1/members/{participant_number}/coverage"): (*member, None),
        ("get", "/api/v1/members/{participant_number}/coverage/history"): (*member, None),
        ("get", "/api/v1/invoices/{number}"): ({"number": f.invoice}, {"number": "INV-NONE-202601"}, None),
        ("get", "/api/v1/payments/{payment_id}"): (
            {"payment_id": str(f.payment)},
            {"payment_id": "999999"},
            None,
        ),
        ("post", "/api/v1/users/{username}/unlock"): ({"username": f.username}, {"username": "nobody"}, None),
        ("get", "/api/v1/sponsors/{sponsor}"): (*sponsor, None),
        ("get", "/api/v1/sponsors/{sponsor}/budgets"): (*sponsor, None),
        ("post", "/api/v1/sponsors/{sponsor}/budgets"): (
            *sponsor,
            {"fiscal_year": 2027, "amount": 1_000_000},
        ),
        ("get", "/api/v1/sponsors/{sponsor}/target"): (*sponsor, None),
        ("put", "/api/v1/sponsors/{sponsor}/target"): (*sponsor, {"rule": {"desil_max": 2}}),
        ("get", "/api/v1/sponsors/{sponsor}/ledger"): (*sponsor, None),
        ("get", "/api/v1/sponsors/{sponsor}/cliffs"): (*sponsor, None),
        ("post", "/api/v1/sponsors/{sponsor}/drift-reviews"): (
            *sponsor,
            {"old": f.snapshot, "new": f.snapshot},
        ),
        ("post", "/api/v1/sponsors/{sponsor}/drift-reviews/decisions"): (
            *sponsor,
            {"item_ids": [1], "decision": "keep"},
        ),
        ("post", "/api/v1/sponsors/{sponsor}/transitions"): (
            *sponsor,
            {"ends_on": "2027-01", "action": "self_pay"},
        ),
        ("get", "/api/v1/targeting-runs/{run_id}"): (*run, None),
        ("post", "/api/v1/targeting-runs/{run_id}/explain"): (*run, {"nik": "3507015001900001"}),
        ("post", "/api/v1/targeting-runs/{run_id}/rerun"): (*run, {}),
        ("post", "/api/v1/sponsors/{sponsor}/scenarios"): (*sponsor, {"scenarios": [{"budget": 10_000_000}]}),
        ("get", "/api/v1/budget-scenarios/{scenario_id}"): (
            {"scenario_id": str(f.scenario_id)},
            {"scenario_id": "999999"},
            None,
        ),
        ("post", "/api/v1/budget-scenarios/{scenario_id}/enrolment"): (
            {"scenario_id": str(f.scenario_id)},
            {"scenario_id": "999999"},
            None,
        ),
        ("post", "/api/v1/budget-scenarios/{scenario_id}/backfill"): (
            {"scenario_id": str(f.scenario_id)},
            {"scenario_id": "999999"},
            None,
        ),
        ("post", "/api/v1/users/{username}/deactivate"): (
            {"username": f.username},
            {"username": "nobody"},
            None,
        ),
        ("get", "/api/v1/accident-reports/{report_id}"): (
            {"report_id": str(f.report_id)},
            {"report_id": "999999"},
            None,
        ),
        ("get", "/api/v1/claims/{claim_id}"): (*claim, None),
        ("post", "/api/v1/claims/{claim_id}/documents"): (*claim, {"codes": ["kartu_peserta"]}),
        ("post", "/api/v1/claims/{claim_id}/verify"): (*claim, None),
        ("post", "/api/v1/claims/{claim_id}/approve"): (*claim, None),
        ("post", "/api/v1/claims/{claim_id}/reject"): (*claim, {"reason": "dokumen palsu"}),
        ("post", "/api/v1/claims/{claim_id}/payouts"): (*claim, {"transfer_ref": "TRF-9"}),
    }


def _body_targets(f: Foreign) -> dict[tuple[str, str], tuple[dict[str, object], dict[str, object]]]:
    """Routes that name one record in their body: (body naming the foreign member, the same
    naming nobody). The answers must be refusals and the same, but for the number asked."""
    claim = {"kind": "jkm_death", "event_date": "2026-01-25", "claimant": CLAIMANT}
    report = {"accident_at": "2026-01-20T08:00:00", "reporter": "member"}
    return {
        ("post", "/api/v1/claims"): (
            {"participant_number": f.member, **claim},
            {"participant_number": ABSENT_MEMBER, **claim},
        ),
        ("post", "/api/v1/accident-reports"): (
            {"participant_number": f.member, **report},
            {"participant_number": ABSENT_MEMBER, **report},
        ),
    }


def _writes(f: Foreign) -> dict[tuple[str, str], object]:
    """Routes that create or act on a set: a body aimed at the foreign region."""
    enrol = {"nik": "3507015001900001", "name": "Siti", "birth_date": "1990-01-01"}
    assign = {"sponsor_id": f.sponsor_id, "participant_numbers": [f.member], "from_month": "2026-12"}
    user = {"username": "newcomer", "role": "regency_officer", "password": "a-long-password-1"}
    return {
        ("post", "/api/v1/members"): {**enrol, "region_code": "3507010001", "category": "petani"},
        ("post", "/api/v1/members/payer-assignments"): {**assign, "months": 1},
        ("post", "/api/v1/users"): {**user, "region_code": "3507"},
        ("post", "/api/v1/billing/runs"): {"period": "2026-02"},
        ("post", "/api/v1/sponsors"): {
            "code": "NEW-3507",
            "name": "Baru",
            "kind": "regency",
            "region_code": "3507",
        },
        # By id: a 404 echoing the code asked for would trip the "reveals" check below.
        ("post", "/api/v1/targeting-runs"): {"sponsor": str(f.sponsor_id), "snapshot": f.snapshot},
        ("post", "/api/v1/targeting-rounds"): {"sponsors": [str(f.sponsor_id)], "snapshot": f.snapshot},
    }


def _lists() -> dict[tuple[str, str], dict[str, str]]:
    """Routes that list: they may answer, but never with a foreign record in them."""
    return {
        ("get", "/api/v1/members"): {"q": "1000"},
        ("get", "/api/v1/invoices"): {},
        ("get", "/api/v1/payments"): {},
        ("get", "/api/v1/coverage/warnings"): {"date": "2026-06-01"},
        ("get", "/api/v1/users"): {},
        ("get", "/api/v1/ledger/check"): {},
        ("get", "/api/v1/sponsors"): {},
        ("get", "/api/v1/claims"): {},
    }


def _path(template: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", value)
    return template


def _query(route: tuple[str, str]) -> dict[str, str]:
    if route[1].endswith("/coverage"):
        return {"date": "2026-06-01"}
    return {"year": "2026"} if route[1].endswith("/ledger") else {}


def test_every_route_is_in_the_matrix(store_url: str) -> None:
    f = Foreign("1", "1", "1", 1, 1, "x")
    known = set(UNSCOPED) | set(_targets(f)) | set(_writes(f)) | set(_lists()) | set(_body_targets(f))
    document = create_app(database_url=store_url).openapi()
    routes = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert routes - known == set(), "new routes need a row in the region matrix"
    assert known - routes == set(), "the matrix names routes that no longer exist"


def test_no_role_reaches_a_foreign_record(
    setting: tuple[World, Foreign, dict[str, str], httpx.Client],
) -> None:
    world, f, tokens, client = setting
    with db.store(world.url).connect() as conn:
        foreign_charges = conn.execute(
            select(func.count()).select_from(charges).where(charges.c.region_code.startswith("3507"))
        ).scalar()
    secrets = [f.member, f.sponsored, f.invoice, "KAB-MALANG", '"malang"']
    failures: list[str] = []
    for role, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for (method, template), (params, absent, body) in _targets(f).items():
            kw = {"headers": headers, "params": _query((method, template))}
            if body is not None:
                kw["json"] = body
            seen = client.request(method.upper(), _path(template, params), **kw)  # type: ignore[arg-type]
            missing = client.request(method.upper(), _path(template, absent), **kw)  # type: ignore[arg-type]
            where = f"{role} {method.upper()} {template}"
            if seen.status_code not in (403, 404):
                failures.append(f"{where}: {seen.status_code} {seen.text[:120]}")
            elif seen.status_code == 404:
                same = seen.text
                for key, value in params.items():
                    same = same.replace(value, absent[key])
                if missing.status_code != 404 or same != missing.text:
                    failures.append(
                        f"{where}: foreign {seen.text[:80]} vs absent "
                        f"{missing.status_code} {missing.text[:80]}"
                    )
        for (method, template), (foreign_body, absent_body) in _body_targets(f).items():
            seen = client.request(method.upper(), template, headers=headers, json=foreign_body)
            missing = client.request(method.upper(), template, headers=headers, json=absent_body)
            where = f"{role} {method.upper()} {template}"
            if seen.status_code not in (403, 404):
                failures.append(f"{where}: {seen.status_code} {seen.text[:120]}")
            elif seen.text.replace(f.member, ABSENT_MEMBER) != missing.text:
                failures.append(f"{where}: foreign {seen.text[:80]} vs absent {missing.text[:80]}")
        for (method, template), body in _writes(f).items():
            answer = client.request(method.upper(), template, headers=headers, json=body)
            where = f"{role} {method.upper()} {template}"
            if template == "/api/v1/billing/runs":
                if answer.status_code not in (201, 202, 200, 403):
                    failures.append(f"{where}: {answer.status_code} {answer.text[:120]}")
            elif answer.status_code < 400:
                failures.append(f"{where}: {answer.status_code} {answer.text[:120]}")
            if any(s in answer.text for s in secrets):
                failures.append(f"{where}: reveals a foreign record: {answer.text[:120]}")
        for (method, template), query in _lists().items():
            answer = client.request(method.upper(), template, headers=headers, params=query)
            where = f"{role} {method.upper()} {template}"
            if answer.status_code not in (200, 403):
                failures.append(f"{where}: {answer.status_code} {answer.text[:120]}")
            if any(s in answer.text for s in secrets):
                failures.append(f"{where}: lists a foreign record: {json.dumps(answer.json())[:160]}")
    with db.store(world.url).connect() as conn:
        after = conn.execute(
            select(func.count()).select_from(charges).where(charges.c.region_code.startswith("3507"))
        ).scalar()
    if after != foreign_charges:
        failures.append(
            f"a billing run from outside billed the foreign region ({foreign_charges} -> {after})"
        )
    assert not failures, "\n".join(failures)
