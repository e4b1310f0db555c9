"""Request and response bodies of `/api/v1/members`. Field constraints give a 422 naming the
field before any work is done; the service checks what needs the store or the rules."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jaring.membership import service

Segment = Literal["bpu", "pu", "pmi"]
Sector = Literal["other", "transport"]
Program = Literal["jkk", "jkm", "jht", "jp"]
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PARTICIPANT_PATTERN = r"^[0-9]{11}$"
NIK = Field(pattern=r"^[0-9]{16}$", description="Nomor Induk Kependudukan, 16 digits")
REGION = Field(
    pattern=r"^[0-9]{2}\.?[0-9]{2}(\.?[0-9]{2}\.?[0-9]{4})?$",
    description="Village (10 digits, e.g. 3174011001 or 31.74.01.1001) or regency (4 digits)",
)


class _In(BaseModel):
    # A misspelt field is an error, not silently a default.
    model_config = ConfigDict(extra="forbid")


class _Worker(_In):
    nik: str = NIK
    name: str = Field(min_length=1, max_length=200)
    birth_date: date = Field(description="Must agree with the date in the NIK (digits 7-12)")
    sex: Literal["L", "P"] | None = Field(default=None, description="L or P; taken from the NIK when absent")
    region_code: str = REGION
    category: str = Field(min_length=1, max_length=40, description="Occupation or sponsored group")
    sector: Sector = "other"
    programs: list[Program] = Field(
        default=["jkk", "jkm"],
        min_length=2,
        max_length=4,
        description="jkk and jkm always; jht; jp for PU only",
    )
    income: int = Field(default=1_000_000, gt=0, le=10**12, description="Declared monthly income, Rupiah")


class MemberIn(_Worker):
    segment: Segment = "bpu"
    registered_on: date | None = Field(default=None, description="Default today")


class SelfRegistrationIn(_Worker):
    """A worker outside an employment relationship (BPU) registering themself."""


class SelfRegistrationOut(BaseModel):
    participant_number: str
    status: Literal["registered"]
    note: str = Field(description="Registered is not yet covered")


class TermsOut(BaseModel):
    from_month: str
    to_month: str | None = Field(description="First month no longer under these terms; null: open")
    income: int
    programs: list[str]


class PayerOut(BaseModel):
    sponsor_id: int
    sponsor_code: str
    from_month: str
    to_month: str = Field(description="First month the sponsor no longer pays")


class MemberOut(BaseModel):
    participant_number: str
    nik_masked: str
    name: str
    birth_date: date
    sex: str | None
    segment: str
    category: str
    sector: str
    region_code: str
    registered_on: date
    channel: str
    status: Literal["registered"] = Field(
        description="Membership only: protection starts with the first paid contribution "
        "(PP 44/2015 Art. 11); coverage is reported by the contributions domain"
    )
    income: int = Field(description="Declared income in force this month")
    programs: list[str] = Field(description="Programs in force this month")
    terms: list[TermsOut]
    payers: list[PayerOut] = Field(description="Sponsors of record; months outside them are self-paid")

    @classmethod
    def of(cls, view: service.MemberView) -> MemberOut:
        return cls.model_validate(view.to_json())


class MemberSummaryOut(BaseModel):
    participant_number: str
    nik_masked: str
    name: str
    segment: str
    category: str
    region_code: str
    registered_on: date


class MemberListOut(BaseModel):
    members: list[MemberSummaryOut]


class UnmaskIn(_In):
    reason: str = Field(min_length=5, max_length=500, description="Why the full NIK is needed (audited)")


class NikOut(BaseModel):
    participant_number: str
    nik: str


class TermsIn(_In):
    from_month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, the first month of the new terms")
    income: int | None = Field(default=None, gt=0, le=10**12)
    programs: list[Program] | None = Field(default=None, min_length=2, max_length=4)


class PayerAssignmentIn(_In):
    sponsor_id: int = Field(gt=0)
    participant_numbers: list[str] = Field(min_length=1, max_length=100_000)
    from_month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM, the first month paid")
    months: int = Field(ge=1, le=service.MAX_PAYER_MONTHS)


class AssignmentOut(BaseModel):
    sponsor_id: int
    sponsor_code: str
    from_month: str
    to_month: str = Field(description="First month after the assignment")
    months: int
    members: int
    assigned: int = Field(description="Member ranges newly recorded")
    unchanged: int = Field(description="Members this sponsor already paid for all these months")

    @classmethod
    def of(cls, report: service.AssignmentReport) -> AssignmentOut:
        return cls.model_validate(report.to_json())
