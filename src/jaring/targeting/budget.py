"""Budget simulation over a frozen targeting run: how many persons a budget covers, for how
long, with what package; the funded list (the top of the ranking) and the waitlist (the
rest); and what covering every eligible person would cost.

Prices come from the regulation engine for each funded month, at the package's declared
income, with the sponsor's funding source (APBD/APBN money gets no PP 50/2025 relief).
Scenarios are kept, so a sponsor can put them side by side and enrol one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select

from jaring.batch.engine import engine as batch_engine
from jaring.contributions.tariffs import TariffKey, compute_tariffs
from jaring.kit import audit, db
from jaring.kit.auth import Principal, region_filter, require
from jaring.kit.errors import BadInput, NotFound
from jaring.kit.money import format_rupiah
from jaring.kit.periods import Month
from jaring.membership import bulk
from jaring.membership import service as membership
from jaring.membership.bulk import BulkReport
from jaring.registry.codes import DESILS
from jaring.sponsors.service import Sponsor, visible_sponsor_in
from jaring.sponsors.targets import target_in
from jaring.targeting.model import budget_scenarios, targeting_runs
from jaring.targeting.rules import Package, parse_package
from jaring.targeting.service import RunRef, visible_run_in

MAX_MONTHS = 60
BREAKDOWNS = {"region": "regency_code", "sex": "sex", "desil": "desil"}


@dataclass(frozen=True)
class Scenario:
    budget: int
    months: int
    package: Package | None = None  # None: the run's target package
    desil_max: int | None = None  # a tighter cut-off than the run's rule
    name: str = ""


@dataclass
class ScenarioResult:
    scenario_id: int
    name: str
    run_id: int
    budget: int
    months: int
    first_month: str
    package: dict[str, Any]
    desil_max: int | None
    premium_by_month: dict[str, int]
    cost_per_person: int
    eligible: int
    funded: int
    waitlist: int
    cost_per_month: dict[str, int]
    total_cost: int
    budget_left: int
    cost_to_cover_all: int
    last_funded_rank: int | None
    by: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _check(scenario: Scenario) -> None:
    if isinstance(scenario.budget, bool) or not isinstance(scenario.budget, int) or scenario.budget <= 0:
        raise BadInput(
            f"a budget is a positive whole number of Rupiah, got {scenario.budget!r}", field="budget"
        )
    if not 1 <= scenario.months <= MAX_MONTHS:
        raise BadInput(f"months must be 1 to {MAX_MONTHS}, got {scenario.months}", field="months")
    if scenario.desil_max is not None and scenario.desil_max not in DESILS:
        raise BadInput(f"desil_max must be 1 to 10, got {scenario.desil_max}", field="desil_max")


def premiums(sponsor: Sponsor, package: Package, first: Month, months: int) -> dict[str, int]:
    """The contribution of one person for each funded month, from the regulation engine."""
    keys = [
        TariffKey(first.plus(i).first_day, package.income, package.bits, "other", sponsor.funding)
        for i in range(months)
    ]
    table = compute_tariffs(keys)
    if table.rejected:
        key, reason = next(iter(table.rejected.items()))
        raise BadInput(
            f"the package cannot be priced for {Month.of(key.month)}: {reason} "
            f"(income {format_rupiah(package.income)}, programs {', '.join(package.programs)})",
            field="package",
        )
    return {str(Month.of(k.month)): table.tariffs[k].amount for k in keys}


def breakdowns(
    ranked: Path, desil_max: int, funded: int
) -> tuple[int, int | None, dict[str, list[dict[str, Any]]]]:
    """Eligible and funded persons by region, sex and desil, from a ranked list (in rank
    order, so the funded are its first rows at the cut-off): how many are eligible at the
    cut-off, the last funded rank, and the breakdowns."""
    table = pq.read_table(ranked, columns=["rank", *BREAKDOWNS.values()])
    table = table.filter(pc.less_equal(table.column("desil"), desil_max))
    eligible = table.num_rows
    chosen = min(funded, eligible)
    last_rank = int(table.column("rank")[chosen - 1].as_py()) if chosen else None
    flags = np.zeros(eligible, dtype=np.int64)
    flags[:chosen] = 1
    table = table.append_column("funded", pa.array(flags))
    by: dict[str, list[dict[str, Any]]] = {}
    for name, column in BREAKDOWNS.items():
        grouped = table.group_by(column).aggregate([("funded", "count"), ("funded", "sum")]).sort_by(column)
        by[name] = [
            {"value": r[column], "eligible": int(r["funded_count"]), "funded": int(r["funded_sum"])}
            for r in grouped.to_pylist()
        ]
    return eligible, last_rank, by


def simulate(
    *,
    principal: Principal,
    sponsor: str | int,
    scenarios: list[Scenario],
    run_id: int | None = None,
    url: str | None = None,
) -> list[ScenarioResult]:
    """Each scenario over the sponsor's targeting run (its latest, unless `run_id`), kept
    (so simulating is a write: auditors read scenarios, they do not make them)."""
    require(principal, "targeting.run")
    if not scenarios:
        raise BadInput("give at least one scenario", field="scenarios")
    if len(scenarios) > 50:
        raise BadInput("at most 50 scenarios at once", field="scenarios")
    for scenario in scenarios:
        _check(scenario)
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        if run_id is None:
            latest = conn.execute(
                select(targeting_runs.c.id)
                .where(targeting_runs.c.sponsor_id == found.id)
                .order_by(targeting_runs.c.id.desc())
                .limit(1)
            ).scalar()
            if latest is None:
                raise NotFound(
                    f"sponsor {found.code} has no targeting run yet: run `jaring target run` first"
                )
            run_id = int(latest)
        run = visible_run_in(conn, principal, run_id)
        if run.sponsor_id != found.id:
            raise BadInput(f"targeting run {run_id} is not {found.code}'s", field="run_id")
        target = target_in(conn, run.target_id)
    results = []
    for i, scenario in enumerate(scenarios, start=1):
        package = scenario.package or target.package
        prices = premiums(found, package, run.start_month, scenario.months)
        first_price = next(iter(prices.values()))
        if scenario.budget < first_price:
            raise BadInput(
                f"a budget of {format_rupiah(scenario.budget)} is less than one person-month "
                f"({format_rupiah(first_price)})",
                field="budget",
            )
        cost = sum(prices.values())
        cut = min(scenario.desil_max or target.rule.desil_max, target.rule.desil_max)
        affordable = scenario.budget // cost
        eligible, last_rank, by = breakdowns(run.ranked, cut, affordable)
        funded = min(affordable, eligible)
        warning = None
        if funded == 0 and eligible:
            warning = (
                f"{format_rupiah(scenario.budget)} covers nobody for {scenario.months} months "
                f"({format_rupiah(cost)} a person); "
                f"it covers {scenario.budget // first_price:,} person-months"
            )
        elif eligible == 0:
            warning = "the run has nobody eligible at this desil cut-off"
        results.append(
            ScenarioResult(
                scenario_id=0,
                name=scenario.name or f"S{i}",
                run_id=run.id,
                budget=scenario.budget,
                months=scenario.months,
                first_month=str(run.start_month),
                package=package.to_json(),
                desil_max=cut,
                premium_by_month=prices,
                cost_per_person=cost,
                eligible=eligible,
                funded=funded,
                waitlist=eligible - funded,
                cost_per_month={month: funded * price for month, price in prices.items()},
                total_cost=funded * cost,
                budget_left=scenario.budget - funded * cost,
                cost_to_cover_all=eligible * cost,
                last_funded_rank=last_rank if funded else None,
                by=by,
                warning=warning,
            )
        )
    _keep(principal, found, run, results, url)
    return results


def _keep(
    principal: Principal, sponsor: Sponsor, run: RunRef, results: list[ScenarioResult], url: str | None
) -> None:
    with db.transaction(url) as conn:
        for result in results:
            parameters = {
                "budget": result.budget,
                "months": result.months,
                "package": result.package,
                "desil_max": result.desil_max,
            }
            result.scenario_id = int(
                conn.execute(
                    budget_scenarios.insert()
                    .values(
                        run_id=run.id,
                        sponsor_id=sponsor.id,
                        region_code=sponsor.region_code,
                        name=result.name,
                        parameters=parameters,
                        results=result.to_json(),
                        funded=result.funded,
                        created_at=datetime.now(UTC),
                        created_by=principal.actor,
                    )
                    .returning(budget_scenarios.c.id)
                ).scalar_one()
            )
        audit.record(
            conn,
            actor=principal.actor,
            action="budget.simulate",
            entity="targeting_run",
            entity_id=str(run.id),
            region_code=sponsor.region_code,
            after={"scenarios": [r.scenario_id for r in results], "funded": [r.funded for r in results]},
        )


def _scenario_in(conn: Any, principal: Principal, scenario_id: int) -> Any:
    """A kept scenario's row if the principal may see it (region; a sponsor's finance officer
    only their own), else NotFound as for one that does not exist."""
    query = select(budget_scenarios).where(
        budget_scenarios.c.id == scenario_id, region_filter(principal, budget_scenarios.c.region_code)
    )
    if principal.sponsor_id is not None:
        query = query.where(budget_scenarios.c.sponsor_id == principal.sponsor_id)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"scenario {scenario_id} not found")
    return row


def get_scenario(*, principal: Principal, scenario_id: int, url: str | None = None) -> ScenarioResult:
    require(principal, "sponsor.read")
    with db.reading(url) as conn:
        row = _scenario_in(conn, principal, scenario_id)
    data = dict(row.results)
    data["scenario_id"] = int(row.id)
    return ScenarioResult(**data)


def parse_scenario(data: dict[str, Any]) -> Scenario:
    """A scenario from its JSON form (the API's and the CLI's)."""
    known = {"budget", "months", "package", "desil_max", "name"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInput(f"unknown scenario field(s): {', '.join(unknown)}", field="scenarios")
    package = data.get("package")
    return Scenario(
        budget=data.get("budget", 0),
        months=data.get("months", 12),
        package=None if package is None else parse_package(package),
        desil_max=data.get("desil_max"),
        name=str(data.get("name") or "")[:100],
    )


def enrol_scenario(
    *,
    principal: Principal,
    scenario_id: int,
    registered_on: date | None = None,
    url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BulkReport:
    """Enrol a scenario's funded list (the top of the ranking it chose), with the sponsor as
    payer of record for the funded months, through the core's bulk enrolment. Persons who
    are members already get the sponsor as payer instead. A repeat changes nothing."""
    require(principal, "member.enrol")
    require(principal, "payer.assign")
    with db.reading(url) as conn:
        row = _scenario_in(conn, principal, scenario_id)
        run = visible_run_in(conn, principal, int(row.run_id))
    result = dict(row.results)
    funded = int(row.funded)
    if funded == 0:
        raise BadInput(f"scenario {scenario_id} funds nobody; there is no list to enrol", field="scenario_id")
    with batch_engine("duckdb") as batch:
        batch.register("ranked", run.ranked)
        chosen = batch.fetch(
            "SELECT nik_index FROM ranked WHERE desil <= :desil_max ORDER BY rank LIMIT :funded",
            {"desil_max": int(result["desil_max"]), "funded": funded},
        )
    raw = b"".join(chosen.column("nik_index").to_pylist())
    indexes = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 16)
    package = parse_package(result["package"], check=False)
    report = bulk.enrol_indexed(
        principal=principal,
        indexes=indexes,
        source_key=f"budget-scenario:{scenario_id}:run:{run.id}",
        snapshot=run.snapshot_id,
        programs=package.programs,
        income=package.income,
        sponsor_id=int(row.sponsor_id),
        from_month=run.start_month,
        months=int(result["months"]),
        registered_on=registered_on,
        url=url,
        progress=progress,
    )
    if row.enrolment_batch_id is None:
        with db.transaction(url) as conn:
            conn.execute(
                budget_scenarios.update()
                .where(budget_scenarios.c.id == scenario_id)
                .values(enrolment_batch_id=report.batch_id)
            )
            audit.record(
                conn,
                actor=principal.actor,
                action="budget.enrol",
                entity="budget_scenario",
                entity_id=str(scenario_id),
                region_code=row.region_code,
                after={"batch_id": report.batch_id, "accepted": report.accepted, "rejected": report.rejected},
            )
    return report


@dataclass
class Backfill:
    scenario_id: int
    funded: int  # places the scenario pays for
    still_funded: int  # persons taken from its list the sponsor still pays for from `from_month`
    freed: int
    from_month: str | None
    months: int
    report: dict[str, Any] | None  # the enrolment of the persons taken from the waitlist

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def backfill(
    *, principal: Principal, scenario_id: int, today: date | None = None, url: str | None = None
) -> Backfill:
    """Fill the places funded members left (died, became wage earners, moved away: their
    sponsorship ended early) with the next persons on the waitlist, for the rest of the
    funded period. Places are counted from next month on."""
    require(principal, "member.enrol")
    require(principal, "payer.assign")
    with db.reading(url) as conn:
        row = _scenario_in(conn, principal, scenario_id)
        run = visible_run_in(conn, principal, int(row.run_id))
    if row.enrolment_batch_id is None:
        raise BadInput(f"scenario {scenario_id} is not enrolled yet: enrol it first", field="scenario_id")
    result = dict(row.results)
    funded, taken, months = int(row.funded), int(row.backfilled), int(result["months"])
    end = run.start_month.plus(months)
    start = max(Month.of(today or date.today()).plus(1), run.start_month)
    if start >= end:
        raise BadInput(f"scenario {scenario_id}'s funded period ended in {end.plus(-1)}", field="scenario_id")
    with batch_engine("duckdb") as batch:
        batch.register("ranked", run.ranked)
        listed = (
            batch.fetch(
                "SELECT nik_index FROM ranked WHERE desil <= :desil_max ORDER BY rank LIMIT :n",
                {"desil_max": int(result["desil_max"]), "n": funded + taken + funded},
            )
            .column("nik_index")
            .to_pylist()
        )
    with db.store(url).connect() as conn:
        index = membership.member_index_in(conn, start)
    paying = pc.equal(index.column("sponsor_id"), int(row.sponsor_id))
    sponsored = {bytes(i) for i in index.filter(pc.fill_null(paying, False)).column("nik_index").to_pylist()}
    still = sum(1 for i in listed[: funded + taken] if bytes(i) in sponsored)
    freed = max(0, funded - still)
    chosen = listed[funded + taken : funded + taken + freed]
    if not chosen:
        return Backfill(scenario_id, funded, still, 0, str(start), end_months(start, end), None)
    package = parse_package(result["package"], check=False)
    report = bulk.enrol_indexed(
        principal=principal,
        indexes=np.frombuffer(b"".join(chosen), dtype=np.uint8).reshape(-1, 16),
        source_key=f"budget-scenario:{scenario_id}:backfill-after:{taken}",
        snapshot=run.snapshot_id,
        programs=package.programs,
        income=package.income,
        sponsor_id=int(row.sponsor_id),
        from_month=start,
        months=end_months(start, end),
        url=url,
    )
    with db.transaction(url) as conn:
        conn.execute(
            budget_scenarios.update()
            .where(budget_scenarios.c.id == scenario_id, budget_scenarios.c.backfilled == taken)
            .values(backfilled=taken + len(chosen))
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="budget.backfill",
            entity="budget_scenario",
            entity_id=str(scenario_id),
            region_code=row.region_code,
            after={"freed": freed, "taken": len(chosen), "batch_id": report.batch_id, "from": str(start)},
        )
    return Backfill(scenario_id, funded, still, freed, str(start), end_months(start, end), report.to_json())


def end_months(start: Month, end: Month) -> int:
    return (end.year - start.year) * 12 + end.month - start.month
