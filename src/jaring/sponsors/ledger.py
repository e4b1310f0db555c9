"""A sponsor's budget ledger for one fiscal year: allocated → committed → billed → paid, month
by month, with a burn-rate projection to the year's end.

- allocated: the year's budget in force (APBD, or its APBD-P revision);
- committed: the members the sponsor is payer of record for, each month, priced by the
  regulation engine (people × months × premium);
- billed: the sponsor's charges; paid: what payments allocated to them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from jaring.contributions.ledger import sponsor_months_in
from jaring.contributions.tariffs import TariffKey, compute_tariffs
from jaring.kit import db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership.service import sponsored_terms_in
from jaring.sponsors.budgets import allocation, budgets_in
from jaring.sponsors.service import visible_sponsor_in


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
    if not 2000 <= fiscal_year <= 2100:
        raise BadInput(f"fiscal year {fiscal_year} is not a year between 2000 and 2100", field="fiscal_year")
    today = today or date.today()
    first, end = Month(fiscal_year, 1), Month(fiscal_year + 1, 1)
    with db.store(url).connect() as conn:
        found = visible_sponsor_in(conn, principal, sponsor)
        budget = allocation(budgets_in(conn, found.id), fiscal_year)
        money = sponsor_months_in(conn, found.id, first.first_day, end.first_day)
        groups = {
            Month(fiscal_year, m): sponsored_terms_in(conn, found.id, Month(fiscal_year, m))
            for m in range(1, 13)
        }
    keys = {
        (month, income, bits, sector): TariffKey(month.first_day, income, bits, sector, found.funding)
        for month, rows in groups.items()
        for income, bits, sector, _ in rows
    }
    prices = compute_tariffs(keys.values())
    ledger = BudgetLedger(
        sponsor=found.code,
        fiscal_year=fiscal_year,
        allocated=None if budget is None else budget.amount,
        budget_stage=None if budget is None else budget.stage,
        committed=0,
        billed=0,
        paid=0,
    )
    for month, rows in groups.items():
        committed = 0
        for income, bits, sector, count in rows:
            tariff = prices.tariffs.get(keys[(month, income, bits, sector)])
            if tariff is None:
                ledger.unpriced_members += count
            else:
                committed += tariff.amount * count
        billed, paid = money.get(month.first_day, (0, 0))
        ledger.months.append(LedgerMonth(str(month), sum(r[3] for r in rows), committed, billed, paid))
        ledger.committed += committed
        ledger.billed += billed
        ledger.paid += paid
    elapsed = (
        max(0, min(12, (today.year - fiscal_year) * 12 + today.month - 1)) if today.year >= fiscal_year else 0
    )
    if elapsed:
        ledger.burn_per_month = ledger.paid // elapsed
    ledger.projected_paid = ledger.paid + ledger.burn_per_month * (12 - elapsed)
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
    return ledger
