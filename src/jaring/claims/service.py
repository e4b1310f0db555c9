"""Claims, from the stage-I accident report to the payout.

    submitted → documents_complete → verified → approved → (partly_paid →) paid
                └──────────── rejected, with a reason ────────────┘

- Filing checks the input (a member, an event that happened, not before the membership, an heir
  in statutory order) and refuses bad input with nothing stored. What the rules refuse (no
  coverage on the event date, more than 3 months in arrears, a closed claim window, a program
  the member does not hold) is recorded as a claim rejected by the rules, with the reason, so
  the member and an auditor can see it.
- One claim per event: a duplicate is recorded as rejected and names the first claim.
- The payout clock starts when the last document is in: JKK within 7 working days, JKM within
  3 (PP 44/2015), JHT within 5 (PP 46/2015); a payout after the deadline adds 1 % of the benefit
  for each day late.
- Maker-checker: whoever verified a claim cannot approve it.
- A benefit is paid once: payouts are unique per claim and part (`now`, and `rest` for what
  waited for the arrears) and append-only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from jaring.claims import amounts, heirs, kinds, scholarships
from jaring.claims.eligibility import decide
from jaring.claims.model import accident_reports, claim_documents, claim_payouts, claims
from jaring.claims.payout_clock import (
    COMPENSATED,
    aware,
    late_compensation,
    payout_due_on,
    utc_now,
    wib_day,
)
from jaring.claims.states import (
    APPROVED,
    COMPLETE,
    OPEN,
    PAID,
    PARTLY_PAID,
    REJECTED,
    RULES_ACTOR,
    STATUSES,
    SUBMITTED,
    VERIFIED,
)
from jaring.claims.views import ClaimLine, ClaimView, calculation_json, claim_in, claim_view
from jaring.contributions import coverage
from jaring.kit import audit, db
from jaring.kit.auth import MEMBER, Principal, region_filter, require
from jaring.kit.errors import BadInput, Conflict, Forbidden
from jaring.membership import service as membership
from jaring.membership.numbers import participant_number as number_of

MAX_LIST = 1000

# ------------------------------------------------------------------ filing


def file_claim(
    *,
    principal: Principal,
    participant_number: str,
    kind: str,
    event_date: date | None = None,
    report_id: int | None = None,
    details: dict[str, Any] | None = None,
    claimant: dict[str, Any] | None = None,
    heirs_known: list[Any] | None = None,
    documents: list[str] | None = None,
    filed_at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """File a claim. Bad input is refused with the field named and nothing stored; a claim the
    rules refuse is stored as rejected with the reason; a second claim for the same event is
    stored as rejected and names the first."""
    require(principal, "claim.file")
    chosen = kinds.kind_of(kind)
    read = kinds.read_details(chosen, details)
    now = aware(filed_at) if filed_at is not None else utc_now()
    today = wib_day(now)
    by_heirs = kinds.claimed_by_heirs(chosen, read)
    who = heirs.read_claimant(claimant) if by_heirs or claimant is not None else None
    family = heirs.read_heirs(heirs_known)
    funeral_only = heirs.check_order(who["relationship"], family) if by_heirs and who is not None else False
    if funeral_only and chosen.code == "jht":
        raise BadInput(
            "with no heir, a JHT balance goes to the Balai Harta Peninggalan (PP 46/2015 Art. 23), not to "
            "whoever handled the funeral",
            field="claimant.relationship",
        )
    if chosen.needs_report and report_id is None:
        raise BadInput(
            "a JKK claim is the stage II of an accident report: give its report_id", field="report_id"
        )
    with db.transaction(url) as conn:
        member = membership.visible_member_in(conn, principal, participant_number)
        parent = scholarships.parent_in(conn, member.id, read) if chosen.yearly else None
        day = (
            parent.event_date
            if parent is not None
            else _event_day(conn, chosen, member, event_date, report_id)
        )
        if day > today:
            raise BadInput(f"the event date {day} is in the future", field="event_date")
        if day < member.registered_on:
            raise BadInput(
                f"the event on {day} is before the membership began ({member.registered_on})",
                field="event_date",
            )
        if chosen.program == "jkp" and member.segment != "pu":
            raise BadInput(
                f"JKP is for wage earners (PU) only; this member is {member.segment.upper()} (PP 37/2021)",
                field="kind",
            )
        if chosen.program == "pmi" and member.segment != "pmi":
            raise BadInput("the PMI death benefit is for migrant-worker (PMI) members only", field="kind")
        required = kinds.documents_for(chosen, read)
        given = _documents(documents, required)
        if parent is not None:
            assessment, outcome, refusal = scholarships.decide(conn, parent, read)
        else:
            assessment, outcome, refusal = decide(conn, chosen, member, day, today, read, funeral_only)
        key = kinds.event_key(chosen, member.id, day.isoformat(), read, report_id)
        first = conn.execute(select(claims.c.id).where(claims.c.event_key == key)).scalar()
        values: dict[str, Any] = {
            "member_id": member.id,
            "region_code": member.region_code,
            "program": parent.program if parent is not None else chosen.program,
            "kind": chosen.code,
            "event_date": day,
            "report_id": report_id if chosen.needs_report else None,
            "details": read,
            "claimant": who,
            "heirs": family,
            "assessment": assessment,
            "calculation": None if outcome is None else calculation_json(outcome.calculation),
            "amount_total": 0 if outcome is None else outcome.total,
            "amount_now": 0 if outcome is None else _amount_now(chosen, outcome),
            "filed_at": now,
            "filed_by": principal.actor,
        }
        if first is not None:
            refusal = ("duplicate", f"this event is claimed already by claim {first}; one claim per event")
        if refusal is not None:
            values.update(
                status=REJECTED,
                event_key=None,
                duplicate_of=first,
                rejected_at=now,
                rejected_by=RULES_ACTOR,
                reject_code=refusal[0],
                reject_reason=refusal[1][:500],
                amount_total=0,
                amount_now=0,
            )
        else:
            values.update(status=SUBMITTED, event_key=key)
        claim_id = _insert(conn, values, key)
        if refusal is None and given:
            _receive(conn, principal, claim_id, given, now)
        row = conn.execute(select(claims).where(claims.c.id == claim_id)).one()
        audit.record(
            conn,
            actor=principal.actor,
            action="claim.file",
            entity="claim",
            entity_id=str(claim_id),
            region_code=member.region_code,
            after={
                "member": member.participant_number,
                "kind": chosen.code,
                "event_date": day.isoformat(),
                "status": row.status,
                "amount_total": int(row.amount_total),
                "reject_code": row.reject_code,
                "duplicate_of": row.duplicate_of,
            },
        )
        return claim_view(conn, principal, row, language, today)


def _amount_now(kind: kinds.Kind, outcome: amounts.Outcome) -> int:
    # A JHT balance has no arrears to wait for: it is paid whole, from its payable date.
    return outcome.total if kind.program == "jht" else outcome.now


def _insert(conn: Connection, values: dict[str, Any], key: str) -> int:
    try:
        with conn.begin_nested():
            return int(conn.execute(claims.insert().values(**values).returning(claims.c.id)).scalar_one())
    except IntegrityError:
        # Another filing for the same event committed first: this one is its duplicate.
        first = conn.execute(select(claims.c.id).where(claims.c.event_key == key)).scalar()
        if first is None:
            raise
        values.update(
            status=REJECTED,
            event_key=None,
            duplicate_of=first,
            rejected_at=values["filed_at"],
            rejected_by=RULES_ACTOR,
            reject_code="duplicate",
            reject_reason=f"this event is claimed already by claim {first}; one claim per event",
            amount_total=0,
            amount_now=0,
        )
        return int(conn.execute(claims.insert().values(**values).returning(claims.c.id)).scalar_one())


def _event_day(
    conn: Connection, kind: kinds.Kind, member: Any, event_date: date | None, report_id: int | None
) -> date:
    if not kind.needs_report:
        if event_date is None:
            raise BadInput("the event date is needed (death, dismissal, retirement ...)", field="event_date")
        return event_date
    report = conn.execute(select(accident_reports).where(accident_reports.c.id == report_id)).first()
    if report is None or int(report.member_id) != member.id:
        raise BadInput(f"accident report {report_id} is not a report of this member", field="report_id")
    day = wib_day(report.accident_at)
    if event_date is not None and event_date != day:
        raise BadInput(
            f"the accident report says the accident was on {day}, not {event_date}", field="event_date"
        )
    return day


def _documents(codes: list[str] | None, required: tuple[str, ...]) -> list[str]:
    chosen = []
    for i, code in enumerate(codes or []):
        text = str(code).strip().lower()
        if text not in required:
            raise BadInput(
                f"{code!r} is not a document of this claim; it needs {', '.join(required)}",
                field=f"documents[{i}]",
            )
        if text not in chosen:
            chosen.append(text)
    return chosen


def _receive(
    conn: Connection, principal: Principal, claim_id: int, codes: list[str], now: datetime
) -> list[str]:
    have = {
        r[0]
        for r in conn.execute(select(claim_documents.c.code).where(claim_documents.c.claim_id == claim_id))
    }
    new = [code for code in codes if code not in have]
    if new:
        conn.execute(
            claim_documents.insert(),
            [
                {"claim_id": claim_id, "code": c, "received_at": now, "received_by": principal.actor}
                for c in new
            ],
        )
    row = conn.execute(select(claims).where(claims.c.id == claim_id)).one()
    required = kinds.documents_for(kinds.KINDS[row.kind], row.details)
    if row.status == SUBMITTED and have.union(new).issuperset(required):
        conn.execute(
            update(claims)
            .where(claims.c.id == claim_id)
            .values(
                status=COMPLETE,
                documents_complete_at=now,
                due_on=payout_due_on(row.program, row.event_date, now),
            )
        )
    return new


def _transition(
    conn: Connection,
    principal: Principal,
    row: Any,
    *,
    action: str,
    values: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    now: datetime,
    language: str,
) -> ClaimView:
    """Change the claim, audit the change in the same transaction, and show the result."""
    if values:
        conn.execute(update(claims).where(claims.c.id == row.id).values(**values))
    changed = conn.execute(select(claims).where(claims.c.id == row.id)).one()
    audit.record(
        conn,
        actor=principal.actor,
        action=action,
        entity="claim",
        entity_id=str(row.id),
        region_code=row.region_code,
        before=before,
        after={"status": changed.status, **after},
    )
    return claim_view(conn, principal, changed, language, wib_day(now))


# ------------------------------------------------------------------ the workflow


def receive_documents(
    *,
    principal: Principal,
    claim_id: int,
    codes: list[str],
    received_at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """Record documents handed in; the last one completes the claim and starts its payout clock."""
    require(principal, "claim.file")
    now = aware(received_at) if received_at is not None else utc_now()
    if not codes:
        raise BadInput("name at least one document", field="codes")
    with db.transaction(url) as conn:
        row = claim_in(conn, principal, claim_id, lock=True)
        if row.status != SUBMITTED:
            raise Conflict(f"claim {claim_id} is {row.status}; documents are recorded while it is submitted")
        required = kinds.documents_for(kinds.KINDS[row.kind], row.details)
        new = _receive(conn, principal, claim_id, _documents(codes, required), now)
        return _transition(
            conn, principal, row, action="claim.documents", values={}, before={"status": row.status},
            after={"received": new}, now=now, language=language,
        )  # fmt: skip


def verify(
    *,
    principal: Principal,
    claim_id: int,
    at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """Check a complete claim again against the rules and the store as they are now (payments
    since filing count for the contribution period, never for coverage on the event date) and
    fix its amounts."""
    require(principal, "claim.verify")
    now = aware(at) if at is not None else utc_now()
    with db.transaction(url) as conn:
        row = claim_in(conn, principal, claim_id, lock=True)
        _need_complete(conn, row)
        member = membership.member_by_id_in(conn, int(row.member_id))
        kind = kinds.KINDS[row.kind]
        if kind.yearly:
            parent = scholarships.parent_in(conn, int(row.member_id), dict(row.details))
            assessment, outcome, refusal = scholarships.decide(
                conn, parent, dict(row.details), exclude_id=row.id
            )
        else:
            assessment, outcome, refusal = decide(
                conn, kind, member, row.event_date, wib_day(now), dict(row.details),
                bool(row.assessment.get("funeral_only")), row.id,
            )  # fmt: skip
        if refusal is not None or outcome is None:
            reason = refusal[1] if refusal else "no calculation"
            raise Conflict(f"claim {claim_id} cannot be paid: {reason}; reject it with that reason")
        values = {
            "status": VERIFIED,
            "verified_at": now,
            "verified_by": principal.actor,
            "assessment": assessment,
            "calculation": calculation_json(outcome.calculation),
            "amount_total": outcome.total,
            "amount_now": _amount_now(kind, outcome),
        }
        return _transition(
            conn, principal, row, action="claim.verify", values=values,
            before={"status": row.status, "amount_total": int(row.amount_total)},
            after={"amount_total": outcome.total, "amount_now": values["amount_now"]}, now=now,
            language=language,
        )  # fmt: skip


def _need_complete(conn: Connection, row: Any) -> None:
    if row.status == SUBMITTED:
        have = {
            r[0]
            for r in conn.execute(select(claim_documents.c.code).where(claim_documents.c.claim_id == row.id))
        }
        missing = [c for c in kinds.documents_for(kinds.KINDS[row.kind], row.details) if c not in have]
        raise Conflict(f"claim {row.id} still needs documents: {', '.join(missing)}")
    if row.status != COMPLETE:
        raise Conflict(
            f"claim {row.id} is {row.status}; only a claim with complete documents can be verified"
        )


def approve(
    *,
    principal: Principal,
    claim_id: int,
    at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """Approve a verified claim: never by the one who verified it (maker-checker)."""
    require(principal, "claim.approve")
    now = aware(at) if at is not None else utc_now()
    with db.transaction(url) as conn:
        row = claim_in(conn, principal, claim_id, lock=True)
        if row.status != VERIFIED:
            raise Conflict(f"claim {claim_id} is {row.status}; only a verified claim can be approved")
        if row.verified_by == principal.actor:
            raise Forbidden(f"you verified claim {claim_id}; another person must approve it (maker-checker)")
        return _transition(
            conn, principal, row, action="claim.approve",
            values={"status": APPROVED, "approved_at": now, "approved_by": principal.actor},
            before={"status": row.status}, after={"amount_total": int(row.amount_total)}, now=now,
            language=language,
        )  # fmt: skip


def reject(
    *,
    principal: Principal,
    claim_id: int,
    reason: str,
    at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """Reject an open claim with the reason the claimant will read."""
    require(principal, "claim.verify")
    text = " ".join(str(reason or "").split())
    if not 5 <= len(text) <= 500:
        raise BadInput("a rejection needs a reason of 5 to 500 characters", field="reason")
    now = aware(at) if at is not None else utc_now()
    with db.transaction(url) as conn:
        row = claim_in(conn, principal, claim_id, lock=True)
        if row.status not in OPEN:
            raise Conflict(f"claim {claim_id} is {row.status}; only an open claim can be rejected")
        return _transition(
            conn, principal, row, action="claim.reject",
            values={"status": REJECTED, "rejected_at": now, "rejected_by": principal.actor,
                    "reject_code": "officer", "reject_reason": text},
            before={"status": row.status}, after={"reason": text}, now=now, language=language,
        )  # fmt: skip


def pay(
    *,
    principal: Principal,
    claim_id: int,
    transfer_ref: str,
    paid_on: date | None = None,
    at: datetime | None = None,
    url: str | None = None,
    language: str = "id",
) -> ClaimView:
    """Post the next payable part of an approved claim: what is payable at once, then (once the
    member's arrears on the event date are paid) the rest. Late parts add the compensation."""
    require(principal, "claim.pay")
    ref = str(transfer_ref or "").strip()
    if not 1 <= len(ref) <= 60 or any(ord(c) < 32 for c in ref):
        raise BadInput("the transfer reference is 1 to 60 printable characters", field="transfer_ref")
    now = aware(at) if at is not None else utc_now()
    today = wib_day(now)
    day = paid_on or today
    if day > today:
        raise BadInput(f"a payout cannot be dated in the future ({day})", field="paid_on")
    with db.transaction(url) as conn:
        row = claim_in(conn, principal, claim_id, lock=True)
        if row.status not in (APPROVED, PARTLY_PAID):
            raise Conflict(f"claim {claim_id} is {row.status}; only an approved claim is paid")
        if day < wib_day(row.approved_at):
            raise BadInput(
                f"the payout cannot be before the approval ({wib_day(row.approved_at)})", field="paid_on"
            )
        done = {
            r[0]
            for r in conn.execute(select(claim_payouts.c.part).where(claim_payouts.c.claim_id == claim_id))
        }
        part, benefit = _next_part(conn, row, done, day)
        late = (day - row.due_on).days if part == "now" and row.due_on is not None and day > row.due_on else 0
        compensation = late_compensation(benefit, late, row.event_date) if row.program in COMPENSATED else 0
        try:
            with conn.begin_nested():
                conn.execute(
                    claim_payouts.insert().values(
                        claim_id=claim_id, part=part, program=row.program, region_code=row.region_code,
                        benefit=benefit, late_days=late, compensation=compensation,
                        amount=benefit + compensation, paid_on=day, transfer_ref=ref, recorded_at=now,
                        recorded_by=principal.actor,
                    )
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(f"claim {claim_id}: this part is paid already") from None
        remaining = int(row.amount_total) - int(row.amount_now)
        finished = part == "rest" or remaining <= 0
        status = PAID if finished else PARTLY_PAID
        return _transition(
            conn, principal, row, action="claim.pay", values={"status": status},
            before={"status": row.status},
            after={"part": part, "benefit": benefit, "late_days": late, "compensation": compensation,
                   "paid_on": day.isoformat()},
            now=now, language=language,
        )  # fmt: skip


def _next_part(conn: Connection, row: Any, done: set[str], day: date) -> tuple[str, int]:
    total, now = int(row.amount_total), int(row.amount_now)
    if row.program == "jht":
        payable_from = row.assessment.get("payable_from")
        if payable_from and day < date.fromisoformat(payable_from):
            raise Conflict(f"this JHT balance is payable from {payable_from}, after the waiting period")
    if "now" not in done and now > 0:
        return "now", now
    if "rest" not in done and total - now > 0:
        member = membership.member_by_id_in(conn, int(row.member_id))
        status = coverage.check_in(conn, member, row.event_date)
        if status.status != coverage.ACTIVE:
            raise Conflict(
                f"the rest (Rp{total - now:,}) is paid once the arrears are paid: {status.months_in_arrears} "
                f"months before {row.event_date} are still unpaid (PP 44/2015 Art. 39(1), 42(1))".replace(
                    ",", "."
                )
            )
        return "rest", total - now
    raise Conflict(f"claim {row.id} is paid in full")


# ------------------------------------------------------------------ reading


def get_claim(
    *,
    principal: Principal,
    claim_id: int,
    url: str | None = None,
    language: str = "id",
    today: date | None = None,
) -> ClaimView:
    require(principal, "claim.read")
    with db.reading(url) as conn:
        return claim_view(conn, principal, claim_in(conn, principal, claim_id), language, today)


def list_claims(
    *,
    principal: Principal,
    status: str | None = None,
    participant_number: str | None = None,
    limit: int = 200,
    url: str | None = None,
) -> list[ClaimLine]:
    """Claims the principal may see, newest first: an officer's queue by status, or a member's own."""
    require(principal, "claim.read")
    if status is not None and status not in STATUSES:
        raise BadInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    if not 1 <= limit <= MAX_LIST:
        raise BadInput(f"limit is 1 to {MAX_LIST}", field="limit")
    query = select(claims).order_by(claims.c.id.desc()).limit(limit)
    if principal.role == MEMBER:
        query = query.where(claims.c.member_id == (principal.member_id or -1))
    else:
        query = query.where(region_filter(principal, claims.c.region_code))
    if status is not None:
        query = query.where(claims.c.status == status)
    with db.reading(url) as conn:
        if participant_number is not None:
            member = membership.visible_member_in(conn, principal, participant_number)
            query = query.where(claims.c.member_id == member.id)
        return [
            ClaimLine(
                id=int(r.id),
                participant_number=number_of(int(r.member_id)),
                region_code=r.region_code,
                kind=r.kind,
                event_date=r.event_date.isoformat(),
                status=r.status,
                amount_total=int(r.amount_total),
                due_on=r.due_on.isoformat() if r.due_on else None,
                filed_at=aware(r.filed_at).isoformat(),
            )
            for r in conn.execute(query)
        ]
