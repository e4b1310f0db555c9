"""Who is paid what: coverage on the event date with its arrears boundaries, claim windows,
heirs in statutory order, and each benefit against the rules file's figures.

Every expected amount is worked by hand from jamsostek-rules.md (§4, §10) for a BPU member at
the Rp1.000.000 income level; none is read back from the code under test.
"""

from __future__ import annotations

from datetime import date

import pytest

from jaring.claims import reports, service
from jaring.kit.errors import BadInput, Conflict, NotFound
from jaring.membership.numbers import participant_number
from jaring.rules.formulas.codes import JHT, JKK, JKM
from tests.claims.conftest import (
    OFFICER,
    approve_and_pay,
    file_complete,
    paid_through_march,
    pay_arrears,
    wib,
)
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay

HEIRS = {"claimant": {"relationship": "child", "name": "Rudi"}, "heirs_known": ["child", "parent"]}
ABSENT = participant_number(1_000_009_999)  # well-formed, and nobody has it


# Paid through March 2026; April is due on 15 April (a Wednesday), July on 15 July.
@pytest.mark.parametrize(
    ("death", "status", "now", "total"),
    [
        ("2026-04-15", "submitted", 42_000_000, 42_000_000),  # April due that very day: active
        ("2026-04-16", "submitted", 10_000_000, 42_000_000),  # 1 month behind: the funeral now
        ("2026-07-15", "submitted", 10_000_000, 42_000_000),  # 3 months behind, still in
        ("2026-07-16", "rejected", 0, 0),  # a fourth month unpaid: no right (Art. 42(2))
    ],
)
def test_jkm_arrears_boundaries_on_the_death_date(
    world: World, death: str, status: str, now: int, total: int
) -> None:
    person = paid_through_march(world)
    claim = file_complete(
        world, person, "jkm_death", "2026-07-20", event_date=date.fromisoformat(death), **HEIRS
    )
    assert claim.status in (status, "documents_complete")
    assert (claim.amount_now, claim.amount_total) == (now, total)
    if status == "rejected":
        assert claim.rejection["code"] == "lapsed"
        assert "Art. 42(2)" in claim.rejection["reason"]


def test_the_rest_waits_for_the_arrears_and_late_payment_cannot_buy_back_a_lapse(world: World) -> None:
    person = paid_through_march(world)
    claim = file_complete(world, person, "jkm_death", "2026-05-25", event_date=date(2026, 5, 20), **HEIRS)
    assert claim.assessment["coverage"]["months_in_arrears"] == 2
    first = approve_and_pay(world, claim.id, "2026-05-26")
    assert (first.status, [p["benefit"] for p in first.payouts]) == ("partly_paid", [10_000_000])
    with pytest.raises(Conflict, match="once the arrears are paid: 2 months"):
        service.pay(principal=service_payer(), claim_id=claim.id, transfer_ref="T2", url=world.url)
    pay_arrears(world, person, "2026-05", "2026-06-02")
    rest = service.pay(
        principal=service_payer(), claim_id=claim.id, transfer_ref="T2", paid_on=date(2026, 6, 3),
        at=wib("2026-06-03"), url=world.url,
    )  # fmt: skip
    assert (rest.status, [p["benefit"] for p in rest.payouts]) == ("paid", [10_000_000, 32_000_000])

    # Another member, lapsed at death; the heirs pay every month afterwards: still no right.
    lapsed = paid_through_march(world, serial=2)
    pay_arrears(world, lapsed, "2026-08", "2026-08-10")
    refused = file_complete(world, lapsed, "jkm_death", "2026-08-11", event_date=date(2026, 7, 20), **HEIRS)
    assert refused.rejection["code"] == "lapsed"


def service_payer():  # type: ignore[no-untyped-def]
    from tests.claims.conftest import SECOND

    return SECOND


def test_registered_but_never_paid_is_not_covered(world: World) -> None:
    person = world.person(3, "3507010001", date(2026, 1, 10))
    claim = file_complete(world, person, "jkm_death", "2026-02-02", event_date=date(2026, 2, 1), **HEIRS)
    assert claim.rejection["code"] == "not_covered"


def _report(world: World, person, day: str = "2026-04-10", reported: str = "2026-04-10"):  # type: ignore[no-untyped-def]
    return reports.report_accident(
        principal=OFFICER, participant_number=person.participant_number, accident_at=wib(day, 8),
        reporter="member", reported_at=wib(reported, 9), url=world.url,
    )  # fmt: skip


def test_the_stage_one_report_is_due_within_two_days(world: World) -> None:
    person = paid_through_march(world)
    on_time = _report(world, person, "2026-04-10", "2026-04-12")  # 49 hours... not quite
    assert on_time.late is True
    assert on_time.deadline.startswith("2026-04-12T08:00")
    assert _report(world, person, "2026-04-10", "2026-04-11").late is False
    with pytest.raises(BadInput) as error:
        _report(world, person, "2025-12-30", "2026-01-02")
    assert error.value.field == "accident_at"  # before the membership
    with pytest.raises(BadInput, match="after the moment"):
        _report(world, person, "2026-04-12", "2026-04-11")


def test_jkk_benefits_against_the_rules_file(world: World) -> None:
    person = paid_through_march(world)
    report = _report(world, person)
    medical = file_complete(world, person, "jkk_medical", "2026-04-13", report_id=report.id,
                            details={"cost": 7_500_000, "invoice": "RS-1"})  # fmt: skip
    assert (medical.amount_total, medical.amount_now) == (7_500_000, 7_500_000)  # no ceiling
    assert medical.event_date == "2026-04-10"
    transport = file_complete(world, person, "jkk_transport", "2026-04-13", report_id=report.id,
                              details={"cost": 6_000_000, "invoice": "BUS-9", "mode": "darat"})  # fmt: skip
    assert transport.amount_total == 5_000_000  # the land ceiling
    stmb = file_complete(world, person, "jkk_stmb", "2026-04-13", report_id=report.id, details={"months": 14})
    # 12 months at 100 % and 2 at 50 % of Rp1.000.000.
    assert stmb.amount_total == 12 * 1_000_000 + 2 * 500_000
    disability = file_complete(world, person, "jkk_disability", "2026-04-13", report_id=report.id,
                               details={"percent": 35})  # fmt: skip
    assert disability.amount_total == 35 * 80 * 1_000_000 // 100  # 35 % × 80 × wage
    second_bill = file_complete(world, person, "jkk_medical", "2026-04-13", report_id=report.id,
                                details={"cost": 1_000_000, "invoice": "RS-2"})  # fmt: skip
    assert second_bill.status != "rejected"  # another receipt of the same accident
    same_bill = file_complete(world, person, "jkk_medical", "2026-04-14", report_id=report.id,
                              details={"cost": 7_500_000, "invoice": "rs-1"})  # fmt: skip
    assert (same_bill.rejection["code"], same_bill.duplicate_of) == ("duplicate", medical.id)


def test_jkk_death_is_48_wages_with_funeral_and_periodic(world: World) -> None:
    person = paid_through_march(world)
    report = _report(world, person)
    death = file_complete(world, person, "jkk_death", "2026-04-13", report_id=report.id, **HEIRS)
    lines = {line["code"]: line["amount"] for line in death.calculation["lines"]}
    assert lines == {"jkk_death": 48_000_000, "jkk_funeral": 10_000_000, "jkk_periodic": 12_000_000}


def test_jkk_in_arrears_gives_care_now_and_cash_later(world: World) -> None:
    person = paid_through_march(world)
    report = _report(world, person, "2026-05-20", "2026-05-20")  # April and May unpaid
    care = file_complete(world, person, "jkk_medical", "2026-05-21", report_id=report.id,
                         details={"cost": 3_000_000, "invoice": "RS-7"})  # fmt: skip
    assert (care.amount_now, care.amount_total) == (3_000_000, 3_000_000)
    cash = file_complete(world, person, "jkk_transport", "2026-05-21", report_id=report.id,
                         details={"cost": 400_000, "invoice": "OJK-1", "mode": "darat"})  # fmt: skip
    assert (cash.amount_now, cash.amount_total) == (0, 400_000)
    lapsed = _report(world, person, "2026-07-16", "2026-07-16")
    refused = file_complete(world, person, "jkk_medical", "2026-07-17", report_id=lapsed.id,
                            details={"cost": 3_000_000, "invoice": "RS-8"})  # fmt: skip
    assert refused.rejection["code"] == "lapsed"
    assert "Art. 39(2)" in refused.rejection["reason"]


def test_the_jkk_claim_window_is_five_years(world: World) -> None:
    person = paid_through_march(world)
    report = _report(world, person)
    kept = file_complete(world, person, "jkk_disability", "2031-04-10", report_id=report.id,
                         details={"percent": 10})  # fmt: skip
    assert kept.status != "rejected"
    assert kept.assessment["claim_window_closes"] == "2031-04-10"
    late = file_complete(world, person, "jkk_stmb", "2031-04-11", report_id=report.id, details={"months": 1})
    assert late.rejection["code"] == "claim_window_closed"


def test_heirs_claim_in_statutory_order(world: World) -> None:
    person = paid_through_march(world)
    with pytest.raises(BadInput, match="heir out of order") as error:
        file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10),
                      claimant={"relationship": "sibling", "name": "Tono"},
                      heirs_known=["spouse", "sibling"])  # fmt: skip
    assert error.value.field == "claimant.relationship"
    with pytest.raises(BadInput) as missing:
        file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10))
    assert missing.value.field == "claimant"
    # No heir at all: whoever handled the funeral gets the funeral cost only.
    funeral = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10),
                            claimant={"relationship": "funeral_handler", "name": "Ketua RT 03"})  # fmt: skip
    assert funeral.amount_total == 10_000_000


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_date": date(2027, 1, 1)}, "event_date"),  # in the future
        ({"event_date": date(2025, 12, 31)}, "event_date"),  # before the membership
        ({"kind": "jkm_accident"}, "kind"),
        ({"documents": ["surat_nikah"]}, "documents[0]"),
        ({"details": {"cost": 5}}, "details.cost"),
    ],
)
def test_bad_claims_are_refused_with_the_field_and_nothing_stored(
    world: World, change: dict, field: str
) -> None:
    person = paid_through_march(world)
    values = {"kind": "jkm_death", "event_date": date(2026, 4, 10), "documents": [], **HEIRS, **change}
    with pytest.raises(BadInput) as error:
        service.file_claim(
            principal=OFFICER, participant_number=person.participant_number, filed_at=wib("2026-04-13"),
            url=world.url, **values,
        )  # fmt: skip
    assert error.value.field == field
    assert service.list_claims(principal=OFFICER, url=world.url) == []


def test_a_claim_for_a_non_member_names_the_number(world: World) -> None:
    with pytest.raises(NotFound, match=ABSENT):
        service.file_claim(
            principal=OFFICER, participant_number=ABSENT, kind="jkm_death", event_date=date(2026, 4, 10),
            url=world.url, **HEIRS,
        )  # fmt: skip


def test_jht_pays_what_was_paid_in(world: World) -> None:
    saver = paid_through_march(world, programs=JKK | JKM | JHT)
    # BPU JHT is 2 % of Rp1.000.000 a month: three months paid in.
    claim = file_complete(world, saver, "jht", "2026-04-13", event_date=date(2026, 4, 10),
                          details={"reason": "bpu_stopped", "return_amount": 1_500})  # fmt: skip
    assert claim.amount_total == 3 * 20_000 + 1_500
    assert claim.calculation["contributions_paid_in"] == 60_000
    paid = approve_and_pay(world, claim.id, "2026-04-14")
    assert paid.status == "paid"
    without = paid_through_march(world, serial=2)
    refused = file_complete(world, without, "jht", "2026-04-13", event_date=date(2026, 4, 10),
                            details={"reason": "bpu_stopped"})  # fmt: skip
    assert refused.rejection["code"] == "program_not_held"


def test_jkp_is_for_wage_earners_within_the_window(world: World) -> None:
    bpu = paid_through_march(world)
    with pytest.raises(BadInput, match="wage earners") as error:
        file_complete(world, bpu, "jkp", "2026-04-13", event_date=date(2026, 3, 1),
                      details={"wage": 6_000_000, "contribution_months": 14})  # fmt: skip
    assert error.value.field == "kind"
    worker = world.person(5, "3507010001", date(2026, 1, 5), segment="pu")
    # PP 6/2025: 60 % of the wage, capped at Rp5.000.000, for 6 months.
    claim = file_complete(world, worker, "jkp", "2026-04-13", event_date=date(2026, 3, 1),
                          details={"wage": 6_000_000, "contribution_months": 14})  # fmt: skip
    assert claim.amount_total == 6 * 3_000_000
    assert claim.assessment["claim_window_closes"] == "2026-09-01"
    too_few = file_complete(world, worker, "jkp", "2026-04-13", event_date=date(2026, 4, 1),
                            details={"wage": 6_000_000, "contribution_months": 11})  # fmt: skip
    assert too_few.rejection["code"] == "not_entitled"
    late = file_complete(world, worker, "jkp", "2026-09-03", event_date=date(2026, 3, 2),
                         details={"wage": 6_000_000, "contribution_months": 14})  # fmt: skip
    assert late.rejection["code"] == "claim_window_closed"


def test_pmi_death_benefit(world: World) -> None:
    migrant = world.person(6, "3507010001", date(2026, 1, 5), segment="pmi")
    claim = file_complete(world, migrant, "pmi_jkm", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    assert claim.amount_total == 75_000_000 + 10_000_000


def test_total_permanent_disability_is_56_wages_with_the_periodic_benefit(world: World) -> None:
    person = paid_through_march(world)
    report = _report(world, person)
    total = file_complete(world, person, "jkk_disability", "2026-04-13", report_id=report.id,
                          details={"percent": 100})  # fmt: skip
    lines = {line["code"]: line["amount"] for line in total.calculation["lines"]}
    # 70 % × 80 × Rp1.000.000, and Rp12.000.000 periodic paid at once (jamsostek-rules.md §4.2).
    assert lines == {"jkk_total_disability": 56_000_000, "jkk_periodic": 12_000_000}


def test_a_partial_jht_withdrawal_after_ten_years_lowers_the_later_balance(world: World) -> None:
    saver = world.person(8, "3507010001", date(2016, 1, 10), programs=JKK | JKM | JHT)
    bill_through(world, saver, "2026-03")
    pay(world, saver, sum(charge_amounts(world.url, saver).values()), "2026-03-05")
    paid_in = 20_000 * len(charge_amounts(world.url, saver))  # 2 % of Rp1.000.000 a month
    housing = file_complete(world, saver, "jht", "2026-04-13", event_date=date(2026, 4, 10),
                            details={"reason": "partial_housing"})  # fmt: skip
    assert housing.amount_total == paid_in * 30 // 100  # at most 30 % for housing
    once = file_complete(world, saver, "jht", "2026-04-14", event_date=date(2026, 4, 11),
                         details={"reason": "partial_other"})  # fmt: skip
    assert (once.rejection["code"], once.duplicate_of) == ("duplicate", housing.id)  # one partial withdrawal
    approve_and_pay(world, housing.id, "2026-04-15")
    stopped = file_complete(world, saver, "jht", "2026-05-04", event_date=date(2026, 5, 1),
                            details={"reason": "bpu_stopped"})  # fmt: skip
    assert stopped.amount_total == paid_in - paid_in * 30 // 100
    young = paid_through_march(world, serial=9, programs=JKK | JKM | JHT)
    early = file_complete(world, young, "jht", "2026-04-13", event_date=date(2026, 4, 10),
                          details={"reason": "retirement"})  # fmt: skip
    assert early.rejection["code"] == "not_entitled"
    assert "retirement age is 56" in early.rejection["reason"]
