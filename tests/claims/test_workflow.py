"""A claim from filing to payout: documents start the clock, maker-checker, the deadline in
working days and the compensation for a late payout, one payout per part, and region scope.

Amounts are the rules file's figures worked by hand (jamsostek-rules.md §4-5): a JKM death
under PP 82/2019 pays Rp20.000.000 + Rp12.000.000 + Rp10.000.000 = Rp42.000.000.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from jaring.claims import ledger, reports, service
from jaring.kit import audit, config, db
from jaring.kit.auth import MEMBER, Principal
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound
from tests.claims.conftest import (
    ELSEWHERE,
    OFFICER,
    SECOND,
    SUPERVISOR,
    approve_and_pay,
    file_complete,
    paid_through_march,
    wib,
)
from tests.contributions.billing_fixtures import World

HEIRS = {"claimant": {"relationship": "spouse", "name": "Sri Wahyuni"}, "heirs_known": ["spouse", "child"]}


def test_a_death_claim_goes_from_filing_to_payout(world: World) -> None:
    person = paid_through_march(world)
    filed = service.file_claim(
        principal=OFFICER, participant_number=person.participant_number, kind="jkm_death",
        event_date=date(2026, 4, 10), filed_at=wib("2026-04-13"), documents=["kartu_peserta"],
        url=world.url, **HEIRS,
    )  # fmt: skip
    assert filed.status == "submitted"
    assert filed.documents_missing == ["surat_permohonan", "akta_kematian", "surat_ahli_waris"]
    assert filed.clock["due_on"] is None  # no clock before the documents are complete
    assert (filed.amount_total, filed.amount_now) == (42_000_000, 42_000_000)
    with pytest.raises(Conflict, match="still needs documents: surat_permohonan, akta_kematian"):
        service.verify(principal=OFFICER, claim_id=filed.id, url=world.url)

    # The last document on Monday 13 April 2026: 3 working days, so due Thursday the 16th.
    complete = service.receive_documents(
        principal=OFFICER, claim_id=filed.id, codes=["surat_permohonan", "akta_kematian", "surat_ahli_waris"],
        received_at=wib("2026-04-13", 15), url=world.url,
    )  # fmt: skip
    assert complete.status == "documents_complete"
    assert complete.clock["due_on"] == "2026-04-16"

    verified = service.verify(principal=SUPERVISOR, claim_id=filed.id, at=wib("2026-04-14"), url=world.url)
    assert verified.status == "verified"
    lines = {line["code"]: line["amount"] for line in verified.calculation["lines"]}
    assert lines == {"jkm_lump_sum": 20_000_000, "jkm_periodic": 12_000_000, "jkm_funeral": 10_000_000}
    assert all("PP 82/2019" in line["reference"] for line in verified.calculation["lines"])
    with pytest.raises(Forbidden, match="maker-checker"):
        service.approve(principal=SUPERVISOR, claim_id=filed.id, url=world.url)
    with pytest.raises(Forbidden):  # a claims officer does not approve at all
        service.approve(principal=OFFICER, claim_id=filed.id, url=world.url)
    approved = service.approve(principal=SECOND, claim_id=filed.id, at=wib("2026-04-15"), url=world.url)
    assert approved.workflow["approved_by"] != approved.workflow["verified_by"]

    # Paid on Monday the 20th, 4 days after the deadline: 1 % of the benefit per day.
    paid = service.pay(
        principal=SECOND, claim_id=filed.id, transfer_ref="BRI-778", paid_on=date(2026, 4, 20),
        at=wib("2026-04-20"), url=world.url,
    )  # fmt: skip
    assert paid.status == "paid"
    [payout] = paid.payouts
    assert (payout["benefit"], payout["late_days"], payout["compensation"]) == (42_000_000, 4, 1_680_000)
    assert payout["amount"] == 43_680_000
    with pytest.raises(Conflict, match="approved"):
        service.pay(principal=SECOND, claim_id=filed.id, transfer_ref="BRI-779", url=world.url)

    with db.store(world.url).connect() as conn:
        benefits, compensation, problems = ledger.payout_problems(conn)
    assert (benefits, compensation, problems) == (42_000_000, 1_680_000, [])
    assert audit.verify(world.url).intact


def test_a_payout_on_time_owes_no_compensation(world: World) -> None:
    person = paid_through_march(world)
    claim = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    paid = approve_and_pay(world, claim.id, "2026-04-16")
    assert (paid.payouts[0]["late_days"], paid.payouts[0]["compensation"]) == (0, 0)


def test_holidays_from_the_configured_calendar_move_the_deadline(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calendar = tmp_path / "holidays.txt"
    calendar.write_text("# a test calendar\n2026-04-14\n", encoding="utf-8")
    monkeypatch.setenv("JARING_HOLIDAYS", str(calendar))
    config.holidays.cache_clear()
    try:
        person = paid_through_march(world)
        claim = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
        # Tuesday the 14th is a holiday: Wednesday, Thursday, Friday.
        assert claim.clock["due_on"] == "2026-04-17"
    finally:
        monkeypatch.delenv("JARING_HOLIDAYS")
        config.holidays.cache_clear()


def test_a_second_claim_for_the_same_death_is_refused_and_linked(world: World) -> None:
    person = paid_through_march(world)
    first = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    again = file_complete(world, person, "jkm_death", "2026-04-14", event_date=date(2026, 4, 10), **HEIRS)
    assert (again.status, again.duplicate_of, again.rejection["code"]) == ("rejected", first.id, "duplicate")
    assert again.amount_total == 0
    # A person dies once, whichever program is asked to pay.
    report = reports.report_accident(
        principal=OFFICER, participant_number=person.participant_number, accident_at=wib("2026-04-10", 8),
        reporter="family", reported_at=wib("2026-04-10", 12), url=world.url,
    )  # fmt: skip
    as_work = file_complete(world, person, "jkk_death", "2026-04-14", report_id=report.id, **HEIRS)
    assert (as_work.status, as_work.duplicate_of) == ("rejected", first.id)
    approve_and_pay(world, first.id, "2026-04-15")
    with db.store(world.url).connect() as conn:
        assert ledger.payout_problems(conn)[0] == 42_000_000  # paid once


def test_payouts_are_append_only(world: World) -> None:
    person = paid_through_march(world)
    claim = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    approve_and_pay(world, claim.id, "2026-04-15")
    with pytest.raises(Exception, match="append-only"), db.transaction(world.url) as conn:
        conn.execute(text("UPDATE claim_payouts SET benefit = 1"))


def test_a_rejection_needs_a_reason_and_ends_the_claim(world: World) -> None:
    person = paid_through_march(world)
    claim = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    with pytest.raises(BadInput) as error:
        service.reject(principal=OFFICER, claim_id=claim.id, reason=" ", url=world.url)
    assert error.value.field == "reason"
    rejected = service.reject(
        principal=OFFICER, claim_id=claim.id, reason="Akta kematian tidak sah", url=world.url
    )
    assert rejected.rejection["code"] == "officer"
    assert rejected.rejection["by"] == OFFICER.actor
    with pytest.raises(Conflict, match="rejected"):
        service.verify(principal=SUPERVISOR, claim_id=claim.id, url=world.url)


def test_claims_are_seen_only_in_their_region_and_by_their_member(world: World) -> None:
    person = paid_through_march(world)
    claim = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    with pytest.raises(NotFound, match=f"claim {claim.id} not found"):
        service.get_claim(principal=ELSEWHERE, claim_id=claim.id, url=world.url)
    with pytest.raises(NotFound, match="claim 999999 not found"):
        service.get_claim(principal=OFFICER, claim_id=999_999, url=world.url)
    assert service.list_claims(principal=ELSEWHERE, url=world.url) == []
    with pytest.raises(NotFound):
        service.verify(principal=ELSEWHERE, claim_id=claim.id, url=world.url)
    own = Principal("peserta", MEMBER, member_id=person.id)
    stranger = Principal("lain", MEMBER, member_id=person.id + 1)
    assert [c.id for c in service.list_claims(principal=own, url=world.url)] == [claim.id]
    assert (
        service.get_claim(principal=own, claim_id=claim.id, url=world.url).claimant["name"] == "Sri Wahyuni"
    )
    assert service.list_claims(principal=stranger, url=world.url) == []
    with pytest.raises(Forbidden):
        service.file_claim(
            principal=own, participant_number=person.participant_number, kind="jkm_death",
            event_date=date(2026, 4, 10), url=world.url, **HEIRS,
        )  # fmt: skip
    # A province officer reads it, with the claimant's name masked.
    reader = Principal("eko", "province_officer", region_code="35")
    assert (
        service.get_claim(principal=reader, claim_id=claim.id, url=world.url).claimant["name"]
        == "S** W******"
    )
    assert [
        c.id for c in service.list_claims(principal=OFFICER, status="documents_complete", url=world.url)
    ] == [claim.id]
