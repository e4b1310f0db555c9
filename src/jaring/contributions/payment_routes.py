"""Payments (for channels, HMAC-signed), coverage and the ledger over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from jaring.api.deps import CurrentPrincipal, DatabaseUrl, store_url
from jaring.contributions import channels, coverage, ledger, payments

router = APIRouter(prefix="/api/v1", tags=["payments and coverage"])

PARTICIPANT = Path(pattern=r"^\d{11}$", description="The 11-digit participant number")


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(
        min_length=1,
        max_length=40,
        description="Participant number, virtual account (88888 + participant number) or invoice number",
    )
    amount: int = Field(gt=0, le=10**13, strict=True, description="Whole Rupiah")
    paid_at: AwareDatetime = Field(description="When the payer paid, with a time zone")
    bank_ref: str | None = Field(default=None, max_length=60, description="The channel's transaction id")


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=300)


_SIGNED = {
    "parameters": [
        {"name": "X-Jaring-Channel", "in": "header", "required": True, "schema": {"type": "string"}},
        {
            "name": "X-Jaring-Timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Unix seconds; within 5 minutes of the server's clock",
        },
        {
            "name": "X-Jaring-Signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "sha256=HEX(HMAC-SHA256(secret, timestamp + '.' + Idempotency-Key + '.' + body))",
        },
    ]
}


def _parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        return model.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        ) from None


async def _signed(request: Request, idempotency_key: str) -> tuple[str, bytes]:
    body = await request.body()
    channel = await run_in_threadpool(
        channels.verify,
        channel=request.headers.get("x-jaring-channel"),
        timestamp=request.headers.get("x-jaring-timestamp"),
        signature=request.headers.get("x-jaring-signature"),
        idempotency_key=idempotency_key,
        body=body,
        url=store_url(request),
    )
    return channel, body


@router.post(
    "/payments",
    status_code=201,
    openapi_extra={
        **_SIGNED,
        "requestBody": {"content": {"application/json": {"schema": PaymentIn.model_json_schema()}}},
    },
    summary="Record a payment from a channel (idempotent per Idempotency-Key)",
)
async def post_payment(
    request: Request,
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=100)],
) -> dict[str, Any]:
    channel, body = await _signed(request, idempotency_key)
    data: PaymentIn = _parse(PaymentIn, body)
    result = await run_in_threadpool(
        payments.record_payment,
        channel=channel,
        idempotency_key=idempotency_key,
        reference=data.reference,
        amount=data.amount,
        paid_at=data.paid_at,
        bank_ref=data.bank_ref,
        url=store_url(request),
    )
    if result.replayed:
        response.status_code = 200
    return result.to_json()


@router.post(
    "/payments/{payment_id}/reversal",
    status_code=201,
    openapi_extra={
        **_SIGNED,
        "requestBody": {"content": {"application/json": {"schema": ReversalIn.model_json_schema()}}},
    },
    summary="Reverse one of the channel's own payments",
)
async def post_reversal(
    request: Request,
    response: Response,
    payment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=100)],
) -> dict[str, Any]:
    channel, body = await _signed(request, idempotency_key)
    data: ReversalIn = _parse(ReversalIn, body)
    result = await run_in_threadpool(
        payments.reverse_payment,
        actor=f"channel:{channel}",
        payment_id=payment_id,
        reason=data.reason,
        channel=channel,
        idempotency_key=idempotency_key,
        url=store_url(request),
    )
    if result.replayed:
        response.status_code = 200
    return result.to_json()


@router.get("/payments", summary="Payments in your area (or your own)")
def get_payments(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    reference: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    found = payments.list_payments(principal=principal, reference=reference, limit=limit, url=url)
    return [p.to_json() for p in found]


@router.get("/payments/{payment_id}", summary="One payment and how it was allocated")
def get_payment(
    principal: CurrentPrincipal, url: DatabaseUrl, payment_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    return payments.get_payment(principal=principal, payment_id=payment_id, url=url).to_json()


@router.get(
    "/members/{participant_number}/coverage",
    summary="Coverage status on a date: not_started, active, arrears or lapsed",
)
async def get_coverage(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    participant_number: Annotated[str, PARTICIPANT],
    on: Annotated[date, Query(alias="date", description="YYYY-MM-DD")],
    as_of: Annotated[
        datetime | None, Query(description="Count only payments received by then (default: now)")
    ] = None,
) -> dict[str, Any]:
    found = coverage.check(
        principal=principal, participant_number=participant_number, on=on, as_of=as_of, url=url
    )
    return found.to_json()


@router.get("/members/{participant_number}/coverage/history", summary="Month by month coverage history")
def get_coverage_history(
    principal: CurrentPrincipal, url: DatabaseUrl, participant_number: Annotated[str, PARTICIPANT]
) -> list[dict[str, Any]]:
    records = coverage.history(principal=principal, participant_number=participant_number, url=url)
    return [vars(r) for r in records]


@router.get("/coverage/warnings", summary="Members about to lapse; sponsored funding about to end")
def get_warnings(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    on: Annotated[date, Query(alias="date")],
    within_days: Annotated[int, Query(ge=0, le=366)] = 60,
) -> dict[str, Any]:
    return coverage.warnings(principal=principal, on=on, within_days=within_days, url=url).to_json()


@router.get("/ledger/check", summary="Recompute the ledger's invariants")
def get_ledger_check(principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    return ledger.check(principal=principal, url=url).to_json()
