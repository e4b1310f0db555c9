"""The dashboard's sponsor panel: for the region in view, each sponsor paying for members there
this month, its budget for the fiscal year (allocated, billed, paid) and the coming ends of its
funding (cliffs) with how many members still have no decision.

Members and funding ends come from `funding_rollup` (a few rows a regency), money from the
invoices and the sponsors' payments of them (a row a sponsor and month): the panel reads
thousands of rows however many members there are. The full ledger and the decisions per member
are on each sponsor's page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from jaring.contributions.model import invoices, payments
from jaring.kit import db
from jaring.kit.auth import Principal, region_filter
from jaring.kit.periods import Month
from jaring.monitoring.model import funding_rollup
from jaring.reference.codes import code_prefix_range
from jaring.sponsors.budgets import allocation, budgets_of_in
from jaring.sponsors.cliffs import WINDOW_DAYS
from jaring.sponsors.model import sponsors, transition_plans


@dataclass
class SponsorFunding:
    code: str
    name: str
    region_code: str
    funded: int = 0  # members in the region in view it pays for this month
    allocated: int | None = None  # the whole sponsor's budget in force for the year
    billed: int = 0
    paid: int = 0
    paid_pct: float | None = None  # paid ÷ allocated × 100
    next_end: str | None = None  # YYYY-MM: the first month a coming cliff is unfunded
    ending: int = 0  # members (in the region in view) whose funding ends within the window
    undecided: int = 0  # of those, without a decision yet


@dataclass
class CliffAhead:
    month: str  # the first unfunded month
    members: int
    undecided: int


@dataclass
class FundingPanel:
    fiscal_year: int
    window_days: int
    sponsors: list[SponsorFunding] = field(default_factory=list)
    cliffs: list[CliffAhead] = field(default_factory=list)
    funded: int = 0
    allocated: int = 0
    billed: int = 0
    paid: int = 0
    ending: int = 0
    undecided: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def funding_panel_in(conn: Connection, principal: Principal, prefix: str, day: date) -> FundingPanel:
    """The sponsors the principal may see that pay for members in `prefix` ('' the nation) or
    belong to it, nearest cliff first."""
    year = day.year
    horizon = Month.of(day + timedelta(days=WINDOW_DAYS)).first_day
    panel = FundingPanel(fiscal_year=year, window_days=WINDOW_DAYS)
    f = funding_rollup
    rows = db.plain_rows(
        conn,
        select(f.c.sponsor_id, f.c.ends_on, func.sum(f.c.members))
        .where(code_prefix_range(f.c.region, prefix))
        .group_by(f.c.sponsor_id, f.c.ends_on),
    )
    funded: dict[int, int] = {}
    ends: dict[int, dict[date, int]] = {}
    for sponsor_id, ends_on, count in rows:
        funded[int(sponsor_id)] = funded.get(int(sponsor_id), 0) + int(count)
        if ends_on is not None and ends_on <= horizon:
            ends.setdefault(int(sponsor_id), {})[ends_on] = int(count)
    visible = select(sponsors.c.id, sponsors.c.code, sponsors.c.name, sponsors.c.region_code).where(
        region_filter(principal, sponsors.c.region_code),
        or_(sponsors.c.id.in_(list(funded)), code_prefix_range(sponsors.c.region_code, prefix)),
    )
    if principal.sponsor_id is not None:
        visible = visible.where(sponsors.c.id == principal.sponsor_id)
    found = {int(r.id): r for r in conn.execute(visible)}
    ids = sorted(found)
    budgets = budgets_of_in(conn, ids, year)
    billed, paid = _money_in(conn, ids, year)
    self_pay = _self_pay_decisions_in(conn, ids, day, horizon)
    by_month: dict[date, CliffAhead] = {}
    for sponsor_id, row in found.items():
        line = allocation(budgets.get(sponsor_id, []), year)
        entry = SponsorFunding(
            code=row.code,
            name=row.name,
            region_code=row.region_code,
            funded=funded.get(sponsor_id, 0),
            allocated=None if line is None else line.amount,
            billed=billed.get(sponsor_id, 0),
            paid=paid.get(sponsor_id, 0),
        )
        if entry.allocated:
            entry.paid_pct = round(100 * entry.paid / entry.allocated, 1)
        for ends_on, count in sorted(ends.get(sponsor_id, {}).items()):
            if ends_on <= Month.of(day).first_day:
                continue  # ended already: those members are the coverage figures' lapses now
            undecided = max(0, count - self_pay.get((sponsor_id, ends_on), 0))
            entry.next_end = entry.next_end or str(Month.of(ends_on))
            entry.ending += count
            entry.undecided += undecided
            cliff = by_month.setdefault(ends_on, CliffAhead(str(Month.of(ends_on)), 0, 0))
            cliff.members += count
            cliff.undecided += undecided
        panel.sponsors.append(entry)
    panel.sponsors.sort(key=lambda s: (s.next_end is None, s.next_end or "", -s.undecided, s.code))
    panel.cliffs = [by_month[k] for k in sorted(by_month)]
    for s in panel.sponsors:
        panel.funded += s.funded
        panel.allocated += s.allocated or 0
        panel.billed += s.billed
        panel.paid += s.paid
        panel.ending += s.ending
        panel.undecided += s.undecided
    return panel


def _money_in(conn: Connection, ids: list[int], year: int) -> tuple[dict[int, int], dict[int, int]]:
    """Invoiced in the fiscal year, and paid against those invoices, by sponsor."""
    if not ids:
        return {}, {}
    in_year = and_(
        invoices.c.sponsor_id.in_(ids),
        invoices.c.period >= date(year, 1, 1),
        invoices.c.period < date(year + 1, 1, 1),
    )
    billed = {
        int(s): int(t or 0)
        for s, t in db.plain_rows(
            conn,
            select(invoices.c.sponsor_id, func.sum(invoices.c.total))
            .where(in_year)
            .group_by(invoices.c.sponsor_id),
        )
    }
    paid = {
        int(s): int(t or 0)
        for s, t in db.plain_rows(
            conn,
            select(payments.c.sponsor_id, func.sum(payments.c.amount))
            .select_from(
                payments.join(
                    invoices,
                    and_(
                        invoices.c.number == payments.c.reference,
                        invoices.c.sponsor_id == payments.c.sponsor_id,
                    ),
                )
            )
            .where(in_year, payments.c.sponsor_id.in_(ids))
            .group_by(payments.c.sponsor_id),
        )
    }
    return billed, paid


def _self_pay_decisions_in(
    conn: Connection, ids: list[int], day: date, horizon: date
) -> dict[tuple[int, date], int]:
    """Members told they pay themselves from a coming end: decided, yet still losing their
    sponsor (a renewal or handover makes a following assignment, so it is no cliff at all)."""
    if not ids:
        return {}
    t = transition_plans
    return {
        (int(s), e): int(n)
        for s, e, n in db.plain_rows(
            conn,
            select(t.c.sponsor_id, t.c.ends_on, func.count())
            .where(
                t.c.sponsor_id.in_(ids), t.c.ends_on > day, t.c.ends_on <= horizon, t.c.action == "self_pay"
            )
            .group_by(t.c.sponsor_id, t.c.ends_on),
        )
    }
