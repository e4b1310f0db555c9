"""The coverage engine at its boundaries: registered is not covered; due dates on the 15th
(moved off weekends); up to 3 months of arrears keep JKK care and the JKM funeral cost; a
fourth unpaid month lapses the member; what was known at an earlier moment."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from jaring.cli import cli
from jaring.contributions import coverage
from jaring.kit.auth import Principal, system
from jaring.kit.errors import NotFound
from jaring.membership.numbers import participant_number
from jaring.rules.formulas.codes import JHT, JKK, JKM
from tests.contributions.billing_fixtures import Person, World
from tests.contributions.payment_fixtures import at, bill_through, charge_amounts, pay

ABSENT = participant_number(1_000_009_999)  # well-formed, and nobody has it


@pytest.fixture
def world(store_url: str) -> World:
    return World(store_url)


def _status(world: World, person: Person, day: str, **kw: object) -> coverage.Coverage:
    return coverage.check(
        principal=system("test"),
        participant_number=person.participant_number,
        on=date.fromisoformat(day),
        url=world.url,
        **kw,  # type: ignore[arg-type]
    )


def _paid_through_march(world: World, programs: int = JKK | JKM) -> Person:
    """Registered 10 January 2026, January to March paid on 5 March 2026."""
    person = world.person(1, "3507010001", date(2026, 1, 10), programs=programs)
    bill_through(world, person, "2026-03")
    pay(world, person, sum(charge_amounts(world.url, person).values()), "2026-03-05")
    return person


def test_registered_is_not_covered_until_the_first_contribution_is_paid(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    assert _status(world, person, "2026-01-20").status == "not_started"
    bill_through(world, person, "2026-01")
    # Half of January is not a paid contribution.
    pay(world, person, charge_amounts(world.url, person)["2026-01"] // 2, "2026-01-12")
    assert _status(world, person, "2026-01-20").status == "not_started"
    pay(world, person, charge_amounts(world.url, person)["2026-01"], "2026-01-14")
    found = _status(world, person, "2026-01-14")
    assert found.status == "active"
    assert found.paid_through == "2026-01"
    assert found.first_paid_on == "2026-01-14"
    # The day before the first contribution was paid the member was not protected.
    assert _status(world, person, "2026-01-13").status == "not_started"


# April 15, 2026 is a Wednesday; July 15 a Wednesday; August 15 a Saturday.
@pytest.mark.parametrize(
    ("day", "status", "months"),
    [
        ("2026-03-31", "active", 0),
        ("2026-04-15", "active", 0),  # April is due on the 15th itself: not late yet
        ("2026-04-16", "arrears", 1),
        ("2026-06-16", "arrears", 3),
        ("2026-07-15", "arrears", 3),  # the last day with 3 months unpaid
        ("2026-07-16", "lapsed", 4),  # a fourth month unpaid
        ("2026-11-21", "lapsed", 8),
    ],
)
def test_arrears_boundaries(world: World, day: str, status: str, months: int) -> None:
    person = _paid_through_march(world)
    found = _status(world, person, day)
    assert (found.status, found.months_in_arrears) == (status, months)
    assert found.paid_through == "2026-03"


def test_what_each_program_still_pays(world: World) -> None:
    person = _paid_through_march(world)
    active = _status(world, person, "2026-04-10").programs
    assert active == {
        "jkk": {"covered": True, "benefits": "all"},
        "jkm": {"covered": True, "benefits": "all"},
    }
    behind = _status(world, person, "2026-05-20").programs
    assert behind["jkk"] == {"covered": True, "benefits": "medical_care_only"}
    assert behind["jkm"] == {"covered": True, "benefits": "funeral_only"}
    gone = _status(world, person, "2026-08-01").programs
    assert gone["jkk"] == {"covered": False, "benefits": "none"}
    assert gone["jkm"] == {"covered": False, "benefits": "none"}


def test_due_date_on_a_weekend_moves_to_monday(world: World) -> None:
    # Paid through July: August is due 15 August 2026, a Saturday, so Monday the 17th.
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-07")
    pay(world, person, sum(charge_amounts(world.url, person).values()), "2026-07-05")
    assert _status(world, person, "2026-08-17").status == "active"
    assert _status(world, person, "2026-08-18").status == "arrears"


def test_jht_is_due_on_the_15th_of_the_next_month(world: World) -> None:
    person = _paid_through_march(world, programs=JKK | JKM | JHT)
    # On 20 April, April's JKK+JKM is late but its JHT is not due until 15 May.
    found = _status(world, person, "2026-04-20")
    assert found.status == "arrears"
    assert found.programs["jht"] == {"contributing": True, "months_in_arrears": 0}
    assert _status(world, person, "2026-05-16").programs["jht"]["months_in_arrears"] == 1


def test_paying_the_arrears_restores_coverage_and_as_of_shows_the_past(world: World) -> None:
    person = _paid_through_march(world)
    assert _status(world, person, "2026-06-20").status == "arrears"
    bill_through(world, person, "2026-06")
    due = charge_amounts(world.url, person)
    pay(world, person, due["2026-04"] + due["2026-05"] + due["2026-06"], "2026-06-25")
    assert _status(world, person, "2026-06-20").status == "active"  # what we know now
    then = _status(world, person, "2026-06-20", as_of=at("2026-06-21"))
    assert then.status == "arrears"
    assert then.months_in_arrears == 3


def test_lapse_day_is_reported_before_it_comes(world: World) -> None:
    person = _paid_through_march(world)
    found = _status(world, person, "2026-07-01")
    assert found.lapses_on == "2026-07-16"
    warned = coverage.warnings(principal=system("test"), on=date(2026, 7, 1), url=world.url)
    assert [w.participant_number for w in warned.lapse_soon] == [person.participant_number]
    early = coverage.warnings(principal=system("test"), on=date(2026, 5, 1), url=world.url)
    assert early.lapse_soon == []


def test_a_foreign_officer_cannot_tell_a_member_exists(world: World) -> None:
    person = _paid_through_march(world)
    foreign = Principal(username="budi", role="regency_officer", region_code="3171")
    with pytest.raises(NotFound) as seen:
        coverage.check(
            principal=foreign,
            participant_number=person.participant_number,
            on=date(2026, 4, 1),
            url=world.url,
        )
    with pytest.raises(NotFound) as missing:
        coverage.check(principal=foreign, participant_number=ABSENT, on=date(2026, 4, 1), url=world.url)
    assert str(seen.value).replace(person.participant_number, "N") == str(missing.value).replace(ABSENT, "N")
    own = Principal(username="sri", role="regency_officer", region_code="3507")
    assert (
        coverage.check(
            principal=own, participant_number=person.participant_number, on=date(2026, 4, 1), url=world.url
        ).status
        == "active"
    )


def test_history_shows_the_status_known_at_each_month_end(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-01")
    pay(world, person, charge_amounts(world.url, person)["2026-01"], "2026-01-05")
    bill_through(world, person, "2026-05")
    due = charge_amounts(world.url, person)
    pay(world, person, due["2026-02"] + due["2026-03"] + due["2026-04"], "2026-05-10")
    records = coverage.history(
        principal=system("test"), participant_number=person.participant_number, url=world.url
    )
    by_month = {r.month: r.status_at_month_end for r in records}
    assert by_month["2026-01"] == "active"
    assert by_month["2026-02"] == "arrears"  # February unpaid after 15 Feb (16th was a Monday)
    assert by_month["2026-04"] == "arrears"  # February-April unpaid at the end of April
    assert by_month["2026-05"] == "arrears"  # paid through April on 10 May; May late after the 15th


def test_cli_check_prints_the_documented_json(world: World, jaring_env: object) -> None:
    person = _paid_through_march(world)
    result = CliRunner().invoke(
        cli,
        ["coverage", "check", "--participant", person.participant_number, "--date", "2026-05-20", "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"status", "paid_through", "months_in_arrears", "programs"} <= set(data)
    assert (data["status"], data["paid_through"], data["months_in_arrears"]) == ("arrears", "2026-03", 2)
