"""Children's scholarships, a school year at a time, within the statutory limits: two children,
each level for its years, up to age 23, and the JKM minimum contribution period.

Amounts are the table of jamsostek-rules.md §4.1 (PP 82/2019 Lampiran III, Permenaker 5/2021):
TK-SD Rp1.500.000 a year for 8 years, SMP Rp2.000.000 for 3, SMA Rp3.000.000 for 3, PT
Rp12.000.000 for 5; at least 36 contribution months after a JKM death, none after a work accident.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from jaring.claims import reports, service
from jaring.kit.errors import BadInput
from tests.claims.conftest import OFFICER, approve_and_pay, file_complete, paid_through_march, wib
from tests.contributions.billing_fixtures import Person, World
from tests.contributions.payment_fixtures import bill_through, charge_amounts, pay

HEIRS = {"claimant": {"relationship": "spouse", "name": "Sri"}, "heirs_known": ["spouse", "child"]}


def _long_standing(world: World) -> Person:
    """Registered January 2023 and paid through March 2026: 39 contribution months."""
    person = world.person(7, "3507010001", date(2023, 1, 10))
    bill_through(world, person, "2026-03")
    pay(world, person, sum(charge_amounts(world.url, person).values()), "2026-03-05")
    return person


def _year(world: World, person: Person, parent: int, order: int, born: str, level: str, year: int) -> Any:
    return file_complete(
        world, person, "scholarship", "2026-07-20",
        details={"parent_claim": parent, "child_order": order, "child_birth_date": born, "level": level,
                 "school_year": year},
        claimant={"relationship": "spouse", "name": "Sri"},
    )  # fmt: skip


def test_scholarships_year_by_year_within_the_limits(world: World) -> None:
    person = _long_standing(world)
    death = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    assert death.assessment["contribution_months"] == 39
    with pytest.raises(BadInput) as early:
        _year(world, person, death.id, 1, "2019-05-01", "TK-SD", 2026)
    assert early.value.field == "details.parent_claim"  # not approved yet
    approve_and_pay(world, death.id, "2026-04-14")

    first = _year(world, person, death.id, 1, "2019-05-01", "TK-SD", 2026)
    assert (first.program, first.amount_total, first.event_date) == ("jkm", 1_500_000, "2026-04-10")
    again = _year(world, person, death.id, 1, "2019-05-01", "TK-SD", 2026)
    assert (again.rejection["code"], again.duplicate_of) == ("duplicate", first.id)
    # 23 on 1 July 2026: too old; a refused child does not take a place.
    old = _year(world, person, death.id, 2, "2003-06-30", "PT", 2026)
    assert old.rejection["code"] == "child_age"
    second = _year(world, person, death.id, 3, "2005-02-01", "PT", 2026)
    assert second.amount_total == 12_000_000
    third = _year(world, person, death.id, 4, "2010-02-01", "SMP", 2026)
    assert third.rejection["code"] == "children_limit"
    for year in (2027, 2028, 2029):
        assert _year(world, person, death.id, 1, "2019-05-01", "SMP", year).amount_total == 2_000_000
    fourth = _year(world, person, death.id, 1, "2019-05-01", "SMP", 2030)
    assert fourth.rejection["code"] == "level_years_used"
    paid = approve_and_pay(world, first.id, "2026-07-21")
    assert paid.status == "paid"


def test_a_jkm_scholarship_needs_36_contribution_months_and_jkk_none(world: World) -> None:
    person = paid_through_march(world)  # three contribution months
    death = file_complete(world, person, "jkm_death", "2026-04-13", event_date=date(2026, 4, 10), **HEIRS)
    approve_and_pay(world, death.id, "2026-04-14")
    refused = _year(world, person, death.id, 1, "2019-05-01", "TK-SD", 2026)
    assert refused.rejection["code"] == "not_entitled"
    assert "36 contribution months" in refused.rejection["reason"]

    worker = paid_through_march(world, serial=2)
    report = reports.report_accident(
        principal=OFFICER, participant_number=worker.participant_number, accident_at=wib("2026-04-10", 8),
        reporter="family", reported_at=wib("2026-04-10", 12), url=world.url,
    )  # fmt: skip
    jkk = file_complete(world, worker, "jkk_death", "2026-04-13", report_id=report.id, **HEIRS)
    approve_and_pay(world, jkk.id, "2026-04-14")
    granted = _year(world, worker, jkk.id, 1, "2019-05-01", "TK-SD", 2026)
    assert (granted.program, granted.amount_total) == ("jkk", 1_500_000)
    # Another member's claim is not one to follow.
    with pytest.raises(BadInput) as foreign:
        _year(world, worker, death.id, 1, "2019-05-01", "TK-SD", 2026)
    assert foreign.value.field == "details.parent_claim"
    assert service.get_claim(principal=OFFICER, claim_id=granted.id, url=world.url).status != "rejected"
