"""The claims pages over real HTTP: a claim filed through the form, the queue and its export,
verification by one person and approval by another, maker-checker refusing the same person,
another region's claim answering like a missing one, and a role without claim.read refused."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from jaring.api.app import create_app
from jaring.claims import kinds, service
from jaring.claims.views import ClaimView
from jaring.kit.auth import Principal
from tests.accounts.conftest import make_account
from tests.accounts.server import serving
from tests.claims.conftest import paid_through_march
from tests.contributions.billing_fixtures import Person, World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay
from tests.web.conftest import login

# Who reads the store back in the tests: national, so it is never the page's own scope.
READER = Principal("reader", "national_admin")
JKM_DOCUMENTS = list(kinds.KINDS["jkm_death"].documents)


@dataclass
class Claims:
    base: str
    world: World
    here: Person  # a member of Kabupaten Malang (3507), paid through March 2026
    there: Person  # a member of Jakarta (3171), paid too
    clients: list[httpx.Client]

    def as_user(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=30)
        self.clients.append(client)
        login(client, username, f"{username}-long-secret-1")
        return client

    def stored(self, claim_id: int) -> ClaimView:
        return service.get_claim(principal=READER, claim_id=claim_id, url=self.world.url)


@pytest.fixture
def claims_site(store_url: str, jaring_env: object) -> Iterator[Claims]:
    from jaring.reference.load import load_all

    load_all(url=store_url, with_stats=False)
    world = World(store_url)
    sponsor = world.sponsor("KAB", "regency", "3507")
    here = paid_through_march(world, 1)
    there = world.person(2, "3171010003", date(2026, 1, 10))
    bill_through(world, there, "2026-03")
    pay(world, there, sum(charge_amounts(store_url, there).values()), "2026-03-05")
    for username, role, links in (
        ("andi", "claims_officer", {"region_code": "3507"}),
        ("citra", "claims_supervisor", {"region_code": "3507"}),
        ("budi", "claims_supervisor", {"region_code": "35"}),
        ("dewi", "claims_officer", {"region_code": "3171"}),
        ("fina", "sponsor_finance", {"sponsor_id": sponsor}),
        ("rina", "regency_officer", {"region_code": "3507"}),
    ):
        make_account(store_url, username, role, **links)
    with serving(create_app(database_url=store_url)) as base:
        site = Claims(base, world, here, there, [])
        try:
            yield site
        finally:
            for client in site.clients:
                client.close()


def file_death(client: httpx.Client, person: Person, **changes: object) -> httpx.Response:
    form: dict[str, object] = {
        "kind": "jkm_death",
        "participant": person.participant_number,
        "event_date": "2026-04-10",
        "claimant_relationship": "spouse",
        "claimant_name": "Sri Wahyuni",
        "heirs": ["spouse", "child"],
        "documents": JKM_DOCUMENTS,
        **changes,
    }
    return client.post("/claims", data=form)


def filed(answer: httpx.Response) -> int:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/claims/(\d+)\?done=filed", answer.headers["location"])
    assert found is not None, answer.headers["location"]
    return int(found.group(1))


def problem(page: httpx.Response) -> str:
    found = re.search(r'<p class="problem"[^>]*>(.*?)</p>', page.text, re.S)
    assert found is not None, page.text
    return html.unescape(found.group(1))


def queue_ids(page: httpx.Response) -> list[str]:
    return re.findall(r'<td class="text" data-key="id"><a href="/claims/(\d+)">', page.text)


def test_a_claim_filed_on_the_form_is_in_the_queue_and_its_export(claims_site: Claims) -> None:
    andi = claims_site.as_user("andi")
    claim_id = filed(file_death(andi, claims_site.here))
    dewi = claims_site.as_user("dewi")
    elsewhere = filed(file_death(dewi, claims_site.there))
    stored = claims_site.stored(claim_id)
    assert stored.status == "documents_complete"
    assert stored.participant_number == claims_site.here.participant_number
    assert stored.claimant == {"relationship": "spouse", "name": "Sri Wahyuni"}

    page = andi.get(f"/claims/{claim_id}?done=filed")
    assert page.status_code == 200
    assert 'id="notice"' in page.text
    assert "Klaim diajukan." in page.text
    assert "dokumen lengkap" in page.text
    assert f'data-amount="{stored.amount_total}"' in page.text
    assert stored.amount_total > 0
    assert stored.calculation is not None
    for line in stored.calculation["lines"]:
        assert line["reference"] in page.text

    queue = andi.get("/claims")
    assert queue.status_code == 200
    assert queue_ids(queue) == [str(claim_id)]  # Jakarta's claim is not in Malang's queue
    assert 'id="claim-filter"' in queue.text
    assert claims_site.here.participant_number in queue.text
    exported = andi.get("/claims", params={"export": "csv"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "No. klaim"
    assert [row[0] for row in rows[1:]] == queue_ids(queue)
    assert rows[1][6] == str(stored.amount_total)
    assert rows[1][4] == "2026-04-10"
    xlsx = andi.get("/claims", params={"export": "xlsx", "status": "documents_complete"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"

    assert queue_ids(andi.get("/claims", params={"status": "documents_complete"})) == [str(claim_id)]
    assert queue_ids(andi.get("/claims", params={"status": "paid"})) == []
    assert queue_ids(andi.get("/claims", params={"kind": "jht"})) == []
    assert queue_ids(andi.get("/claims", params={"kind": "jkm_death"})) == [str(claim_id)]
    assert queue_ids(dewi.get("/claims")) == [str(elsewhere)]
    mine = andi.get("/claims", params={"participant": str(claims_site.here.id)})
    assert queue_ids(mine) == [str(claim_id)]
    outside = andi.get("/claims", params={"participant": claims_site.there.participant_number})
    assert outside.status_code == 404
    assert queue_ids(outside) == []
    unknown = andi.get("/claims", params={"status": "lost"})
    assert unknown.status_code == 422
    assert "status must be one of" in problem(unknown)
    english = andi.get("/claims", params={"lang": "en"})
    assert "Claims queue" in english.text
    assert "documents complete" in english.text


def test_verified_by_an_officer_and_approved_by_a_supervisor(claims_site: Claims) -> None:
    andi = claims_site.as_user("andi")
    claim_id = filed(file_death(andi, claims_site.here))
    page = andi.get(f"/claims/{claim_id}")
    assert 'id="verify-form"' in page.text
    assert 'id="verify"' in page.text
    assert 'id="approve-form"' not in page.text  # an officer does not approve
    assert 'id="pay-form"' not in page.text

    verified = andi.post(f"/claims/{claim_id}/verify")
    assert verified.status_code == 303
    assert verified.headers["location"] == f"/claims/{claim_id}?done=verified"
    stored = claims_site.stored(claim_id)
    assert stored.status == "verified"
    assert stored.workflow["verified_by"] == "claims_officer:andi"
    assert andi.post(f"/claims/{claim_id}/approve").status_code == 403  # not the officer's role
    assert claims_site.stored(claim_id).status == "verified"

    citra = claims_site.as_user("citra")
    page = citra.get(f"/claims/{claim_id}")
    assert 'id="approve-form"' in page.text
    assert 'id="maker-checker-hint"' not in page.text
    assert 'id="verify-form"' not in page.text
    assert 'data-step="verified"' in page.text
    assert "andi (Petugas klaim)" in page.text
    approved = citra.post(f"/claims/{claim_id}/approve")
    assert approved.status_code == 303
    stored = claims_site.stored(claim_id)
    assert stored.status == "approved"
    assert stored.workflow["approved_by"] == "claims_supervisor:citra"

    page = citra.get(f"/claims/{claim_id}?done=approved")
    assert "Klaim disetujui." in page.text
    assert 'id="pay-form"' in page.text
    paid = citra.post(f"/claims/{claim_id}/pay", data={"transfer_ref": "BRI-778"})
    assert paid.status_code == 303, paid.text
    stored = claims_site.stored(claim_id)
    assert [p["transfer_ref"] for p in stored.payouts] == ["BRI-778"]
    page = citra.get(f"/claims/{claim_id}")
    assert 'id="payouts"' in page.text
    assert "BRI-778" in page.text
    assert stored.status == "paid"  # nothing in arrears on the event date: paid whole
    again = citra.post(f"/claims/{claim_id}/pay", data={"transfer_ref": "BRI-779"})
    assert again.status_code == 409
    assert "only an approved claim is paid" in problem(again)
    assert 'value="BRI-779"' not in again.text  # no pay form on a paid claim
    assert [p["transfer_ref"] for p in claims_site.stored(claim_id).payouts] == ["BRI-778"]


def test_the_one_who_verified_cannot_approve(claims_site: Claims) -> None:
    budi = claims_site.as_user("budi")
    claim_id = filed(file_death(budi, claims_site.here))
    assert budi.post(f"/claims/{claim_id}/verify").status_code == 303
    page = budi.get(f"/claims/{claim_id}")
    assert 'id="maker-checker-hint"' in page.text
    refused = budi.post(f"/claims/{claim_id}/approve")
    assert refused.status_code == 403
    assert "maker-checker" in problem(refused)
    assert 'id="claim-status" data-status="verified"' in refused.text
    stored = claims_site.stored(claim_id)
    assert stored.status == "verified"
    assert stored.workflow["approved_by"] is None


def test_refusals_keep_what_was_typed(claims_site: Claims) -> None:
    andi = claims_site.as_user("andi")
    nameless = file_death(andi, claims_site.here, claimant_name="")
    assert nameless.status_code == 422
    assert problem(nameless).startswith("Nama pemohon: the claimant's name must be")
    assert 'data-field="claimant_name"' in nameless.text
    assert f'value="{claims_site.here.participant_number}"' in nameless.text
    assert 'value="2026-04-10"' in nameless.text
    out_of_order = file_death(andi, claims_site.here, claimant_relationship="sibling", claimant_name="Tono")
    assert out_of_order.status_code == 422
    assert "heir out of order" in problem(out_of_order)
    nobody = file_death(andi, claims_site.there)  # Jakarta's member, outside Malang
    assert nobody.status_code == 404
    assert service.list_claims(principal=READER, url=claims_site.world.url) == []

    # Filed by its member id, without documents; then the documents arrive in two parts.
    claim_id = filed(file_death(andi, claims_site.here, participant=str(claims_site.here.id), documents=[]))
    assert claims_site.stored(claim_id).status == "submitted"
    page = andi.get(f"/claims/{claim_id}")
    assert 'id="documents"' in page.text
    assert 'id="verify-form"' not in page.text
    early = andi.post(f"/claims/{claim_id}/verify")
    assert early.status_code == 409
    assert "still needs documents" in problem(early)
    assert andi.post(f"/claims/{claim_id}/documents", data={"codes": JKM_DOCUMENTS[:2]}).status_code == 303
    assert claims_site.stored(claim_id).documents_missing == JKM_DOCUMENTS[2:]
    assert andi.post(f"/claims/{claim_id}/documents", data={"codes": JKM_DOCUMENTS[2:]}).status_code == 303
    assert claims_site.stored(claim_id).status == "documents_complete"

    short = andi.post(f"/claims/{claim_id}/reject", data={"reason": "no"})
    assert short.status_code == 422
    assert "5 to 500 characters" in problem(short)
    assert ">no</textarea>" in short.text
    assert claims_site.stored(claim_id).status == "documents_complete"
    rejected = andi.post(f"/claims/{claim_id}/reject", data={"reason": "Akta kematian tidak sah"})
    assert rejected.status_code == 303
    stored = claims_site.stored(claim_id)
    assert stored.status == "rejected"
    assert stored.rejection is not None
    assert stored.rejection["reason"] == "Akta kematian tidak sah"
    assert "Akta kematian tidak sah" in andi.get(f"/claims/{claim_id}").text


def test_another_regions_claim_is_a_missing_page(claims_site: Claims) -> None:
    dewi = claims_site.as_user("dewi")
    elsewhere = filed(file_death(dewi, claims_site.there))
    andi = claims_site.as_user("andi")
    for path in (f"/claims/{elsewhere}", f"/claims/{elsewhere + 1000}", "/claims/abc"):
        page = andi.get(path)
        assert page.status_code == 404, path
        assert "di luar wilayah akun Anda" in page.text
        assert claims_site.there.participant_number not in page.text
    assert andi.post(f"/claims/{elsewhere}/verify").status_code == 404
    assert andi.post(f"/claims/{elsewhere}/reject", data={"reason": "bukan wilayah kami"}).status_code == 404
    assert claims_site.stored(elsewhere).status == "documents_complete"


def test_roles_without_the_permission_are_refused(claims_site: Claims) -> None:
    andi = claims_site.as_user("andi")
    claim_id = filed(file_death(andi, claims_site.here))
    fina = claims_site.as_user("fina")
    for path in ("/claims", f"/claims/{claim_id}", "/claims/new"):
        page = fina.get(path)
        assert page.status_code == 403, path
        assert "Peran Anda tidak dapat membuka halaman ini." in page.text
    assert fina.get("/claims", params={"export": "csv"}).status_code == 403
    # A regency officer reads the claims of the regency, the claimant's name masked, no actions.
    rina = claims_site.as_user("rina")
    page = rina.get(f"/claims/{claim_id}")
    assert page.status_code == 200
    assert "Sri Wahyuni" not in page.text
    assert "S** W******" in page.text
    assert 'id="verify-form"' not in page.text
    assert "Tidak ada tindakan" in page.text
    assert rina.post(f"/claims/{claim_id}/verify").status_code == 403
    assert rina.get("/claims/new").status_code == 403
    assert claims_site.stored(claim_id).status == "documents_complete"
    with httpx.Client(base_url=claims_site.base) as anonymous:
        first = anonymous.get(f"/claims/{claim_id}")
        assert first.status_code == 303
        assert first.headers["location"].startswith("/login?next=")


def test_a_work_accident_reported_then_claimed(claims_site: Claims) -> None:
    andi = claims_site.as_user("andi")
    form = andi.get("/claims/new", params={"kind": "jkk_medical"})
    assert form.status_code == 200
    assert 'id="report-form"' in form.text
    assert 'name="cost"' in form.text
    reported = andi.post(
        "/claims/reports",
        data={
            "kind": "jkk_medical",
            "participant": str(claims_site.here.id),  # the member id is taken too
            "accident_at": "2026-04-10T08:00",
            "reporter": "family",
            "report_kind": "accident",
        },
    )
    assert reported.status_code == 303
    back = urlsplit(reported.headers["location"])
    asked = dict(parse_qsl(back.query))
    assert back.path == "/claims/new"
    assert asked["participant"] == claims_site.here.participant_number
    page = andi.get(reported.headers["location"])
    assert "Laporan kecelakaan dicatat" in page.text
    assert f'name="report_id" inputmode="numeric" required value="{asked["report_id"]}"' in page.text

    claim = {
        "kind": "jkk_medical",
        "participant": claims_site.here.participant_number,
        "report_id": asked["report_id"],
        "cost": "7.500.000",
        "invoice": "RS-1",
        "documents": ["ktp", "kartu_peserta"],
    }
    wrong = andi.post("/claims", data={**claim, "cost": "tujuh juta"})
    assert wrong.status_code == 422
    assert problem(wrong).startswith("Biaya (Rp): ")
    assert 'value="tujuh juta" class="invalid"' in wrong.text
    claim_id = filed(andi.post("/claims", data=claim))
    stored = claims_site.stored(claim_id)
    assert stored.kind == "jkk_medical"
    assert stored.event_date == "2026-04-10"
    assert stored.report_id == int(asked["report_id"])
    assert stored.details["cost"] == 7_500_000
    assert stored.documents_missing == ["surat_dokter", "kuitansi_perawatan"]
    page = andi.get(f"/claims/{claim_id}")
    assert "Rp 7.500.000" in page.text
    assert 'data-received="false"' in page.text
