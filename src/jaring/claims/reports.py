"""Stage-I reports of work accidents and occupational diseases (PP 44/2015 Art. 43-44), and
notifications of a suspected one by someone else (PP 49/2023 Art. 43A-44A)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from jaring.claims.model import accident_reports
from jaring.claims.payout_clock import (
    WIB,
    aware,
    rule,
    utc_now,
    wib_day,
)
from jaring.claims.views import may_see
from jaring.kit import audit, db
from jaring.kit.auth import MEMBER, Principal, require
from jaring.kit.errors import BadInput, NotFound
from jaring.membership import service as membership
from jaring.membership.numbers import participant_number as number_of

REPORTERS = ("member", "family", "employer", "other")
REPORT_KINDS = ("accident", "disease")


@dataclass
class AccidentReport:
    id: int
    participant_number: str
    region_code: str
    kind: str
    accident_at: str
    reported_at: str
    reporter: str
    deadline: str
    late: bool
    suspected: bool  # a notification by someone other than the member, family or employer

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _report_view(row: Any, participant: str) -> AccidentReport:
    accident_at = aware(row.accident_at)
    hours = int(rule("claims.jkk_report_hours", wib_day(accident_at)))
    return AccidentReport(
        id=int(row.id),
        participant_number=participant,
        region_code=row.region_code,
        kind=row.kind,
        accident_at=accident_at.astimezone(WIB).isoformat(),
        reported_at=aware(row.reported_at).astimezone(WIB).isoformat(),
        reporter=row.reporter,
        deadline=(accident_at + timedelta(hours=hours)).astimezone(WIB).isoformat(),
        late=bool(row.late),
        suspected=row.reporter == "other",
    )


def report_accident(
    *,
    principal: Principal,
    participant_number: str,
    accident_at: datetime,
    reporter: str,
    kind: str = "accident",
    reported_at: datetime | None = None,
    url: str | None = None,
) -> AccidentReport:
    """The stage-I report of a work accident or occupational disease (within 2 × 24 hours, by
    the employer for a wage earner, by the member or family for BPU), or the notification of a
    suspected one by someone else. A late report is recorded as late, not refused."""
    require(principal, "claim.report")
    if reporter not in REPORTERS:
        raise BadInput(f"reporter must be one of {', '.join(REPORTERS)}", field="reporter")
    if kind not in REPORT_KINDS:
        raise BadInput(f"kind must be one of {', '.join(REPORT_KINDS)}", field="kind")
    if principal.role == MEMBER and reporter not in ("member", "family"):
        raise BadInput("a member reports as the member or for the family", field="reporter")
    accident_at = aware(accident_at)
    now = aware(reported_at) if reported_at is not None else utc_now()
    if accident_at > now:
        raise BadInput("the accident cannot be after the moment it is reported", field="accident_at")
    day = wib_day(accident_at)
    with db.transaction(url) as conn:
        member = membership.visible_member_in(conn, principal, participant_number)
        if day < member.registered_on:
            raise BadInput(
                f"the accident on {day} is before the membership began ({member.registered_on})",
                field="accident_at",
            )
        hours = int(rule("claims.jkk_report_hours", day))
        late = now > accident_at + timedelta(hours=hours)
        report_id: int = conn.execute(
            accident_reports.insert()
            .values(
                member_id=member.id,
                region_code=member.region_code,
                accident_at=accident_at,
                reported_at=now,
                reporter=reporter,
                kind=kind,
                late=int(late),
                created_by=principal.actor,
            )
            .returning(accident_reports.c.id)
        ).scalar_one()
        audit.record(
            conn,
            actor=principal.actor,
            action="claim.accident_report",
            entity="accident_report",
            entity_id=str(report_id),
            region_code=member.region_code,
            after={"member": member.participant_number, "kind": kind, "reporter": reporter, "late": late},
        )
        row = conn.execute(select(accident_reports).where(accident_reports.c.id == report_id)).one()
        return _report_view(row, member.participant_number)


def get_report(*, principal: Principal, report_id: int, url: str | None = None) -> AccidentReport:
    require(principal, "claim.read")
    with db.reading(url) as conn:
        row = conn.execute(select(accident_reports).where(accident_reports.c.id == report_id)).first()
        if row is None or not may_see(principal, int(row.member_id), row.region_code):
            raise NotFound(f"accident report {report_id} not found")
        return _report_view(row, number_of(int(row.member_id)))
