"""What a claim looks like to the person reading it: amounts with their legal references, the
documents still missing, the payout clock, the workflow so far; and who may read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from jaring.claims import kinds
from jaring.claims.model import claim_documents, claim_payouts, claims
from jaring.claims.payout_clock import (
    COMPENSATED,
    PAYOUT_DAYS,
    WIB,
    aware,
    late_compensation,
    rule,
    utc_now,
    wib_day,
)
from jaring.claims.states import APPROVED, OPEN, REJECTED, status_label
from jaring.kit.auth import MEMBER, Principal, in_scope
from jaring.kit.errors import NotFound
from jaring.membership.numbers import participant_number as number_of
from jaring.rules.calculation import Calculation
from jaring.rules.labels import label


def mask_name(name: str) -> str:
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split())


@dataclass
class ClaimView:
    id: int
    participant_number: str
    region_code: str
    program: str
    kind: str
    kind_label: str
    event_date: str
    status: str
    status_label: str
    report_id: int | None
    details: dict[str, Any]
    claimant: dict[str, str] | None
    heirs: list[str]
    assessment: dict[str, Any]
    calculation: dict[str, Any] | None
    amount_total: int
    amount_now: int
    amount_rest: int
    documents: list[dict[str, Any]]
    documents_missing: list[str]
    clock: dict[str, Any]
    workflow: dict[str, Any]
    payouts: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: int | None = None
    rejection: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def calculation_json(calc: Calculation) -> dict[str, Any]:
    return {
        "kind": calc.kind,
        "rules_date": calc.rules_date.isoformat(),
        "lines": [{"code": x.code, "amount": x.amount, "reference": x.reference} for x in calc.lines],
        "extras": calc.extras,
        "warnings": list(calc.warnings),
        "notes": [list(note) for note in calc.notes],
    }


def calculation_view(stored: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    if stored is None:
        return None
    notes = [note[1] if language == "en" else note[0] for note in stored.get("notes", [])]
    return {
        "rules_date": stored["rules_date"],
        "lines": [{**line, "label": label(line["code"], language)} for line in stored["lines"]],
        "total": sum(line["amount"] for line in stored["lines"]),
        **{k: v for k, v in stored.get("extras", {}).items() if k != "reason"},
        "warnings": stored.get("warnings", []),
        "notes": notes,
    }


def clock_view(row: Any, today: date, paid: Sequence[Any]) -> dict[str, Any]:
    if row.due_on is None:
        return {"documents_complete_at": None, "due_on": None, "working_days": None}
    complete = aware(row.documents_complete_at).astimezone(WIB)
    days = int(rule(PAYOUT_DAYS[row.program], row.event_date)) if row.program in PAYOUT_DAYS else None
    first = next((p for p in paid if p.part == "now"), None)
    out: dict[str, Any] = {
        "documents_complete_at": complete.isoformat(),
        "working_days": days,
        "due_on": row.due_on.isoformat(),
        "compensated": row.program in COMPENSATED,
    }
    if first is not None:
        out.update(paid_on=first.paid_on.isoformat(), late_days=int(first.late_days))
    elif row.status in (APPROVED, *OPEN) and today > row.due_on:
        late = (today - row.due_on).days
        out.update(
            overdue_days=late,
            compensation_so_far=late_compensation(int(row.amount_now), late, row.event_date)
            if row.program in COMPENSATED
            else 0,
        )
    return out


def claim_view(
    conn: Connection, principal: Principal, row: Any, language: str, today: date | None = None
) -> ClaimView:
    kind = kinds.KINDS[row.kind]
    received = {
        r.code: r
        for r in conn.execute(select(claim_documents).where(claim_documents.c.claim_id == row.id)).all()
    }
    required = kinds.documents_for(kind, row.details)
    documents = [
        {
            "code": code,
            "label": kinds.DOCUMENTS[code][1 if language == "en" else 0],
            "received": code in received,
            "received_at": aware(received[code].received_at).isoformat() if code in received else None,
        }
        for code in required
    ]
    paid = conn.execute(
        select(claim_payouts).where(claim_payouts.c.claim_id == row.id).order_by(claim_payouts.c.id)
    ).all()
    claimant = None
    if row.claimant:
        name = row.claimant["name"]
        sees_name = principal.may("claim.verify") or principal.role == MEMBER
        claimant = {
            "relationship": row.claimant["relationship"],
            "name": name if sees_name else mask_name(name),
        }
    rejection = None
    if row.status == REJECTED:
        rejection = {
            "code": row.reject_code,
            "reason": row.reject_reason,
            "by": row.rejected_by,
            "at": aware(row.rejected_at).isoformat(),
        }
    return ClaimView(
        id=int(row.id),
        participant_number=number_of(int(row.member_id)),
        region_code=row.region_code,
        program=row.program,
        kind=row.kind,
        kind_label=kind.label[1 if language == "en" else 0],
        event_date=row.event_date.isoformat(),
        status=row.status,
        status_label=status_label(row.status, language),
        report_id=row.report_id,
        details=dict(row.details),
        claimant=claimant,
        heirs=list(row.heirs or []),
        assessment=dict(row.assessment),
        calculation=calculation_view(row.calculation, language),
        amount_total=int(row.amount_total),
        amount_now=int(row.amount_now),
        amount_rest=int(row.amount_total) - int(row.amount_now),
        documents=documents,
        documents_missing=[code for code in required if code not in received],
        clock=clock_view(row, today or wib_day(utc_now()), paid),
        workflow={
            "filed_at": aware(row.filed_at).isoformat(),
            "filed_by": row.filed_by,
            "verified_at": aware(row.verified_at).isoformat() if row.verified_at else None,
            "verified_by": row.verified_by,
            "approved_at": aware(row.approved_at).isoformat() if row.approved_at else None,
            "approved_by": row.approved_by,
        },
        payouts=[
            {
                "part": p.part,
                "benefit": int(p.benefit),
                "late_days": int(p.late_days),
                "compensation": int(p.compensation),
                "amount": int(p.amount),
                "paid_on": p.paid_on.isoformat(),
                "transfer_ref": p.transfer_ref,
                "recorded_by": p.recorded_by,
            }
            for p in paid
        ],
        duplicate_of=row.duplicate_of,
        rejection=rejection,
    )


# ------------------------------------------------------------------ what the store knows


def may_see(principal: Principal, member_id: int, region_code: str) -> bool:
    if principal.role == MEMBER:
        return principal.member_id is not None and principal.member_id == member_id
    return in_scope(principal, region_code)


def claim_in(conn: Connection, principal: Principal, claim_id: int, *, lock: bool = False) -> Any:
    query = select(claims).where(claims.c.id == claim_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or not may_see(principal, int(row.member_id), row.region_code):
        raise NotFound(f"claim {claim_id} not found")
    return row


@dataclass
class ClaimLine:
    id: int
    participant_number: str
    region_code: str
    kind: str
    event_date: str
    status: str
    amount_total: int
    due_on: str | None
    filed_at: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
