"""A sponsor's budget ledger for one fiscal year: allocated → committed → billed → paid, month
by month, with a burn-rate projection to the year's end.

- allocated: the year's budget in force (APBD, or its APBD-P revision);
- committed: the members the sponsor is payer of record for, each month, priced by the
  regulation engine (people × months × premium);
- billed: the sponsor's charges; paid: what payments allocated to them.

Many sponsors' ledgers are worked out together (`budget_ledgers`): the same grouped queries
answer for one sponsor or five hundred.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection

from jaring.contributions.ledger import sponsor_months_in
from jaring.contributions.tariffs import TariffKey, compute_tariffs
from jaring.kit import db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership.service import sponsored_terms_in
from jaring.sponsors.budgets import Budget, allocation, budgets_of_in
from jaring.sponsors.service import Sponsor, list_sponsors, visible_sponsor_in


@dataclass
class LedgerMonth:
    month: str
    members: int
    committed: int
    billed: int
    paid: int


@dataclass
class BudgetLedger:
    sponsor: str
    fiscal_year: int
    allocated: int | None
    budget_stage: str | None
    committed: int
    billed: int
    paid: int
    months: list[LedgerMonth] = field(default_factory=list)
    burn_per_month: int = 0  # paid per elapsed month
    projected_paid: int = 0  # paid so far + burn x months left
    unpriced_members: int = 0  # member-months whose terms the engine could not price
    warnings: list[str] = field(default_factory=list)
    budget_document: str = ""  # the allocation's document reference (DPA, Perkada…), "" when none

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def budget_ledger(
    *,
    principal: Principal,
    sponsor: str | int,
    fiscal_year: int,
    today: date | None = None,
    url: str | None = None,
) -> BudgetLedger:
    require(principal, "sponsor.read")
    _check_year(fiscal_year)
    with db.store(url).connect() as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        return ledgers_in(conn, [found], fiscal_year, today)[found.id]


def budget_ledgers(
    *, principal: Principal, fiscal_year: int, today: date | None = None, url: str | None = None
) -> list[tuple[Sponsor, BudgetLedger]]:
    """The year's ledger of every sponsor the principal may see, in a fixed number of grouped
    queries (not a dozen a sponsor): for the sponsor list and the region reports."""
    require(principal, "sponsor.read")
    _check_year(fiscal_year)
    visible = list_sponsors(principal=principal, url=url)
    with db.store(url).connect() as conn:
        books = ledgers_in(conn, visible, fiscal_year, today)
    return [(s, books[s.id]) for s in visible]


def _check_year(fiscal_year: int) -> None:
    if not 2000 <= fiscal_year <= 2100:
        raise BadInput(f"fiscal year {fiscal_year} is not a year between 2000 and 2100", field="fiscal_year")


def ledgers_in(
    conn: Connection, found: list[Sponsor], fiscal_year: int, today: date | None = None
) -> dict[int, BudgetLedger]:
    """The ledgers of sponsors already checked as visible, by sponsor id."""
    today = today or date.today()
    first, end = Month(fiscal_year, 1), Month(fiscal_year + 1, 1)
    ids = [s.id for s in found]
    budgets = budgets_of_in(conn, ids, fiscal_year)
    money = sponsor_months_in(conn, ids, first.first_day, end.first_day)
    months = [Month(fiscal_year, m) for m in range(1, 13)]
    groups = {month: sponsored_terms_in(conn, ids, month) for month in months}
    funding = {s.id: s.funding for s in found}
    keys = {
        (sponsor_id, month, income, bits, sector): TariffKey(
            month.first_day, income, bits, sector, funding[sponsor_id]
        )
        for month, by_sponsor in groups.items()
        for sponsor_id, rows in by_sponsor.items()
        for income, bits, sector, _ in rows
    }
    prices = compute_tariffs(keys.values()).tariffs
    elapsed = (
        max(0, min(12, (today.year - fiscal_year) * 12 + today.month - 1)) if today.year >= fiscal_year else 0
    )
    out: dict[int, BudgetLedger] = {}
    for sponsor in found:
        budget = allocation(budgets.get(sponsor.id, []), fiscal_year)
        ledger = BudgetLedger(
            sponsor=sponsor.code,
            fiscal_year=fiscal_year,
            allocated=None if budget is None else budget.amount,
            budget_stage=None if budget is None else budget.stage,
            budget_document="" if budget is None else budget.document,
            committed=0,
            billed=0,
            paid=0,
        )
        for month in months:
            rows = groups[month].get(sponsor.id, [])
            committed = 0
            for income, bits, sector, count in rows:
                tariff = prices.get(keys[(sponsor.id, month, income, bits, sector)])
                if tariff is None:
                    ledger.unpriced_members += count
                else:
                    committed += tariff.amount * count
            billed, paid = money.get((sponsor.id, month.first_day), (0, 0))
            ledger.months.append(LedgerMonth(str(month), sum(r[3] for r in rows), committed, billed, paid))
            ledger.committed += committed
            ledger.billed += billed
            ledger.paid += paid
        if elapsed:
            ledger.burn_per_month = ledger.paid // elapsed
        ledger.projected_paid = ledger.paid + ledger.burn_per_month * (12 - elapsed)
        _warn(ledger, budget, fiscal_year)
        out[sponsor.id] = ledger
    return out


def _warn(ledger: BudgetLedger, budget: Budget | None, fiscal_year: int) -> None:
    if budget is None:
        ledger.warnings.append(f"no budget recorded for {fiscal_year}")
    elif ledger.committed > budget.amount:
        ledger.warnings.append(
            f"committed exceeds the allocation by Rp {ledger.committed - budget.amount:,}".replace(",", ".")
        )
    if ledger.unpriced_members:
        ledger.warnings.append(
            f"{ledger.unpriced_members} member-months could not be priced (see billing skips)"
        )
