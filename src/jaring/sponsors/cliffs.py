"""Funding cliffs: ahead of every end of a sponsor's funding (a funding period, a fiscal
year), how many members lose their payer and when they would lapse, and the officer's
decision for each: renew, hand over to another sponsor, or self-pay.

East Java lost about 110,000 sponsored members in one quarter when budget periods ended
unnoticed. Here every end is listed, every member without a decision is counted, and a
decision is an audited act by a named officer; renewals and handovers take effect as
payer-of-record assignments at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from jaring.contributions.coverage import lapse_day
from jaring.kit import audit, db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.numbers import participant_number, serial_of, valid_participant_number
from jaring.sponsors.model import TRANSITIONS, transition_plans
from jaring.sponsors.service import visible_sponsor_in

MAX_WINDOW_DAYS = 731
WINDOW_DAYS = 120  # the default notice: one budget revision ahead


@dataclass
class CliffMonth:
    ends_on: str  # the first month the sponsor no longer pays
    members: int
    decided: dict[str, int]
    undecided: int
    lapse_from: str  # an undecided member who pays nothing is lapsed from this day


@dataclass
class CliffReport:
    sponsor: str
    as_of: str
    within_days: int
    months: list[CliffMonth] = field(default_factory=list)
    undecided: int = 0
    members: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def cliffs(
    *,
    principal: Principal,
    sponsor: str | int,
    on: date | None = None,
    within_days: int = WINDOW_DAYS,
    url: str | None = None,
) -> CliffReport:
    """Every end of the sponsor's funding within `within_days` of `on`, with its decisions."""
    require(principal, "sponsor.read")
    if not 0 <= within_days <= MAX_WINDOW_DAYS:
        raise BadInput(f"the window is 0 to {MAX_WINDOW_DAYS} days", field="within_days")
    on = on or date.today()
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        ends = membership.sponsor_funding_ends_in(conn, found.id, on, on + timedelta(days=within_days))
        decided = {
            (int(r.member_id), r.ends_on): r.action
            for r in conn.execute(
                select(
                    transition_plans.c.member_id, transition_plans.c.ends_on, transition_plans.c.action
                ).where(transition_plans.c.sponsor_id == found.id, transition_plans.c.ends_on > on)
            )
        }
    report = CliffReport(sponsor=found.code, as_of=on.isoformat(), within_days=within_days)
    by_month: dict[date, list[tuple[int, str]]] = {}
    for member_id, region_code, ends_on in ends:
        by_month.setdefault(ends_on, []).append((member_id, region_code))
    for ends_on, rows in sorted(by_month.items()):
        actions = Counter(decided[(m, ends_on)] for m, _ in rows if (m, ends_on) in decided)
        undecided = len(rows) - sum(actions.values())
        report.months.append(
            CliffMonth(
                ends_on=str(Month.of(ends_on)),
                members=len(rows),
                decided=dict(sorted(actions.items())),
                undecided=undecided,
                lapse_from=lapse_day(Month.of(ends_on).plus(-1)).isoformat(),
            )
        )
        report.undecided += undecided
        report.members.extend(
            {
                "participant_number": participant_number(m),
                "region_code": region,
                "ends_on": str(Month.of(ends_on)),
                "decision": decided.get((m, ends_on)),
            }
            for m, region in rows
        )
    return report


@dataclass
class Decision:
    sponsor: str
    ends_on: str
    action: str
    decided: int
    already_decided: int
    to_sponsor: str | None = None
    months: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def decide(
    *,
    principal: Principal,
    sponsor: str | int,
    ends_on: Month,
    action: str,
    participant_numbers: list[str] | None = None,
    to_sponsor: str | int | None = None,
    months: int | None = None,
    url: str | None = None,
) -> Decision:
    """Decide the transition of the members whose funding by `sponsor` ends at `ends_on` (all
    who have no decision yet, or those named). Renew and handover make the (other) sponsor
    payer of record from `ends_on` for `months`, all or nothing; self-pay records that the
    members were told they pay from then on."""
    require(principal, "payer.assign")
    if action not in TRANSITIONS:
        raise BadInput(f"action must be one of {', '.join(TRANSITIONS)}", field="action")
    if action == "self_pay" and (months is not None or to_sponsor is not None):
        raise BadInput("self-pay takes neither months nor another sponsor", field="action")
    if action != "self_pay" and (months is None or not 1 <= months <= membership.MAX_PAYER_MONTHS):
        raise BadInput(f"{action} needs months, 1 to {membership.MAX_PAYER_MONTHS}", field="months")
    if (action == "handover") != (to_sponsor is not None):
        raise BadInput("a handover, and only a handover, names the sponsor taking over", field="to_sponsor")
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        taking = visible_sponsor_in(conn, principal, to_sponsor) if to_sponsor is not None else found
        if taking.id == found.id and action == "handover":
            raise BadInput("a handover goes to another sponsor; use renew", field="to_sponsor")
        day = ends_on.first_day
        ends = {
            m: region
            for m, region, end in membership.sponsor_funding_ends_in(
                conn, found.id, day - timedelta(days=1), day
            )
            if end == day
        }
        # By sponsor and month, not by an IN over the members: a cliff may hold thousands.
        already = {
            int(r[0])
            for r in conn.execute(
                select(transition_plans.c.member_id).where(
                    transition_plans.c.sponsor_id == found.id, transition_plans.c.ends_on == day
                )
            )
        } & set(ends)
    if participant_numbers is not None:
        wanted = {_serial(n) for n in participant_numbers}
        unknown = wanted - set(ends)
        if unknown:
            shown = ", ".join(participant_number(m) for m in sorted(unknown)[:5])
            raise BadInput(
                f"no funding by {found.code} ends in {ends_on} for: {shown}", field="participant_numbers"
            )
    else:
        wanted = set(ends)
    chosen = sorted(wanted - already)
    if not chosen:
        return Decision(found.code, str(ends_on), action, 0, len(wanted & already))
    if action != "self_pay":
        assert months is not None
        membership.assign_payer(
            principal=principal,
            sponsor_id=taking.id,
            from_month=ends_on,
            months=months,
            member_ids=chosen,
            url=url,
        )
    now = datetime.now(UTC)
    with db.transaction(url) as conn:
        conn.execute(
            transition_plans.insert(),
            [
                {
                    "sponsor_id": found.id,
                    "member_id": m,
                    "ends_on": day,
                    "action": action,
                    "to_sponsor_id": taking.id if action == "handover" else None,
                    "months": months,
                    "region_code": ends[m],
                    "decided_at": now,
                    "decided_by": principal.actor,
                }
                for m in chosen
            ],
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="sponsor.transition",
            entity="sponsor",
            entity_id=str(found.id),
            region_code=found.region_code,
            after={
                "ends_on": str(ends_on),
                "action": action,
                "members": len(chosen),
                "to_sponsor": taking.code if action == "handover" else None,
                "months": months,
            },
        )
    return Decision(
        found.code,
        str(ends_on),
        action,
        len(chosen),
        len(wanted & already),
        taking.code if action == "handover" else None,
        months,
    )


def _serial(number: str) -> int:
    text = number.strip()
    if not valid_participant_number(text):
        raise BadInput(f"{text!r} is not a participant number", field="participant_numbers")
    return serial_of(text)
