"""Members, bills and payments, and the member card over real HTTP: search by name and by
participant number inside one's own region, the masked NIK (the full one, asked of the API,
appears on no page or card), another region's member answered like a missing one, statuses
and amounts that agree with the API, and exports holding exactly the rows shown."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import zlib

import httpx

from tests.accounts.conftest import make_account
from tests.contributions.billing_fixtures import World
from tests.web.conftest import login

ON = "2026-03-20"  # after the one payment, within the months billed


def _people(world: World) -> list[str]:
    # The fixture's members in the order it made them: paid (3507), sponsored (3507), Jakarta.
    return [p.participant_number for p in world.people.values()]


def _cells(page: str, key: str, table: str) -> list[str]:
    body = re.search(rf'<table class="data" id="{table}">(.*?)</table>', page, re.S)
    assert body is not None, f"no table {table}"
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(rf'<td class="[^"]*" data-key="{key}">(.*?)</td>', body.group(1), re.S)
    ]


def _csv(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))


def _full_nik(client: httpx.Client, number: str) -> str:
    # Through the product's own audited unmasking, never the fixture's formula.
    answer = client.post(f"/api/v1/members/{number}/nik", json={"reason": "test: the page must hide it"})
    assert answer.status_code == 200, answer.text
    nik: str = answer.json()["nik"]
    assert len(nik) == 16
    return nik


def _pdf_text(content: bytes) -> bytes:
    """The PDF with its compressed streams inflated, so drawn text can be searched."""
    out = [content]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        with contextlib.suppress(zlib.error):  # not every stream is compressed
            out.append(zlib.decompress(stream))
    return b"\n".join(out)


def test_search_by_name_and_number_within_the_region_with_the_nik_masked(
    site: tuple[httpx.Client, World],
) -> None:
    client, world = site
    paid, sponsored, jakarta = _people(world)
    assert client.get("/members").status_code == 303  # the login page first
    login(client, "rina", "rina-long-secret-1")
    full = _full_nik(client, paid)
    masked = client.get(f"/api/v1/members/{paid}").json()["nik_masked"]
    assert masked != full

    recent = client.get("/members")
    assert recent.status_code == 200
    assert 'id="member-search"' in recent.text
    assert set(_cells(recent.text, "participant_number", "members")) == {paid, sponsored}
    assert jakarta not in recent.text

    by_name = client.get("/members", params={"q": "peserta 1"})
    assert _cells(by_name.text, "participant_number", "members") == [paid]
    assert _cells(by_name.text, "nik_masked", "members") == [masked]
    assert full not in by_name.text

    by_number = client.get("/members", params={"q": sponsored})
    assert _cells(by_number.text, "participant_number", "members") == [sponsored]
    assert _cells(by_number.text, "payer", "members") == ["Sponsor KAB"]
    assert f'href="/members/{sponsored}"' in by_number.text

    outside = client.get("/members", params={"q": jakarta})
    assert outside.status_code == 200
    assert 'id="members"' not in outside.text
    assert "Tidak ada data" in outside.text
    assert "Peserta 3" not in outside.text

    one = client.get(f"/members/{paid}", params={"date": ON})
    assert one.status_code == 200
    assert masked in one.text
    assert full not in one.text
    assert full not in client.get(f"/members/{paid}", params={"export": "csv", "table": "bills"}).text


def test_status_and_payer_agree_with_the_api(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    paid, sponsored, _ = _people(world)
    login(client, "rina", "rina-long-secret-1")
    listed = client.get("/members", params={"date": ON})
    numbers = _cells(listed.text, "participant_number", "members")
    statuses = dict(zip(numbers, _cells(listed.text, "status", "members"), strict=True))
    payers = dict(zip(numbers, _cells(listed.text, "payer", "members"), strict=True))
    labels = {"active": "Aktif", "not_started": "Belum mulai (belum ada iuran lunas)"}
    for number in (paid, sponsored):
        api = client.get(f"/api/v1/members/{number}/coverage", params={"date": ON}).json()
        assert statuses[number] == labels[api["status"]]
        page = client.get(f"/members/{number}", params={"date": ON})
        assert f'data-status="{api["status"]}"' in page.text
        assert re.search(rf'id="paid-through">{api["paid_through"] or "–"}<', page.text)
    assert statuses[paid] != statuses[sponsored]  # one paid, one not: the column tells them apart
    assert payers == {paid: "Mandiri (peserta sendiri)", sponsored: "Sponsor KAB"}
    english = client.get(f"/members/{paid}", params={"date": ON, "lang": "en"})
    assert "Paid through" in english.text
    assert "Member card (PDF)" in english.text


def test_another_regions_member_is_a_page_that_does_not_exist(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    _, _, jakarta = _people(world)
    login(client, "rina", "rina-long-secret-1")
    for path in (f"/members/{jakarta}", f"/members/{jakarta}/card.pdf", "/members/10000000000"):
        refused = client.get(path)
        assert refused.status_code == 404, path
        assert "di luar wilayah akun Anda" in refused.text
        assert "Peserta 3" not in refused.text
    mistyped = jakarta[:-1] + str((int(jakarta[-1]) + 1) % 10)
    assert client.get(f"/members/{mistyped}").status_code == 404
    client.cookies.clear()
    login(client, "admin", "admin-long-secret-1")
    assert client.get(f"/members/{jakarta}").status_code == 200  # it exists: national sees it


def test_exports_hold_the_rows_shown(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    paid, _, _ = _people(world)
    login(client, "rina", "rina-long-secret-1")
    page = client.get("/members", params={"date": ON})
    rows = _csv(client.get("/members", params={"date": ON, "export": "csv"}))
    assert [r["Nomor peserta"] for r in rows] == _cells(page.text, "participant_number", "members")
    assert [r["Status perlindungan"] for r in rows] == _cells(page.text, "status", "members")
    xlsx = client.get("/members", params={"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"

    one = client.get(f"/members/{paid}", params={"date": ON})
    assert f'href="?date={ON}&amp;table=bills&amp;export=csv"' in one.text
    bills = _csv(client.get(f"/members/{paid}", params={"date": ON, "table": "bills", "export": "csv"}))
    charged = client.get(f"/api/v1/members/{paid}/charges").json()["charges"]
    assert [(b["Bulan"], int(b["Jumlah"])) for b in bills] == [(c["month"], c["amount"]) for c in charged]
    assert len(bills) == len(_cells(one.text, "month", "bills")) == 3
    assert all(int(b["Dibayar"]) == int(b["Jumlah"]) for b in bills)  # the one payment paid them all
    paid_rows = _csv(client.get(f"/members/{paid}", params={"table": "payments", "export": "csv"}))
    api_payments = client.get("/api/v1/payments", params={"reference": paid}).json()
    assert [int(r["Jumlah"]) for r in paid_rows] == [p["amount"] for p in api_payments]
    assert len(paid_rows) == len(_cells(one.text, "payment_id", "payments")) == 1
    assert client.get(f"/members/{paid}", params={"table": "nope", "export": "csv"}).status_code == 404


def test_the_member_card_is_a_pdf_with_the_number_and_no_full_nik(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    paid, sponsored, _ = _people(world)
    login(client, "rina", "rina-long-secret-1")
    full = _full_nik(client, sponsored)
    masked = client.get(f"/api/v1/members/{sponsored}").json()["nik_masked"]
    card = client.get(f"/members/{sponsored}/card.pdf")
    assert card.status_code == 200
    assert card.headers["content-type"] == "application/pdf"
    assert card.content.startswith(b"%PDF")
    drawn = _pdf_text(card.content)
    assert sponsored.encode() in drawn
    assert masked.encode() in drawn
    assert b"Sponsor KAB" in drawn
    assert full.encode() not in drawn
    assert paid.encode() not in drawn


def test_bills_of_the_region_with_invoices_and_payments(site: tuple[httpx.Client, World]) -> None:
    client, world = site
    paid, _, _ = _people(world)
    login(client, "rina", "rina-long-secret-1")
    run = client.post("/api/v1/billing/runs", json={"period": "2026-03"})
    assert run.status_code == 201, run.text
    issued = run.json()["invoices"]
    assert issued  # the regency's sponsor was invoiced for its member
    page = client.get("/bills")
    assert page.status_code == 200
    assert _cells(page.text, "number", "invoices") == issued
    api_invoices = client.get("/api/v1/invoices").json()
    rows = _csv(client.get("/bills", params={"table": "invoices", "export": "csv"}))
    assert [(r["Nomor tagihan pemberi dana"], int(r["Total"])) for r in rows] == [
        (i["number"], i["total"]) for i in api_invoices
    ]
    payments = _csv(client.get("/bills", params={"table": "payments", "export": "csv"}))
    assert [r["Referensi"] for r in payments] == _cells(page.text, "reference", "payments") == [paid]

    bad = client.get("/bills", params={"period": "2026-13", "reference": "abc"})
    assert bad.status_code == 422
    assert 'class="problem"' in bad.text
    assert 'value="2026-13"' in bad.text
    assert 'value="abc"' in bad.text  # nothing typed is lost
    none = client.get("/bills", params={"period": "2025-01"})
    assert 'id="invoices"' not in none.text  # no invoice for that period: an empty view
    assert 'id="invoices-view"' in none.text
    assert "Tidak ada data" in none.text


def test_a_role_without_billing_sees_the_member_but_not_the_bills(
    site: tuple[httpx.Client, World], store_url: str
) -> None:
    client, world = site
    paid, _, _ = _people(world)
    make_account(store_url, "kiki", "claims_officer", password="kiki-long-secret-1", region_code="3507")
    login(client, "kiki", "kiki-long-secret-1")
    page = client.get(f"/members/{paid}", params={"date": ON})
    assert page.status_code == 200
    assert 'id="coverage-status"' in page.text
    assert 'id="bills"' not in page.text
    assert "Peran Anda tidak dapat melihat tagihan dan pembayaran." in page.text
    assert client.get(f"/members/{paid}", params={"table": "bills", "export": "csv"}).status_code == 404
    assert client.get("/bills").status_code == 403
