"""Billing over HTTP: runs, sponsor invoices, a member's charges and prepayments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.contributions import billing
from jaring.kit.periods import Month

router = APIRouter(prefix="/api/v1", tags=["billing"])

PARTICIPANT = Path(pattern=r"^\d{11}$", description="The 11-digit participant number")
MONTH_PATTERN = r"^\d{4}-\d{2}$"


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str = Field(pattern=MONTH_PATTERN, description="The month to bill, YYYY-MM", examples=["2026-05"])


class PrepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int = Field(strict=True, ge=1, le=12, description="Months paid at once: 3, 6 or 12")
    start: str | None = Field(
        default=None,
        pattern=MONTH_PATTERN,
        description="First month, YYYY-MM (default: the first uncharged month from now); "
        "give it to make a retry safe",
    )


@router.post(
    "/billing/runs", status_code=201, summary="Bill a period (safe to repeat; resumes a crashed run)"
)
def post_run(principal: CurrentPrincipal, url: DatabaseUrl, body: RunIn) -> dict[str, Any]:
    report = billing.run_billing(principal=principal, period=Month.parse(body.period), url=url)
    return report.to_json()


@router.get("/invoices", summary="Sponsor invoices you may see, newest period first")
def get_invoices(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    sponsor: Annotated[str | None, Query(max_length=40, description="A sponsor's code")] = None,
    period: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")] = None,
) -> list[dict[str, Any]]:
    found = billing.list_invoices(
        principal=principal,
        sponsor=sponsor,
        period=None if period is None else Month.parse(period),
        url=url,
    )
    return [invoice.to_json() for invoice in found]


@router.get("/invoices/{number}", summary="One invoice: its lines and control totals")
def get_invoice(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    number: Annotated[str, Path(max_length=40)],
    limit: Annotated[int, Query(ge=1, le=billing.INVOICE_LINES_LIMIT)] = billing.INVOICE_LINES_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    detail = billing.get_invoice(principal=principal, number=number, limit=limit, offset=offset, url=url)
    return detail.to_json()


@router.get("/members/{participant_number}/charges", summary="A member's charges, month by month")
def get_charges(
    principal: CurrentPrincipal, url: DatabaseUrl, participant_number: Annotated[str, PARTICIPANT]
) -> dict[str, Any]:
    return billing.member_charges(
        principal=principal, participant_number=participant_number, url=url
    ).to_json()


@router.post(
    "/members/{participant_number}/prepayments",
    status_code=201,
    summary="Bill a self-paying BPU member months ahead (months already billed are kept)",
)
def post_prepayment(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    participant_number: Annotated[str, PARTICIPANT],
    body: PrepaymentIn,
) -> dict[str, Any]:
    found = billing.prepay(
        principal=principal,
        participant_number=participant_number,
        months=body.months,
        start=None if body.start is None else Month.parse(body.start),
        url=url,
    )
    return {
        "participant_number": participant_number,
        "charges": [charge.to_json() for charge in found],
        "total": sum(charge.amount for charge in found),
    }
