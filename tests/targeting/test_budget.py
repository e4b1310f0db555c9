"""Budget simulation over a targeting run: prices from the regulation, the funded list is the
top of the ranking, breakdowns add up, bad budgets are named."""

from __future__ import annotations

from collections import Counter

import pytest

from jaring.kit import protect
from jaring.kit.errors import BadInput, NotFound
from jaring.sponsors.targets import set_target
from jaring.targeting import budget, service
from jaring.targeting.rules import parse_package
from tests.targeting.conftest import START, World, expected

PRIORITY = ["desil", "hazard", "female_head", "older"]
# Rules file §2.3: JKK Rp10,000 + JKM Rp6,800 at the lowest income; APBD money gets no relief.
MINIMUM = 16_800
WITH_JHT = 16_800 + 20_000  # JHT is 2 % of the declared income


@pytest.fixture
def run(world: World) -> service.TargetingReport:
    set_target(principal=world.officer, sponsor=world.sponsor.code, priority=PRIORITY, url=world.url)
    return service.run_targeting(
        principal=world.officer, sponsor=world.sponsor.code, snapshot=world.snapshot_id, start_month=START,
        url=world.url,
    )  # fmt: skip


def test_a_budget_funds_the_top_of_the_ranking(world: World, run: service.TargetingReport):
    _, order = expected(world, {}, PRIORITY)
    people = 7
    scenario = budget.Scenario(budget=MINIMUM * 12 * people + MINIMUM * 5, months=12)
    [result] = budget.simulate(
        principal=world.officer, sponsor=world.sponsor.code, scenarios=[scenario], url=world.url
    )
    assert result.premium_by_month == {str(START.plus(i)): MINIMUM for i in range(12)}
    assert (result.cost_per_person, result.funded, result.eligible) == (MINIMUM * 12, people, len(order))
    assert result.waitlist == len(order) - people
    assert result.budget_left == MINIMUM * 5
    assert result.cost_to_cover_all == len(order) * MINIMUM * 12
    assert result.last_funded_rank == people
    by_index = {protect.blind_index(p["nik"]): p for p in world.persons}
    funded_sex = Counter(by_index[i]["sex"] for i in order[:people])
    assert {r["value"]: r["funded"] for r in result.by["sex"] if r["funded"]} == dict(funded_sex)
    for breakdown in result.by.values():
        assert sum(r["eligible"] for r in breakdown) == result.eligible
        assert sum(r["funded"] for r in breakdown) == result.funded
    kept = budget.get_scenario(principal=world.officer, scenario_id=result.scenario_id, url=world.url)
    assert kept == result


def test_scenarios_side_by_side(world: World, run: service.TargetingReport):
    _, order = expected(world, {}, PRIORITY)
    desil_2 = [
        i
        for i in order
        if int(next(p for p in world.persons if protect.blind_index(p["nik"]) == i)["desil"]) <= 2
    ]
    big = 10**12
    results = budget.simulate(
        principal=world.officer,
        sponsor=world.sponsor.code,
        scenarios=[
            budget.Scenario(budget=big, months=6),
            budget.Scenario(budget=big, months=6, desil_max=2),
            budget.Scenario(
                budget=WITH_JHT * 3 * 4, months=3, package=parse_package({"programs": ["jkk", "jkm", "jht"]})
            ),
        ],
        url=world.url,
    )
    assert [r.funded for r in results] == [len(order), len(desil_2), 4]
    assert results[2].cost_per_person == WITH_JHT * 3
    assert results[0].budget_left == big - len(order) * MINIMUM * 6


def _simulate(
    world: World, *scenarios: budget.Scenario, sponsor: str = "", run_id: int | None = None
) -> list[budget.ScenarioResult]:
    return budget.simulate(
        principal=world.officer,
        sponsor=sponsor or world.sponsor.code,
        scenarios=list(scenarios),
        run_id=run_id,
        url=world.url,
    )


def test_bad_budgets_get_a_clear_answer(world: World, run: service.TargetingReport):
    with pytest.raises(BadInput, match="less than one person-month") as bad:
        _simulate(world, budget.Scenario(budget=16_799, months=1))
    assert bad.value.field == "budget"
    [short] = _simulate(world, budget.Scenario(budget=MINIMUM * 3, months=12))
    assert short.funded == 0
    assert short.warning is not None
    assert "3 person-months" in short.warning
    with pytest.raises(BadInput, match="months"):
        _simulate(world, budget.Scenario(budget=10**9, months=0))
    with pytest.raises(NotFound, match="no targeting run"):
        _simulate(world, budget.Scenario(budget=10**9, months=1), sponsor=world.other.code)
    with pytest.raises(BadInput, match="is not"):
        _simulate(world, budget.Scenario(budget=10**9, months=1), sponsor=world.other.code, run_id=run.run_id)


def _sponsored(conn: object, month: object) -> set[str]:
    from jaring.membership import service as membership

    index = membership.member_index_in(conn, month)  # type: ignore[arg-type]
    flags = index.column("sponsored").to_pylist()
    return {i.hex() for i, flag in zip(index.column("nik_index").to_pylist(), flags, strict=True) if flag}


def test_a_scenario_enrols_its_funded_list_with_the_sponsor_paying(
    world: World, run: service.TargetingReport
):
    from sqlalchemy import func, select

    from jaring.kit import db
    from jaring.membership.model import members

    _, order = expected(world, {}, PRIORITY)
    already = {protect.blind_index(nik) for nik in world.members}
    returning = [i for i in order if i in already]  # eligible members: lapsed, or never paid
    assert returning
    [everyone] = _simulate(world, budget.Scenario(budget=10**12, months=6))
    with db.store(world.url).connect() as conn:
        before = conn.execute(select(func.count()).select_from(members)).scalar_one()
    report = budget.enrol_scenario(principal=world.officer, scenario_id=everyone.scenario_id, url=world.url)
    assert (report.rows_in, report.rejected) == (len(order), 0)
    assert (report.enrolled, report.assigned_existing) == (len(order) - len(returning), len(returning))
    with db.store(world.url).connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(members)).scalar_one() == before + report.enrolled
        )
        for month in (START, START.plus(5)):
            assert set(order) <= _sponsored(conn, month)
        assert not set(order) & _sponsored(conn, START.plus(6))  # the funded months only
        by_index = {protect.blind_index(p["nik"]): p for p in world.persons}
        first = by_index[order[0]]
        category = conn.execute(
            select(members.c.category).where(members.c.nik_index == order[0])
        ).scalar_one()
        assert category == (first["occupation"] or "other")
    again = budget.enrol_scenario(principal=world.officer, scenario_id=everyone.scenario_id, url=world.url)
    assert again.repeat
    assert again.batch_id == report.batch_id


def test_a_place_a_funded_member_leaves_goes_to_the_next_on_the_waitlist(
    world: World, run: service.TargetingReport
):
    from sqlalchemy import select

    from jaring.kit import db
    from jaring.membership import service as membership
    from jaring.membership.model import members

    _, order = expected(world, {}, PRIORITY)
    already = {protect.blind_index(nik) for nik in world.members}
    fresh = [i for i in order if i not in already]
    # Six funded places among persons not yet members, so each enrolment makes a new member.
    ranks = [order.index(i) for i in fresh[:7]]
    assert ranks == sorted(ranks)
    [scenario] = _simulate(world, budget.Scenario(budget=MINIMUM * 6 * (ranks[5] + 1), months=6))
    assert scenario.funded == ranks[5] + 1
    with pytest.raises(BadInput, match="not enrolled yet"):
        budget.backfill(principal=world.officer, scenario_id=scenario.scenario_id, url=world.url)
    budget.enrol_scenario(principal=world.officer, scenario_id=scenario.scenario_id, url=world.url)
    nothing = budget.backfill(principal=world.officer, scenario_id=scenario.scenario_id, url=world.url)
    assert (nothing.freed, nothing.report) == (0, None)

    def member_id(index_hex: str) -> int:
        with db.store(world.url).connect() as conn:
            return int(
                conn.execute(select(members.c.id).where(members.c.nik_index == index_hex)).scalar_one()
            )

    leaving = member_id(fresh[0])
    # The month before START, whatever today's date: only future months can be released.
    before = START.plus(-1).first_day
    membership.end_payer(
        principal=world.officer, participant_number=membership.numbers.participant_number(leaving),
        sponsor_id=world.sponsor.id, until=START, today=before, url=world.url,
    )  # fmt: skip
    filled = budget.backfill(
        principal=world.officer, scenario_id=scenario.scenario_id, today=before, url=world.url
    )
    assert (filled.freed, filled.from_month, filled.months) == (1, str(START), 6)
    assert filled.report is not None
    assert filled.report["accepted"] == 1
    newcomer = order[scenario.funded]  # the first on the waitlist
    with db.store(world.url).connect() as conn:
        assert membership.payer_in(conn, member_id(newcomer), START.first_day) == world.sponsor.id
        assert membership.payer_in(conn, member_id(newcomer), START.plus(6).first_day) is None
    again = budget.backfill(
        principal=world.officer, scenario_id=scenario.scenario_id, today=before, url=world.url
    )
    assert again.freed == 0
