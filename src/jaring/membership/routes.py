"""`/api/v1/members`: enrolment (by an officer, or a worker registering themself), search,
one member, the audited full NIK, declared terms and the sponsor of record.

A member outside the caller's area answers 404 with the same body as a number nobody has;
a participant number with a wrong check digit is a 422 saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from jaring.api.deps import CurrentPrincipal, DatabaseUrl
from jaring.kit.periods import Month
from jaring.membership import service
from jaring.membership.schemas import (
    AssignmentOut,
    MemberIn,
    MemberListOut,
    MemberOut,
    MemberSummaryOut,
    NikOut,
    PayerAssignmentIn,
    SelfRegistrationIn,
    SelfRegistrationOut,
    TermsIn,
    UnmaskIn,
)

router = APIRouter(prefix="/api/v1/members", tags=["members"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in, or the token is invalid"},
    403: {"description": "Your role may not do this"},
}
_ONE: dict[int | str, dict[str, Any]] = {
    **_AUTH,
    404: {"description": "No such participant in your area (the same answer whether or not it exists)"},
    422: {"description": "Bad input, e.g. a participant number whose check digit does not match"},
}
NOTE = (
    "Registered. Protection starts when the first contribution is paid in full "
    "(PP 44/2015 Art. 11); until then the member is not covered."
)


@router.post(
    "",
    response_model=MemberOut,
    status_code=status.HTTP_201_CREATED,
    summary="Enrol a worker (officer)",
    responses={**_AUTH, 409: {"description": "This NIK is already a member"}},
)
def enrol(body: MemberIn, principal: CurrentPrincipal, url: DatabaseUrl) -> MemberOut:
    view = service.enrol(principal=principal, channel="officer", url=url, **body.model_dump())
    return MemberOut.of(view)


@router.post(
    "/self-registration",
    response_model=SelfRegistrationOut,
    status_code=status.HTTP_201_CREATED,
    summary="A worker registers themself (no account needed)",
    responses={409: {"description": "This NIK is already a member"}},
)
def self_registration(body: SelfRegistrationIn, url: DatabaseUrl) -> SelfRegistrationOut:
    view = service.enrol(
        principal=service.self_registration_principal(),
        channel="self",
        segment="bpu",
        url=url,
        **body.model_dump(),
    )
    return SelfRegistrationOut(participant_number=view.participant_number, status="registered", note=NOTE)


@router.get("", response_model=MemberListOut, summary="Search members in your area", responses=_AUTH)
def search(
    principal: CurrentPrincipal,
    url: DatabaseUrl,
    q: Annotated[
        str | None, Query(max_length=200, description="Start of a participant number, or part of a name")
    ] = None,
    region_code: Annotated[str | None, Query(max_length=13, description="Only under this region")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_SEARCH)] = 50,
) -> MemberListOut:
    found = service.search_members(
        principal=principal, query=q, region_code=region_code, limit=limit, url=url
    )
    return MemberListOut(members=[MemberSummaryOut.model_validate(m.to_json()) for m in found])


@router.post(
    "/payer-assignments",
    response_model=AssignmentOut,
    summary="Make a sponsor the payer of record for some months",
    responses={
        **_AUTH,
        404: {"description": "A participant or the sponsor is not in your area"},
        409: {"description": "Another sponsor already pays some of these member-months"},
    },
)
def assign_payer(body: PayerAssignmentIn, principal: CurrentPrincipal, url: DatabaseUrl) -> AssignmentOut:
    report = service.assign_payer(
        principal=principal,
        participant_numbers=body.participant_numbers,
        sponsor_id=body.sponsor_id,
        from_month=Month.parse(body.from_month),
        months=body.months,
        url=url,
    )
    return AssignmentOut.of(report)


@router.get("/{participant_number}", response_model=MemberOut, summary="One member", responses=_ONE)
def show(participant_number: str, principal: CurrentPrincipal, url: DatabaseUrl) -> MemberOut:
    return MemberOut.of(
        service.get_member(principal=principal, participant_number=participant_number, url=url)
    )


@router.post(
    "/{participant_number}/nik",
    response_model=NikOut,
    summary="The full NIK, with the reason it is needed (audited)",
    responses=_ONE,
)
def unmask(participant_number: str, body: UnmaskIn, principal: CurrentPrincipal, url: DatabaseUrl) -> NikOut:
    # A POST, so the NIK is never in a URL, a browser history or a cache.
    nik = service.unmask_nik(
        principal=principal, participant_number=participant_number, reason=body.reason, url=url
    )
    return NikOut(participant_number=participant_number.strip(), nik=nik)


@router.post(
    "/{participant_number}/terms",
    response_model=MemberOut,
    summary="Declare a new income level or programs from a month on",
    responses=_ONE,
)
def change_terms(
    participant_number: str, body: TermsIn, principal: CurrentPrincipal, url: DatabaseUrl
) -> MemberOut:
    view = service.change_terms(
        principal=principal,
        participant_number=participant_number,
        from_month=Month.parse(body.from_month),
        income=body.income,
        programs=body.programs,
        url=url,
    )
    return MemberOut.of(view)
