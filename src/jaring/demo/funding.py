"""Step 3: sponsors with fiscal-year budgets and targets, one targeting round over the
snapshot, a budget scenario per sponsor (and a smaller one beside it) whose funded list is
enrolled, and the self-paying members — all through the sponsor, targeting and bulk
enrolment services, as the CLI and the API call them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from jaring.demo.people import self_payer_files
from jaring.demo.plan import APBD_MONTH, SPONSORS, Loaded, SponsorPlan
from jaring.kit.auth import Principal
from jaring.kit.periods import Month
from jaring.membership import numbers

Note = Callable[[str], None]


def budget_lines(plan: SponsorPlan, funded: int, first: Month) -> dict[int, tuple[Month, Month, int]]:
    """Fiscal year → (first month, last month, amount): the funded months of each year the
    programme touches, at the APBD price of a person-month."""
    lines: dict[int, tuple[Month, Month, int]] = {}
    for i in range(plan.months):
        month = first.plus(i)
        start, _, count = lines.get(month.year, (month, month, 0))
        lines[month.year] = (start, month, count + 1)
    return {year: (a, b, n * funded * APBD_MONTH) for year, (a, b, n) in lines.items()}


def _sponsor(principal: Principal, plan: SponsorPlan, funded: int, first: Month) -> None:
    from jaring.sponsors.budgets import add_budget
    from jaring.sponsors.service import create_sponsor
    from jaring.sponsors.targets import set_target

    create_sponsor(
        principal=principal, code=plan.code, name=plan.name, kind=plan.kind, region_code=plan.region
    )
    for year, (start, last, amount) in budget_lines(plan, funded, first).items():
        add_budget(
            principal=principal, sponsor=plan.code, fiscal_year=year, amount=amount, first_month=start,
            last_month=last, document=f"DPA {plan.code} {year}",
        )  # fmt: skip
    set_target(principal=principal, sponsor=plan.code, rule=plan.rule, priority=list(plan.priority))


def _numbers(first: str | None, last: str | None) -> list[str]:
    """The participant numbers a bulk enrolment issued: one block of serials per batch."""
    if first is None or last is None:
        return []
    low, high = numbers.serial_of(first), numbers.serial_of(last)
    return [numbers.participant_number(s) for s in range(low, high + 1)]


def _enrol_sponsor(principal: Principal, loaded: Loaded, plan: SponsorPlan, funded: int) -> int:
    from jaring.targeting.budget import Scenario, enrol_scenario, simulate

    months, first = plan.months, loaded.timeline.first
    full = Scenario(budget=funded * APBD_MONTH * months, months=months, name="APBD murni")
    smaller = Scenario(budget=funded * APBD_MONTH * months * 7 // 10, months=months, name="Dipotong 30%")
    chosen, _ = simulate(principal=principal, sponsor=plan.code, scenarios=[full, smaller])
    report = enrol_scenario(
        principal=principal, scenario_id=chosen.scenario_id, registered_on=first.first_day
    )
    issued = _numbers(report.first_participant_number, report.last_participant_number)
    loaded.sponsor_members[plan.code] = issued
    return report.accepted


def fund(principal: Principal, loaded: Loaded, note: Note) -> str:
    from jaring.targeting.service import run_round

    first = loaded.timeline.first
    funded = {plan.code: plan.funded_at(loaded.persons) for plan in SPONSORS}
    for plan in SPONSORS:
        note(f"pemberi dana {plan.code}: anggaran dan sasaran")
        _sponsor(principal, plan, funded[plan.code], first)
    note("penargetan: satu putaran untuk semua pemberi dana")
    run_round(principal=principal, sponsors=[p.code for p in SPONSORS], snapshot=loaded.snapshot_id,
              start_month=first)  # fmt: skip
    enrolled = 0
    for plan in SPONSORS:
        note(f"simulasi anggaran dan pendaftaran {plan.code}")
        enrolled += _enrol_sponsor(principal, loaded, plan, funded[plan.code])
    loaded.counts["sponsored"] = enrolled
    self_paying = enrol_self_payers(principal, loaded, note)
    return f"{len(SPONSORS)} pemberi dana, {enrolled:,} peserta didanai, {self_paying:,} peserta mandiri"


def enrol_self_payers(principal: Principal, loaded: Loaded, note: Note) -> int:
    from jaring.membership.bulk import enrol_bulk

    note("peserta mandiri (bayar sendiri)")
    payers, savers = self_payer_files(loaded)
    registered = loaded.timeline.first.first_day
    total = 0
    for path, programs, target in ((payers, ("jkk", "jkm"), "plain"), (savers, ("jkk", "jkm", "jht"), "jht")):
        report = enrol_bulk(
            principal=principal, nik_file=Path(path), snapshot=loaded.snapshot_id, category="pekerja mandiri",
            programs=programs, registered_on=registered,
        )  # fmt: skip
        issued = _numbers(report.first_participant_number, report.last_participant_number)
        (loaded.jht_savers if target == "jht" else loaded.self_payers).extend(issued)
        total += report.enrolled
    loaded.counts["self_paying"] = total
    return total
