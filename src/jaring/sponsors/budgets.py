"""Sponsors' fiscal-year budgets (APBD, revised mid-year as APBD-P, or another source).

Indonesia's fiscal year is the calendar year (UU 17/2003 art. 4). A budget pays for the
months [from_month, to_month) of its year; the year's allocation is its latest stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from jaring.kit import audit, db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput, Conflict
from jaring.kit.periods import Month
from jaring.sponsors.model import BUDGET_STAGES, sponsor_budgets
from jaring.sponsors.service import visible_sponsor_in

# Later stages replace earlier ones for the same year.
STAGE_ORDER = {"apbd": 0, "other": 0, "apbd_p": 1}


@dataclass(frozen=True)
class Budget:
    id: int
    sponsor_id: int
    fiscal_year: int
    stage: str
    amount: int
    from_month: Month
    to_month: Month  # exclusive
    document: str

    @property
    def months(self) -> int:
        return (self.to_month.year - self.from_month.year) * 12 + self.to_month.month - self.from_month.month

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sponsor_id": self.sponsor_id,
            "fiscal_year": self.fiscal_year,
            "stage": self.stage,
            "amount": self.amount,
            "from_month": str(self.from_month),
            "to_month": str(self.to_month.plus(-1)),  # shown inclusive: the last funded month
            "months": self.months,
            "document": self.document,
        }


def _budget(row: Any) -> Budget:
    return Budget(
        int(row.id),
        int(row.sponsor_id),
        int(row.fiscal_year),
        row.stage,
        int(row.amount),
        Month.of(row.from_month),
        Month.of(row.to_month),
        row.document,
    )


def add_budget(
    *,
    principal: Principal,
    sponsor: str | int,
    fiscal_year: int,
    amount: int,
    stage: str = "apbd",
    first_month: Month | None = None,
    last_month: Month | None = None,
    document: str = "",
    url: str | None = None,
) -> Budget:
    """Record a budget line; the months default to the whole fiscal year (both inclusive)."""
    require(principal, "sponsor.manage")
    if stage not in BUDGET_STAGES:
        raise BadInput(f"stage must be one of {', '.join(BUDGET_STAGES)}, got {stage!r}", field="stage")
    if isinstance(fiscal_year, bool) or not 2000 <= fiscal_year <= 2100:
        raise BadInput(f"fiscal year {fiscal_year} is not a year between 2000 and 2100", field="fiscal_year")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadInput(f"a budget is a positive whole number of Rupiah, got {amount!r}", field="amount")
    first = first_month or Month(fiscal_year, 1)
    last = last_month or Month(fiscal_year, 12)
    for name, month in (("first_month", first), ("last_month", last)):
        if month.year != fiscal_year:
            raise BadInput(f"{name} {month} is outside fiscal year {fiscal_year}", field=name)
    if last < first:
        raise BadInput(f"last_month {last} is before first_month {first}", field="last_month")
    document = document.strip()
    if len(document) > 200:
        raise BadInput("the document reference is at most 200 characters", field="document")
    with db.transaction(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        taken = conn.execute(
            select(sponsor_budgets.c.id).where(
                sponsor_budgets.c.sponsor_id == found.id,
                sponsor_budgets.c.fiscal_year == fiscal_year,
                sponsor_budgets.c.stage == stage,
            )
        ).first()
        if taken is not None:
            raise Conflict(
                f"{found.code} already has a {stage} budget for {fiscal_year}; "
                "a mid-year revision is stage apbd_p"
            )
        values = {
            "sponsor_id": found.id,
            "fiscal_year": fiscal_year,
            "stage": stage,
            "amount": amount,
            "from_month": first.first_day,
            "to_month": last.plus(1).first_day,
            "document": document,
            "created_at": datetime.now(UTC),
            "created_by": principal.actor,
        }
        budget_id = int(
            conn.execute(sponsor_budgets.insert().values(values).returning(sponsor_budgets.c.id)).scalar_one()
        )
        audit.record(
            conn,
            actor=principal.actor,
            action="sponsor.budget",
            entity="sponsor",
            entity_id=str(found.id),
            region_code=found.region_code,
            after={
                "fiscal_year": fiscal_year,
                "stage": stage,
                "amount": amount,
                "months": [str(first), str(last)],
                "document": document,
            },
        )
    return Budget(budget_id, found.id, fiscal_year, stage, amount, first, last.plus(1), document)


def budgets_in(conn: Connection, sponsor_id: int) -> list[Budget]:
    rows = conn.execute(
        select(sponsor_budgets)
        .where(sponsor_budgets.c.sponsor_id == sponsor_id)
        .order_by(sponsor_budgets.c.fiscal_year, sponsor_budgets.c.id)
    )
    return [_budget(r) for r in rows]


def budgets_of_in(conn: Connection, sponsor_ids: list[int], fiscal_year: int) -> dict[int, list[Budget]]:
    """The budget lines of a year for many sponsors at once, by sponsor."""
    out: dict[int, list[Budget]] = {}
    if not sponsor_ids:
        return out
    rows = conn.execute(
        select(sponsor_budgets)
        .where(sponsor_budgets.c.sponsor_id.in_(sponsor_ids), sponsor_budgets.c.fiscal_year == fiscal_year)
        .order_by(sponsor_budgets.c.id)
    )
    for row in rows:
        out.setdefault(int(row.sponsor_id), []).append(_budget(row))
    return out


def allocation(budgets: list[Budget], fiscal_year: int) -> Budget | None:
    """The budget in force for a year: its latest stage (APBD-P replaces the APBD)."""
    year = [b for b in budgets if b.fiscal_year == fiscal_year]
    return max(year, key=lambda b: (STAGE_ORDER[b.stage], b.id)) if year else None


def list_budgets(*, principal: Principal, sponsor: str | int, url: str | None = None) -> list[Budget]:
    require(principal, "sponsor.read")
    with db.reading(url) as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        return budgets_in(conn, found.id)
