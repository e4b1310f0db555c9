"""Sponsors over HTTP: who pays, their fiscal-year budgets, and whom they target."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.kit.periods import Month
from jaring.sponsors import budgets, cliffs, drift, ledger, service, targets
from jaring.sponsors.model import BUDGET_STAGES, SPONSOR_KINDS, TRANSITIONS

router = APIRouter(prefix="/api/v1/sponsors", tags=["sponsors"])

SPONSOR = Path(min_length=1, max_length=40, description="The sponsor's code (or id)")
MONTH = r"^\d{4}-\d{2}$"


class SponsorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(description=f"One of {', '.join(SPONSOR_KINDS)}")
    region_code: str = Field(min_length=2, max_length=10)
    funding: str | None = Field(default=None, description="apbd, apbn or self")


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fiscal_year: int = Field(ge=2000, le=2100)
    amount: int = Field(gt=0, le=10**15, strict=True, description="Whole Rupiah")
    stage: str = Field(default="apbd", description=f"One of {', '.join(BUDGET_STAGES)}")
    first_month: str | None = Field(default=None, pattern=MONTH)
    last_month: str | None = Field(default=None, pattern=MONTH)
    document: str = Field(default="", max_length=200)


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: list[str] | None = Field(default=None, max_length=500, description="Region codes (prefixes)")
    rule: dict[str, Any] = Field(
        default_factory=dict, description="desil_max, occupations, sex, age_min, ..."
    )
    priority: list[str] | None = Field(default=None, max_length=10)
    package: dict[str, Any] = Field(default_factory=dict, description="programs, income")


@router.get("", summary="Sponsors you may see")
def list_sponsors(principal: CurrentPrincipal, url: DatabaseUrl) -> list[dict[str, Any]]:
    return [s.to_json() for s in service.list_sponsors(principal=principal, url=url)]


@router.post("", status_code=201, summary="Register a sponsor")
def create_sponsor(body: SponsorIn, principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    made = service.create_sponsor(principal=principal, url=url, **body.model_dump())
    return made.to_json()


@router.get("/{sponsor}", summary="One sponsor")
def get_sponsor(
    sponsor: Annotated[str, SPONSOR], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return service.get_sponsor(principal=principal, code_or_id=sponsor, url=url).to_json()


@router.get("/{sponsor}/budgets", summary="A sponsor's fiscal-year budgets")
def list_budgets(
    sponsor: Annotated[str, SPONSOR], principal: CurrentPrincipal, url: DatabaseUrl
) -> list[dict[str, Any]]:
    return [b.to_json() for b in budgets.list_budgets(principal=principal, sponsor=sponsor, url=url)]


@router.post("/{sponsor}/budgets", status_code=201, summary="Record a budget (APBD, or its APBD-P revision)")
def add_budget(
    sponsor: Annotated[str, SPONSOR], body: BudgetIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    made = budgets.add_budget(
        principal=principal,
        sponsor=sponsor,
        fiscal_year=body.fiscal_year,
        amount=body.amount,
        stage=body.stage,
        first_month=Month.parse(body.first_month) if body.first_month else None,
        last_month=Month.parse(body.last_month) if body.last_month else None,
        document=body.document,
        url=url,
    )
    return made.to_json()


@router.get("/{sponsor}/target", summary="Whom the sponsor funds now, in what order, with what package")
def get_target(
    sponsor: Annotated[str, SPONSOR], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return targets.get_target(principal=principal, sponsor=sponsor, url=url).to_json()


@router.put("/{sponsor}/target", summary="Set a new version of the sponsor's target")
def put_target(
    sponsor: Annotated[str, SPONSOR], body: TargetIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    made = targets.set_target(
        principal=principal,
        sponsor=sponsor,
        scope=body.scope,
        rule=body.rule,
        priority=body.priority,
        package=body.package,
        url=url,
    )
    return made.to_json()


@router.get("/{sponsor}/ledger", summary="Allocated, committed, billed and paid for a fiscal year")
def get_ledger(
    sponsor: Annotated[str, SPONSOR],
    year: Annotated[int, Query(ge=2000, le=2100, description="Fiscal year")],
    principal: CurrentPrincipal,
    url: DatabaseUrl,
) -> dict[str, Any]:
    return ledger.budget_ledger(principal=principal, sponsor=sponsor, fiscal_year=year, url=url).to_json()


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ends_on: str = Field(pattern=MONTH, description="The first unfunded month")
    action: str = Field(description=f"One of {', '.join(TRANSITIONS)}")
    months: int | None = Field(default=None, ge=1, le=120)
    to_sponsor: str | None = Field(default=None, min_length=1, max_length=40)
    participant_numbers: list[str] | None = Field(default=None, max_length=100_000)


@router.get("/{sponsor}/cliffs", summary="Where the sponsor's funding ends, and who is undecided")
def get_cliffs(
    sponsor: Annotated[str, SPONSOR],
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    on: Annotated[date | None, Query(alias="date")] = None,
    within_days: Annotated[int, Query(ge=0, le=cliffs.MAX_WINDOW_DAYS)] = cliffs.WINDOW_DAYS,
) -> dict[str, Any]:
    report = cliffs.cliffs(principal=principal, sponsor=sponsor, on=on, within_days=within_days, url=url)
    return report.to_json()


@router.post("/{sponsor}/transitions", status_code=201, summary="Decide: renew, hand over, or self-pay")
def post_transition(
    sponsor: Annotated[str, SPONSOR], body: TransitionIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    decision = cliffs.decide(
        principal=principal,
        sponsor=sponsor,
        ends_on=Month.parse(body.ends_on),
        action=body.action,
        participant_numbers=body.participant_numbers,
        to_sponsor=body.to_sponsor,
        months=body.months,
        url=url,
    )
    return decision.to_json()


class DriftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    old: str = Field(min_length=1, max_length=40, description="The earlier snapshot")
    new: str = Field(min_length=1, max_length=40, description="The newer snapshot")


class DriftDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=10_000)
    decision: str = Field(description="keep or end_now")


@router.post("/{sponsor}/drift-reviews", summary="Review sponsored members a new snapshot flags")
def post_drift_review(
    sponsor: Annotated[str, SPONSOR], body: DriftIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    review = drift.review_drift(principal=principal, sponsor=sponsor, old=body.old, new=body.new, url=url)
    return review.to_json()


@router.post("/{sponsor}/drift-reviews/decisions", summary="Keep, or end a flagged sponsorship now")
def post_drift_decision(
    sponsor: Annotated[str, SPONSOR], body: DriftDecisionIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    decided = drift.decide_drift(
        principal=principal, sponsor=sponsor, item_ids=body.item_ids, decision=body.decision, url=url
    )
    return {"decided": decided}
