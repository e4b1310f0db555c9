"""Reading charges and invoices: region scope, a member's own record, a sponsor's own invoices."""

from __future__ import annotations

import pytest

from jaring.contributions.billing import get_invoice, list_invoices, member_charges, run_billing
from jaring.kit.auth import (
    AUDITOR,
    CLAIMS_OFFICER,
    MEMBER,
    PROVINCE_OFFICER,
    REGENCY_OFFICER,
    SPONSOR_FINANCE,
    Principal,
    system,
)
from jaring.kit.errors import Forbidden, NotFound
from jaring.kit.periods import Month
from tests.contributions.billing_fixtures import MAY, mixed, world_id

ADMIN = system("test")
APRIL = Month(2026, 4)


@pytest.fixture
def billed(store_url):
    world = mixed(store_url)
    for period in (APRIL, MAY):
        run_billing(principal=ADMIN, period=period, url=store_url)
    return world


def test_a_members_charges_month_by_month(store_url, billed):
    siti = billed.people[world_id(1)]
    found = member_charges(principal=ADMIN, participant_number=siti.participant_number, url=store_url)
    assert found.participant_number == siti.participant_number
    assert [(str(c.month), c.amount, c.payer_kind) for c in found.charges] == [
        ("2026-04", billed.expected(APRIL)[siti.id][1], "self"),
        ("2026-05", billed.expected(MAY)[siti.id][1], "self"),
    ]
    assert found.charges[1].relief == "relief.pp50_2025_other"
    assert found.charges[1].lines() == billed.expected(MAY)[siti.id][2] | {"jht": 0}
    assert found.total == 2 * 8_400
    sponsored = billed.people[world_id(4)]
    body = member_charges(
        principal=ADMIN, participant_number=sponsored.participant_number, url=store_url
    ).to_json()
    assert [(c["sponsor_code"], c["invoice_number"]) for c in body["charges"]] == [
        ("PROV35", "INV-PROV35-202604"),
        ("PROV35", "INV-PROV35-202605"),
    ]


def test_charges_are_seen_only_in_scope(store_url, billed):
    siti = billed.people[world_id(1)]
    number = siti.participant_number
    for principal in (
        Principal(username="m", role=MEMBER, member_id=siti.id),
        Principal(username="r", role=REGENCY_OFFICER, region_code="3507"),
        Principal(username="p", role=PROVINCE_OFFICER, region_code="35"),
        Principal(username="a", role=AUDITOR),
    ):
        assert len(member_charges(principal=principal, participant_number=number, url=store_url).charges) == 2
    for principal in (
        Principal(username="m", role=MEMBER, member_id=world_id(2)),
        Principal(username="r", role=REGENCY_OFFICER, region_code="3508"),
        Principal(username="p", role=PROVINCE_OFFICER, region_code="31"),
    ):
        with pytest.raises(NotFound, match="not found"):
            member_charges(principal=principal, participant_number=number, url=store_url)
    with pytest.raises(Forbidden):
        member_charges(
            principal=Principal(username="c", role=CLAIMS_OFFICER), participant_number=number, url=store_url
        )


def test_an_invoice_with_its_lines_and_control_totals(store_url, billed):
    detail = get_invoice(principal=ADMIN, number="INV-PROV35-202605", url=store_url)
    expected = {m: row for m, row in billed.expected(MAY).items() if row[0] == "PROV35"}
    assert (detail.invoice.sponsor_code, str(detail.invoice.period), detail.invoice.region_code) == (
        "PROV35",
        "2026-05",
        "35",
    )
    assert detail.invoice.total == detail.charged_total == sum(row[1] for row in expected.values())
    assert detail.invoice.members == detail.charged_members == 2
    assert detail.balanced
    assert [(line.participant_number, line.region_code, line.amount) for line in detail.lines] == [
        (billed.people[m].participant_number, billed.people[m].region_code, expected[m][1])
        for m in sorted(expected)
    ]
    page = get_invoice(principal=ADMIN, number="INV-PROV35-202605", url=store_url, limit=1, offset=1)
    assert [line.participant_number for line in page.lines] == [billed.people[world_id(5)].participant_number]
    assert page.to_json()["control"] == {"members": 2, "total": detail.invoice.total, "balanced": True}


def test_invoices_are_seen_by_region_and_by_their_sponsor(store_url, billed):
    prov, csr = billed.sponsors["PROV35"][0], billed.sponsors["CSR3507"][0]
    every = [i.number for i in list_invoices(principal=ADMIN, url=store_url)]
    assert every == ["INV-CSR3507-202605", "INV-PROV35-202605", "INV-CSR3507-202604", "INV-PROV35-202604"]
    assert [
        i.number for i in list_invoices(principal=ADMIN, sponsor="PROV35", period=MAY, url=store_url)
    ] == ["INV-PROV35-202605"]
    regency = Principal(username="r", role=REGENCY_OFFICER, region_code="3507")
    assert {i.number[:-7] for i in list_invoices(principal=regency, url=store_url)} == {"INV-CSR3507"}
    with pytest.raises(NotFound):
        get_invoice(principal=regency, number="INV-PROV35-202605", url=store_url)
    finance = Principal(username="f", role=SPONSOR_FINANCE, region_code="35", sponsor_id=prov)
    assert [i.number for i in list_invoices(principal=finance, url=store_url)] == [
        "INV-PROV35-202605",
        "INV-PROV35-202604",
    ]
    with pytest.raises(NotFound):
        get_invoice(principal=finance, number="INV-CSR3507-202605", url=store_url)
    assert get_invoice(principal=finance, number="INV-PROV35-202604", url=store_url).balanced
    other = Principal(username="g", role=SPONSOR_FINANCE, region_code="3507", sponsor_id=csr)
    with pytest.raises(NotFound):
        list_invoices(principal=other, sponsor="PROV35", url=store_url)
    member = Principal(username="m", role=MEMBER, member_id=world_id(4))
    assert list_invoices(principal=member, url=store_url) == []
    with pytest.raises(NotFound):
        get_invoice(principal=member, number="INV-PROV35-202605", url=store_url)
    with pytest.raises(NotFound, match="not found"):
        get_invoice(principal=ADMIN, number="INV-NOPE-202605", url=store_url)
