"""Claims over HTTP: accident reports, filing, documents, verification, approval, rejection
and payouts; a member follows their own claims."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.claims import kinds, reports, service
from jaring.claims.heirs import RELATIONSHIPS
from jaring.claims.states import STATUSES

router = APIRouter(prefix="/api/v1/claims", tags=["claims"])
accidents = APIRouter(prefix="/api/v1/accident-reports", tags=["claims"])

CLAIM = Path(ge=1, le=2_147_483_647, description="The claim's number")
Language = Annotated[Literal["id", "en"], Query(description="Labels in Indonesian (default) or English")]
PARTICIPANT = r"^\d{11}$"


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_number: str = Field(pattern=PARTICIPANT)
    accident_at: datetime = Field(description="When it happened; without a zone it is read as WIB")
    reporter: str = Field(description=f"One of {', '.join(reports.REPORTERS)}")
    kind: str = Field(default="accident", description=f"One of {', '.join(reports.REPORT_KINDS)}")


class ClaimantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    relationship: str = Field(description=f"One of {', '.join(RELATIONSHIPS)}")
    name: str = Field(min_length=1, max_length=200)


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    participant_number: str = Field(pattern=PARTICIPANT)
    kind: str = Field(description=f"One of {', '.join(kinds.KINDS)}")
    event_date: date | None = Field(default=None, description="Death, dismissal ...; JKK: from the report")
    report_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="JKK: the stage-I report")
    details: dict[str, Any] = Field(default_factory=dict, description="What the claim type needs")
    claimant: ClaimantIn | None = None
    heirs: list[str] | None = Field(default=None, max_length=30, description="Relationships of known heirs")
    documents: list[str] = Field(default_factory=list, max_length=20, description="Documents handed in")


class DocumentsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(min_length=1, max_length=20)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transfer_ref: str = Field(min_length=1, max_length=60)
    paid_on: date | None = None


@accidents.post("", status_code=201, summary="Report a work accident (stage I) or notify a suspected one")
def report_accident(body: ReportIn, principal: CurrentPrincipal, url: DatabaseUrl) -> dict[str, Any]:
    return reports.report_accident(principal=principal, url=url, **body.model_dump()).to_json()


@accidents.get("/{report_id}", summary="One accident report")
def get_report(
    report_id: Annotated[int, Path(ge=1, le=2_147_483_647)], principal: CurrentPrincipal, url: DatabaseUrl
) -> dict[str, Any]:
    return reports.get_report(principal=principal, report_id=report_id, url=url).to_json()


@router.get("/kinds", summary="Claim types, their programs and the documents each needs")
def claim_kinds(lang: Language = "id") -> list[dict[str, Any]]:
    index = 1 if lang == "en" else 0
    return [
        {
            "kind": k.code,
            "program": k.program,
            "label": k.label[index],
            "needs_report": k.needs_report,
            "claimed_by_heirs": k.death,
            "documents": [{"code": d, "label": kinds.DOCUMENTS[d][index]} for d in k.documents],
        }
        for k in kinds.KINDS.values()
    ]


@router.post("", status_code=201, summary="File a claim")
def file_claim(
    body: ClaimIn, principal: CurrentPrincipal, url: DatabaseUrl, lang: Language = "id"
) -> dict[str, Any]:
    return service.file_claim(
        principal=principal,
        participant_number=body.participant_number,
        kind=body.kind,
        event_date=body.event_date,
        report_id=body.report_id,
        details=body.details,
        claimant=None if body.claimant is None else body.claimant.model_dump(),
        heirs_known=body.heirs,
        documents=body.documents,
        url=url,
        language=lang,
    ).to_json()


@router.get("", summary="Claims you may see, newest first (a member: their own)")
def list_claims(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    status: Annotated[str | None, Query(description=f"One of {', '.join(STATUSES)}")] = None,
    participant_number: Annotated[str | None, Query(pattern=PARTICIPANT)] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 200,
) -> list[dict[str, Any]]:
    found = service.list_claims(
        principal=principal, status=status, participant_number=participant_number, limit=limit, url=url
    )
    return [c.to_json() for c in found]


@router.get("/{claim_id}", summary="One claim: amounts with references, documents, clock, workflow")
def get_claim(
    claim_id: Annotated[int, CLAIM], principal: CurrentPrincipal, url: DatabaseUrl, lang: Language = "id"
) -> dict[str, Any]:
    return service.get_claim(principal=principal, claim_id=claim_id, url=url, language=lang).to_json()


@router.post("/{claim_id}/documents", summary="Record documents handed in")
def receive_documents(
    claim_id: Annotated[int, CLAIM],
    body: DocumentsIn,
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    lang: Language = "id",
) -> dict[str, Any]:
    view = service.receive_documents(
        principal=principal, claim_id=claim_id, codes=body.codes, url=url, language=lang
    )
    return view.to_json()


@router.post("/{claim_id}/verify", summary="Verify a claim whose documents are complete")
def verify(
    claim_id: Annotated[int, CLAIM], principal: CurrentPrincipal, url: DatabaseUrl, lang: Language = "id"
) -> dict[str, Any]:
    return service.verify(principal=principal, claim_id=claim_id, url=url, language=lang).to_json()


@router.post("/{claim_id}/approve", summary="Approve a verified claim (not by its verifier)")
def approve(
    claim_id: Annotated[int, CLAIM], principal: CurrentPrincipal, url: DatabaseUrl, lang: Language = "id"
) -> dict[str, Any]:
    return service.approve(principal=principal, claim_id=claim_id, url=url, language=lang).to_json()


@router.post("/{claim_id}/reject", summary="Reject an open claim with a reason")
def reject(
    claim_id: Annotated[int, CLAIM],
    body: RejectIn,
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    lang: Language = "id",
) -> dict[str, Any]:
    view = service.reject(principal=principal, claim_id=claim_id, reason=body.reason, url=url, language=lang)
    return view.to_json()


@router.post("/{claim_id}/payouts", status_code=201, summary="Pay the next payable part of an approved claim")
def pay(
    claim_id: Annotated[int, CLAIM],
    body: PayoutIn,
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    lang: Language = "id",
) -> dict[str, Any]:
    view = service.pay(
        principal=principal,
        claim_id=claim_id,
        transfer_ref=body.transfer_ref,
        paid_on=body.paid_on,
        url=url,
        language=lang,
    )
    return view.to_json()
