"""Budget scenarios over HTTP."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.targeting import budget as simulation

router = APIRouter(prefix="/api/v1", tags=["budget"])


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: int = Field(gt=0, le=10**15, strict=True, description="Whole Rupiah")
    months: int = Field(default=12, ge=1, le=simulation.MAX_MONTHS)
    package: dict[str, Any] | None = Field(
        default=None, description="programs, income (default: the target's)"
    )
    desil_max: int | None = Field(default=None, ge=1, le=10)
    name: str = Field(default="", max_length=100)


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="Default: the latest run")
    scenarios: list[ScenarioIn] = Field(min_length=1, max_length=50)


@router.post("/sponsors/{sponsor}/scenarios", status_code=201, summary="Simulate budgets side by side (kept)")
def post_scenarios(
    sponsor: Annotated[str, Path(min_length=1, max_length=40)],
    body: SimulationIn,
    principal: CurrentPrincipal,
    url: DatabaseUrl,
) -> list[dict[str, Any]]:
    scenarios = [simulation.parse_scenario(s.model_dump(exclude_none=True)) for s in body.scenarios]
    results = simulation.simulate(
        principal=principal, sponsor=sponsor, scenarios=scenarios, run_id=body.run_id, url=url
    )
    return [r.to_json() for r in results]


@router.get("/budget-scenarios/{scenario_id}", summary="A kept scenario")
def get_scenario(
    scenario_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return simulation.get_scenario(principal=principal, scenario_id=scenario_id, url=url).to_json()


@router.post(
    "/budget-scenarios/{scenario_id}/enrolment",
    status_code=201,
    summary="Enrol the scenario's funded list with the sponsor as payer (a repeat changes nothing)",
)
def post_enrolment(
    scenario_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return simulation.enrol_scenario(principal=principal, scenario_id=scenario_id, url=url).to_json()


@router.post(
    "/budget-scenarios/{scenario_id}/backfill",
    summary="Give the places funded members left to the next persons on the waitlist",
)
def post_backfill(
    scenario_id: Annotated[int, Path(ge=1, le=2**31 - 1)], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return simulation.backfill(principal=principal, scenario_id=scenario_id, url=url).to_json()
