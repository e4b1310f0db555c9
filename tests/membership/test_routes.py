"""`/api/v1/members` over real HTTP (uvicorn on a free port), with bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from sqlalchemy import select

from jaring.accounts import service as accounts
from jaring.api.app import create_app
from jaring.kit import audit, db
from jaring.kit.audit import audit_events
from jaring.kit.auth import system
from jaring.membership import numbers
from tests.accounts.server import serving
from tests.membership.conftest import KEUDE_BAKONGAN, TEBET_BARAT, nik, sponsor

BORN = date(1990, 8, 17)
NIK = nik(BORN, 1, woman=True)
BODY = {
    "nik": NIK,
    "name": "Siti Aminah",
    "birth_date": BORN.isoformat(),
    "region_code": TEBET_BARAT,
    "category": "street_vendor",
    "registered_on": "2026-01-15",
}


@dataclass(frozen=True)
class Api:
    http: httpx.Client
    url: str
    tokens: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(url: str) -> Iterator[Api]:
    tokens = {}
    for username, role, region in (
        ("sari", "regency_officer", "3174"),
        ("teuku", "regency_officer", "1101"),
        ("ani", "auditor", None),
    ):
        user = accounts.create_user(
            principal=system(), username=username, role=role, password=f"{username}-long-secret-1",
            region_code=region, url=url,
        )  # fmt: skip
        tokens[username] = accounts.issue_token(user_id=user.id, url=url)
    with serving(create_app(database_url=url)) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield Api(http, url, tokens)


def test_enrol_show_and_search(api: Api) -> None:
    assert api.http.get("/api/v1/members").status_code == 401
    created = api.http.post("/api/v1/members", json=BODY, headers=api.as_("sari"))
    assert created.status_code == 201, created.text
    member = created.json()
    assert numbers.valid_participant_number(member["participant_number"])
    assert (member["status"], member["nik_masked"], member["sex"]) == ("registered", NIK[:6] + "*" * 10, "P")
    assert member["terms"] == [
        {"from_month": "2026-01", "to_month": None, "income": 1000000, "programs": ["jkk", "jkm"]}
    ]
    assert NIK not in created.text
    pn = member["participant_number"]

    shown = api.http.get(f"/api/v1/members/{pn}", headers=api.as_("sari"))
    assert (shown.status_code, shown.json()) == (200, member)
    found = api.http.get("/api/v1/members", params={"q": "aminah"}, headers=api.as_("sari")).json()
    assert [m["participant_number"] for m in found["members"]] == [pn]

    again = api.http.post("/api/v1/members", json=BODY | {"name": "Other"}, headers=api.as_("sari"))
    assert again.status_code == 409
    assert again.json()["detail"] == f"this NIK is already a member: participant {pn}"

    # Another regency's officer: the member does not exist for them, exactly like a missing one.
    foreign = api.http.get(f"/api/v1/members/{pn}", headers=api.as_("teuku"))
    unused = numbers.participant_number(numbers.serial_of(pn) + 7)
    missing = api.http.get(f"/api/v1/members/{unused}", headers=api.as_("teuku"))
    assert (foreign.status_code, missing.status_code) == (404, 404)
    assert foreign.json() == {"detail": f"participant {pn} not found"}
    assert missing.json() == {"detail": f"participant {unused} not found"}
    assert api.http.get("/api/v1/members", params={"q": "aminah"}, headers=api.as_("teuku")).json() == {
        "members": []
    }
    # ... and writing into their region is refused outright (regions are public).
    there = api.http.post(
        "/api/v1/members",
        json=BODY | {"nik": nik(BORN, 2), "region_code": KEUDE_BAKONGAN},
        headers=api.as_("sari"),
    )
    assert there.status_code == 403
    assert there.json()["detail"] == f"region {KEUDE_BAKONGAN} is outside your area"
    assert api.http.post("/api/v1/members", json=BODY, headers=api.as_("ani")).status_code == 403


def test_bad_input_names_the_field_and_never_echoes_the_nik(api: Api) -> None:
    wrong_date = api.http.post(
        "/api/v1/members", json=BODY | {"birth_date": "1990-08-18"}, headers=api.as_("sari")
    )
    assert wrong_date.status_code == 422
    assert wrong_date.json()["errors"][0]["field"] == "birth_date"
    assert "does not match the date of birth in the NIK" in wrong_date.json()["detail"]
    assert NIK not in wrong_date.text
    short = api.http.post("/api/v1/members", json=BODY | {"nik": NIK[:-1]}, headers=api.as_("sari"))
    assert short.status_code == 422
    assert [e["field"] for e in short.json()["errors"]] == ["body.nik"]
    assert NIK[:-1] not in short.text
    jp = api.http.post(
        "/api/v1/members", json=BODY | {"programs": ["jkk", "jkm", "jp"]}, headers=api.as_("sari")
    )
    assert jp.status_code == 422
    assert "JP is for wage earners" in jp.json()["detail"]
    typo = api.http.get("/api/v1/members/10000000001", headers=api.as_("sari"))
    assert typo.status_code == 422
    assert typo.json()["errors"] == [
        {
            "field": "participant_number",
            "reason": "participant_number: the check digit does not match: the number was mistyped",
        }
    ]
    assert api.http.get("/api/v1/members/123", headers=api.as_("sari")).status_code == 422


def test_self_registration_needs_no_account(api: Api) -> None:
    body = {k: v for k, v in BODY.items() if k != "registered_on"}
    response = api.http.post("/api/v1/members/self-registration", json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["status"] == "registered"
    assert "first contribution" in out["note"]
    assert numbers.valid_participant_number(out["participant_number"])
    again = api.http.post("/api/v1/members/self-registration", json=body)
    assert again.status_code == 409
    assert again.json() == {"detail": "this NIK is already a member"}
    # the public route knows only BPU workers, and unknown fields are refused, not ignored
    wage_earner = api.http.post("/api/v1/members/self-registration", json=body | {"segment": "pu"})
    assert wage_earner.status_code == 422
    assert wage_earner.json()["errors"][0]["field"] == "body.segment"


def test_unmask_terms_and_payer_assignment(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JARING_BPU_INCOME", "any")
    pn = api.http.post("/api/v1/members", json=BODY, headers=api.as_("sari")).json()["participant_number"]
    unmasked = api.http.post(
        f"/api/v1/members/{pn}/nik", json={"reason": "verifikasi klaim"}, headers=api.as_("sari")
    )
    assert (unmasked.status_code, unmasked.json()) == (200, {"participant_number": pn, "nik": NIK})
    assert (
        api.http.post(f"/api/v1/members/{pn}/nik", json={"reason": "x"}, headers=api.as_("sari")).status_code
        == 422
    )
    assert (
        api.http.post(
            f"/api/v1/members/{pn}/nik", json={"reason": "lihat"}, headers=api.as_("ani")
        ).status_code
        == 403
    )
    with db.store(api.url).connect() as conn:
        (event,) = conn.execute(
            select(audit_events).where(audit_events.c.action == "member.nik_unmasked")
        ).all()
    assert event.after == {"reason": "verifikasi klaim"}

    terms = api.http.post(
        f"/api/v1/members/{pn}/terms",
        json={"from_month": "2026-05", "income": 2_000_000},
        headers=api.as_("sari"),
    )
    assert terms.status_code == 200, terms.text
    assert [t["from_month"] for t in terms.json()["terms"]] == ["2026-01", "2026-05"]
    bad_month = api.http.post(
        f"/api/v1/members/{pn}/terms", json={"from_month": "2026-13"}, headers=api.as_("sari")
    )
    assert (bad_month.status_code, bad_month.json()["errors"][0]["field"]) == (422, "body.from_month")

    pemda, desa = sponsor(api.url, "PEMDA-3174"), sponsor(api.url, "DESA-TEBET")
    body = {"sponsor_id": pemda.id, "participant_numbers": [pn], "from_month": "2026-02", "months": 6}
    assigned = api.http.post("/api/v1/members/payer-assignments", json=body, headers=api.as_("sari"))
    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["assigned"], assigned.json()["to_month"]) == (1, "2026-08")
    repeat = api.http.post("/api/v1/members/payer-assignments", json=body, headers=api.as_("sari"))
    assert (repeat.json()["assigned"], repeat.json()["unchanged"]) == (0, 1)
    clash = api.http.post(
        "/api/v1/members/payer-assignments", json=body | {"sponsor_id": desa.id}, headers=api.as_("sari")
    )
    assert clash.status_code == 409
    assert "paid by sponsor PEMDA-3174 for 2026-02..2026-07" in clash.json()["detail"]
    hidden = api.http.post("/api/v1/members/payer-assignments", json=body, headers=api.as_("teuku"))
    assert hidden.status_code == 404
    assert audit.verify(api.url).intact
