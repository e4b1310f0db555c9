"""Funding cliffs: every end of a sponsor's funding is listed with its undecided members, and
an officer's decision (renew, hand over, self-pay) takes effect and is recorded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from jaring.kit import db
from jaring.kit.auth import REGENCY_OFFICER, Principal
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership.service import payer_in
from jaring.sponsors import cliffs
from tests.contributions.billing_fixtures import World

MALANG = Principal("rina", REGENCY_OFFICER, region_code="3507")
JULY = Month(2026, 7)


@pytest.fixture
def world(store_url: str, jaring_env: Path) -> World:
    world = World(store_url)
    world.sponsor("KAB", "regency", "3507")
    world.sponsor("DESA", "village", "3507")
    for serial in (1, 2, 3):
        person = world.person(serial, "3507010001", date(2026, 1, 5))
        world.sponsor_window(person, "KAB", Month(2026, 1), JULY)  # KAB pays January to June
    late = world.person(4, "3507010001", date(2026, 1, 5))
    world.sponsor_window(late, "KAB", Month(2026, 1), Month(2027, 1))  # to the year's end
    return world


def test_every_cliff_is_listed_and_each_decision_takes_effect(world: World):
    first, second, third, _ = sorted(world.people.values(), key=lambda p: p.id)
    report = cliffs.cliffs(
        principal=MALANG, sponsor="KAB", on=date(2026, 5, 15), within_days=120, url=world.url
    )
    assert [(m.ends_on, m.members, m.undecided, m.decided) for m in report.months] == [("2026-07", 3, 3, {})]
    # Paid through June: July to September in arrears, lapsed once October's due date
    # (15 October 2026, a Thursday) has passed.
    assert report.months[0].lapse_from == "2026-10-16"
    assert report.undecided == 3
    longer = cliffs.cliffs(
        principal=MALANG, sponsor="KAB", on=date(2026, 5, 15), within_days=240, url=world.url
    )
    assert [(m.ends_on, m.members) for m in longer.months] == [("2026-07", 3), ("2027-01", 1)]

    renewed = cliffs.decide(
        principal=MALANG, sponsor="KAB", ends_on=JULY, action="renew", months=6,
        participant_numbers=[first.participant_number], url=world.url,
    )  # fmt: skip
    handed = cliffs.decide(
        principal=MALANG, sponsor="KAB", ends_on=JULY, action="handover", to_sponsor="DESA", months=3,
        participant_numbers=[second.participant_number], url=world.url,
    )  # fmt: skip
    rest = cliffs.decide(principal=MALANG, sponsor="KAB", ends_on=JULY, action="self_pay", url=world.url)
    # Renewed and handed-over members are no longer at this cliff: a sponsor pays on.
    assert (renewed.decided, handed.decided, rest.decided, rest.already_decided) == (1, 1, 1, 0)
    ids = {code: sponsor_id for code, (sponsor_id, _) in world.sponsors.items()}
    with db.store(world.url).connect() as conn:
        assert payer_in(conn, first.id, date(2026, 12, 1)) == ids["KAB"]
        assert payer_in(conn, first.id, date(2027, 1, 1)) is None
        assert payer_in(conn, second.id, date(2026, 9, 1)) == ids["DESA"]
        assert payer_in(conn, second.id, date(2026, 10, 1)) is None
        assert payer_in(conn, third.id, JULY.first_day) is None  # pays for themself, as decided
    after = cliffs.cliffs(
        principal=MALANG, sponsor="KAB", on=date(2026, 5, 15), within_days=120, url=world.url
    )
    assert [(m.ends_on, m.members, m.undecided, m.decided) for m in after.months] == [
        ("2026-07", 1, 0, {"self_pay": 1})
    ]
    again = cliffs.decide(principal=MALANG, sponsor="KAB", ends_on=JULY, action="self_pay", url=world.url)
    assert (again.decided, again.already_decided) == (0, 1)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"action": "forget"}, "action"),
        ({"action": "renew"}, "months"),
        ({"action": "renew", "months": 3, "to_sponsor": "DESA"}, "to_sponsor"),
        ({"action": "handover", "months": 3}, "to_sponsor"),
        ({"action": "handover", "months": 3, "to_sponsor": "KAB"}, "to_sponsor"),
        ({"action": "self_pay", "months": 3}, "action"),
        ({"action": "self_pay", "participant_numbers": ["12345"]}, "participant_numbers"),
    ],
)
def test_bad_decisions_name_the_field(world: World, changes: dict[str, object], field: str):
    with pytest.raises(BadInput) as bad:
        cliffs.decide(principal=MALANG, sponsor="KAB", ends_on=JULY, url=world.url, **changes)  # type: ignore[arg-type]
    assert bad.value.field == field


def test_a_member_whose_funding_does_not_end_then_cannot_be_decided(world: World):
    late = max(world.people.values(), key=lambda p: p.id)
    with pytest.raises(BadInput, match="no funding by KAB ends in 2026-07"):
        cliffs.decide(
            principal=MALANG, sponsor="KAB", ends_on=JULY, action="self_pay",
            participant_numbers=[late.participant_number], url=world.url,
        )  # fmt: skip
