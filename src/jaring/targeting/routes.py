"""Targeting runs over HTTP: run (one sponsor, or a round of many), read, explain a rank, reproduce."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.kit.periods import Month
from jaring.targeting import service

router = APIRouter(prefix="/api/v1/targeting-runs", tags=["targeting"])
rounds = APIRouter(prefix="/api/v1/targeting-rounds", tags=["targeting"])

RUN = Path(ge=1, le=2**31 - 1)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sponsor: str = Field(min_length=1, max_length=40, description="Sponsor code or id")
    snapshot: str = Field(min_length=1, max_length=40, description="Snapshot id, unique prefix or date")
    start_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="Default: next month")
    engine: str = Field(default="duckdb", description="duckdb or spark")


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sponsors: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        default=None, max_length=service.MAX_ROUND, description="Sponsor codes or ids; omit for every sponsor"
    )
    snapshot: str = Field(min_length=1, max_length=40, description="Snapshot id, unique prefix or date")
    start_month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="Default: next month")
    engine: str = Field(default="duckdb", description="duckdb or spark")


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nik: str = Field(min_length=16, max_length=16, pattern=r"^\d{16}$")


class RerunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    engine: str = Field(default="duckdb")


@router.post("", status_code=201, summary="Run the sponsor's target over a snapshot (frozen, audited)")
def post_run(body: RunIn, principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    report = service.run_targeting(
        principal=principal,
        sponsor=body.sponsor,
        snapshot=body.snapshot,
        start_month=Month.parse(body.start_month) if body.start_month else None,
        engine=body.engine,
        url=url,
    )
    return report.to_json()


@rounds.post("", status_code=201, summary="Run several sponsors' targets over a snapshot in one pass")
def post_round(body: RoundIn, principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    reports = service.run_round(
        principal=principal,
        sponsors=list(body.sponsors) if body.sponsors is not None else None,
        snapshot=body.snapshot,
        start_month=Month.parse(body.start_month) if body.start_month else None,
        engine=body.engine,
        url=url,
    )
    return {"runs": [report.to_json() for report in reports]}


@router.get("/{run_id}", summary="A frozen run: counts and everything it was computed from")
def get_run(run_id: Annotated[int, RUN], principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    run = service.get_run(principal=principal, run_id=run_id, url=url)
    return {
        "run_id": run.id,
        "snapshot_id": run.snapshot_id,
        "start_month": str(run.start_month),
        "engine": run.engine,
        "in_scope": run.in_scope,
        "eligible": run.eligible,
        "excluded": run.excluded,
        "output_sha256": run.output_sha256,
        "frozen": run.parameters,
    }


@router.post("/{run_id}/explain", summary="Why a person (by NIK, in the body) has their rank, or none")
def explain(
    run_id: Annotated[int, RUN], body: ExplainIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return service.explain(principal=principal, run_id=run_id, nik=body.nik, url=url).to_json()


@router.post("/{run_id}/rerun", summary="Recompute from the frozen inputs and compare")
def rerun(
    run_id: Annotated[int, RUN], body: RerunIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    result = service.rerun(principal=principal, run_id=run_id, engine=body.engine, url=url)
    return vars(result)
