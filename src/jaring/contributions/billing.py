"""Billing: one charge per member-month, owed by exactly one payer.

A run for a period works in three steps, each its own transaction:

1. Census and tariffs. One aggregate over the members billable in the period (membership's
   `billable_select`) gives the distinct (income, programs, sector, payer) combinations still
   uncharged; the rules engine prices them in one call and the prices are stored with the run
   (`billing_tariffs`).
2. Self-paid members, in chunks of member ids: one INSERT ... SELECT per chunk joins the
   billable members to the run's tariffs and skips every member-month already charged.
3. Sponsored members, one transaction per sponsor: the invoice's control totals are
   aggregated first, the invoice is written, its charges inserted, and the totals re-checked
   from the charges before the commit.

A crash loses at most the unit in flight; running the same period again bills exactly what is
missing (the charges' primary key, ON CONFLICT DO NOTHING), so repeated and resumed runs converge on
the same ledger. Nothing here loops over members in Python.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
    update,
)

from jaring.contributions import tariffs as tariff_engine
from jaring.contributions.invoices import check_invoice_in, invoice_number
from jaring.contributions.model import billing_runs, billing_tariffs, charges, invoices
from jaring.contributions.tariffs import TariffKey, TariffTable, compute_tariffs, store_tariffs_in
from jaring.kit import audit, config, db
from jaring.kit.auth import MEMBER, Principal, in_scope, region_filter, require
from jaring.kit.errors import BadInput, Conflict, Forbidden, NotFound
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.numbers import participant_numbers
from jaring.membership.service import MemberRef
from jaring.rules.engine import Usage, default_rulebook
from jaring.rules.errors import RulesError
from jaring.rules.formulas.codes import RELIEFS
from jaring.sponsors.service import Sponsor, fundings_in, get_sponsor, sponsor_in, sponsors_in

CHUNK = 200_000
CHARGE_COLUMNS = (
    "member_id",
    "month",
    "payer_kind",
    "sponsor_id",
    "invoice_id",
    "region_code",
    "jkk",
    "jkm",
    "jht",
    "jkk_relief",
    "jkm_relief",
    "amount",
    "relief",
    "run_id",
    "created_at",
)
LINE_NAMES = tariff_engine.LINES

# Reasons a billable member-month gets no charge from a run (besides the tariff ones).
SEGMENT_NOT_BILLED_HERE = "segment_not_billed_here"  # PU/PMI: employer billing is a later issue
SPONSOR_OUTSIDE_SCOPE = "sponsor_outside_scope"
ALREADY_INVOICED_PERIOD = "already_invoiced_period"
INVOICE_LINES_LIMIT = 1000
PREPAY_HORIZON = 12  # a prepayment starts at most this many months after the current one
_RUN_LOCK = 0x6A6172696E67  # "jaring": the advisory lock key of billing run units


class SimulatedCrash(RuntimeError):
    """Raised by the `_fail_after_chunks` test hook inside the unit it interrupts."""


class ControlTotalMismatch(RuntimeError):
    """An invoice's charges do not add up to its control totals: the unit is rolled back."""


# ------------------------------------------------------------------ results


@dataclass
class PayerTotals:
    charges: int = 0
    amount: int = 0
    invoices: int = 0


@dataclass
class BillingReport:
    run_id: int
    period: Month
    scope: str | None  # the region prefix billed; None for the whole country
    rows_in: int  # billable member-months considered (= created + already billed + skipped)
    charges_created: int
    members_billed: int
    amount_total: int
    by_payer: dict[str, PayerTotals]
    invoices: list[str]
    skipped: dict[str, int]
    already_billed: int
    tariffs: int
    chunks: int
    duration_seconds: float
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["period"] = str(self.period)
        out["by_payer"] = {kind: asdict(totals) for kind, totals in self.by_payer.items()}
        return out


@dataclass(frozen=True)
class Charge:
    participant_number: str
    month: Month
    payer_kind: str  # self | sponsor
    sponsor_code: str | None
    invoice_number: str | None
    region_code: str
    jkk: int
    jkm: int
    jht: int
    jkk_relief: int
    jkm_relief: int
    amount: int
    relief: str | None  # the relief programme's parameter name, if any
    run_id: int | None

    def lines(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LINE_NAMES}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["month"] = str(self.month)
        return out


@dataclass(frozen=True)
class MemberCharges:
    participant_number: str
    charges: list[Charge]

    @property
    def total(self) -> int:
        return sum(c.amount for c in self.charges)

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_number": self.participant_number,
            "charges": [c.to_json() for c in self.charges],
            "total": self.total,
        }


@dataclass(frozen=True)
class Invoice:
    number: str
    sponsor_code: str
    sponsor_name: str
    period: Month
    region_code: str
    members: int
    total: int
    run_id: int | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["period"] = str(self.period)
        out["created_at"] = self.created_at.isoformat()
        return out


@dataclass(frozen=True)
class InvoiceLine:
    participant_number: str
    region_code: str
    jkk: int
    jkm: int
    jht: int
    jkk_relief: int
    jkm_relief: int
    amount: int


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    lines: list[InvoiceLine]
    offset: int
    charged_members: int  # recomputed from the charges: the control totals
    charged_total: int

    @property
    def balanced(self) -> bool:
        return self.charged_total == self.invoice.total and self.charged_members == self.invoice.members

    def to_json(self) -> dict[str, Any]:
        return {
            **self.invoice.to_json(),
            "control": {
                "members": self.charged_members,
                "total": self.charged_total,
                "balanced": self.balanced,
            },
            "offset": self.offset,
            "lines": [asdict(line) for line in self.lines],
        }


# ------------------------------------------------------------------ helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _latest_period() -> Month:
    return Month.of(date.today()).plus(1)


def _check_period(period: Month) -> None:
    latest = _latest_period()
    if period > latest:
        raise BadInput(
            f"period {period} is too far ahead: a run bills a past month, the current month or "
            f"the next one (at most {latest}); members pay further ahead with a prepayment",
            field="period",
        )


@contextmanager
def _unit(url: str | None) -> Iterator[Connection]:
    """One unit of a run. On PostgreSQL the units of concurrent runs take turns (a transaction
    advisory lock), so each one sees what the other committed and two runs of the
    same period converge instead of colliding on the charges' key or an invoice id. SQLite's
    single writer serialises them already."""
    with db.transaction(url) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _RUN_LOCK})
        yield conn


def _billable(day: date) -> FromClause:
    return membership.billable_select(day).subquery("b")


def _bpu(b: FromClause) -> ColumnElement[bool]:
    # Wage earners (PU) are billed to their employer on the wage, migrant workers (PMI) per
    # placement: neither goes through this member-month billing yet.
    return b.c.segment == "bpu"


def _uncharged(b: FromClause, day: date) -> ColumnElement[bool]:
    return ~exists().where(charges.c.member_id == b.c.member_id, charges.c.month == day)


def _tariff_join(b: FromClause, run_id: int, day: date, funding: str) -> FromClause:
    t = billing_tariffs
    return b.join(
        t,
        and_(
            t.c.run_id == run_id,
            t.c.month == day,
            t.c.income == b.c.income,
            t.c.programs == b.c.programs,
            t.c.sector == b.c.sector,
            t.c.funding == funding,
        ),
    )


def _charge_select(
    joined: FromClause,
    b: FromClause,
    *,
    day: date,
    run_id: int,
    now: datetime,
    sponsor_id: int | None,
    invoice_id: int | None,
) -> Select[Any]:
    t = billing_tariffs
    return select(
        b.c.member_id,
        literal(day, Date),
        literal("self" if sponsor_id is None else "sponsor", String),
        cast(null(), Integer) if sponsor_id is None else literal(sponsor_id, Integer),
        cast(null(), Integer) if invoice_id is None else literal(invoice_id, Integer),
        b.c.region_code,
        *(t.c[name] for name in LINE_NAMES),
        t.c.amount,
        t.c.relief,
        literal(run_id, Integer),
        literal(now, DateTime(timezone=True)),
    ).select_from(joined)


def _sums(conn: Connection, *where: ColumnElement[bool]) -> tuple[int, int]:
    row = conn.execute(
        select(func.count(), cast(func.coalesce(func.sum(charges.c.amount), 0), BigInteger)).where(*where)
    ).one()
    return int(row[0]), int(row[1])


def _usage() -> Usage:
    return Usage(allow_unconfirmed=config.allow_unconfirmed())


def _tariffs(keys: Iterable[TariffKey]) -> TariffTable:
    try:
        return compute_tariffs(keys, usage=_usage())
    except RulesError as exc:  # e.g. an unconfirmed value the operator has not allowed
        raise BadInput(f"the contributions cannot be computed: {exc}") from None


# ------------------------------------------------------------------ the run


@dataclass
class _Plan:
    """What the census found: uncharged member-months per payer, and what is set aside."""

    rows_in: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    keys: dict[TariffKey, int] = field(default_factory=dict)
    self_range: tuple[int, int] | None = None
    sponsors: set[int] = field(default_factory=set)
    fundings: dict[int, str] = field(default_factory=dict)
    groups: list[tuple[TariffKey, int]] = field(default_factory=list)


def _sponsors_in_scope(conn: Connection, principal: Principal, fundings: dict[int, str]) -> set[int]:
    if principal.national:
        return set(fundings)
    return {
        sid
        for sid, sponsor in sponsors_in(conn, fundings).items()
        if in_scope(principal, sponsor.region_code)
    }


def _census(conn: Connection, principal: Principal, period: Month) -> _Plan:
    day = period.first_day
    b = _billable(day)
    plan = _Plan(fundings=fundings_in(conn))
    in_scope_sponsors = _sponsors_in_scope(conn, principal, plan.fundings)
    c = charges.alias("c")
    segment = b.c.segment
    open_id = case((c.c.member_id.is_(None), b.c.member_id))
    scope = region_filter(principal, b.c.region_code)
    if in_scope_sponsors and not principal.national:
        # A sponsor's invoice covers all its members: a run that may bill the sponsor bills
        # every member it pays for, wherever they live.
        scope = or_(scope, b.c.sponsor_id.in_(sorted(in_scope_sponsors)))
    rows = conn.execute(
        select(
            b.c.income,
            b.c.programs,
            b.c.sector,
            b.c.sponsor_id,
            segment.label("segment"),
            func.count().label("rows"),
            func.count(c.c.member_id).label("charged"),
            func.min(open_id).label("low"),
            func.max(open_id).label("high"),
        )
        .select_from(b.outerjoin(c, and_(c.c.member_id == b.c.member_id, c.c.month == day)))
        .where(scope)
        .group_by(b.c.income, b.c.programs, b.c.sector, b.c.sponsor_id, segment)
    ).all()
    low: int | None = None
    high: int | None = None
    for row in rows:
        count, charged = int(row.rows), int(row.charged)
        open_rows = count - charged
        plan.rows_in += count
        plan.already += charged
        if not open_rows:
            continue
        if row.segment != "bpu":
            plan.skipped[SEGMENT_NOT_BILLED_HERE] += open_rows
            continue
        sponsor_id = None if row.sponsor_id is None else int(row.sponsor_id)
        if sponsor_id is not None and sponsor_id not in in_scope_sponsors:
            plan.skipped[SPONSOR_OUTSIDE_SCOPE] += open_rows
            continue
        funding = "self" if sponsor_id is None else plan.fundings[sponsor_id]
        key = TariffKey(day, int(row.income), int(row.programs), str(row.sector), funding)
        plan.keys[key] = plan.keys.get(key, 0) + open_rows
        plan.groups.append((key, open_rows))
        if sponsor_id is None:
            low = int(row.low) if low is None else min(low, int(row.low))
            high = int(row.high) if high is None else max(high, int(row.high))
        else:
            plan.sponsors.add(sponsor_id)
    if low is not None and high is not None:
        plan.self_range = (low, high)
    return plan


def run_billing(
    *,
    principal: Principal,
    period: Month,
    url: str | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    _fail_after_chunks: int | None = None,
) -> BillingReport:
    """Bill every billable BPU member-month of `period` in the principal's scope, once."""
    require(principal, "billing.run")
    _check_period(period)
    if chunk < 1:
        raise BadInput(f"chunk must be at least 1 member, got {chunk}", field="chunk")
    if not principal.national and principal.region_code is None:
        raise Forbidden("your account has no region, so there is nothing you may bill")
    started = time.monotonic()
    day = period.first_day
    scope = None if principal.national else principal.region_code

    with _unit(url) as conn:
        plan = _census(conn, principal, period)
        table = _tariffs(plan.keys)
        run_id = int(
            conn.execute(
                billing_runs.insert()
                .values(period=day, started_at=_now(), actor=principal.actor)
                .returning(billing_runs.c.id)
            ).scalar_one()
        )
        stored = store_tariffs_in(conn, run_id, table)
        audit.record(
            conn,
            actor=principal.actor,
            action="billing.run",
            entity="billing_run",
            entity_id=str(run_id),
            region_code=scope,
            after={"period": str(period), "tariffs": stored, "rows_in": plan.rows_in},
        )
    for key, open_rows in plan.groups:
        reason = table.rejected.get(key)
        if reason is not None:
            plan.skipped[reason] += open_rows

    by_payer = {"self": PayerTotals(), "sponsor": PayerTotals()}
    numbers: list[str] = []
    ranges: list[tuple[int, int]] = []
    if plan.self_range is not None and any(k.funding == "self" for k in table.tariffs):
        low, high = plan.self_range
        ranges = [(start, min(start + chunk, high + 1)) for start in range(low, high + 1, chunk)]
    sponsor_ids = sorted(plan.sponsors)
    total_units = len(ranges) + len(sponsor_ids)
    done = 0
    committed = 0

    def crash_due() -> bool:
        return _fail_after_chunks is not None and committed >= _fail_after_chunks

    for low, high in ranges:
        with _unit(url) as conn:
            created, amount = _bill_self_chunk(conn, principal, run_id, period, low, high)
            if created and crash_due():
                raise SimulatedCrash(f"simulated crash after {committed} committed chunks")
            if created:
                audit.record(
                    conn,
                    actor=principal.actor,
                    action="billing.charges",
                    entity="billing_run",
                    entity_id=str(run_id),
                    region_code=scope,
                    after={
                        "period": str(period),
                        "payer_kind": "self",
                        "member_ids": [low, high],
                        "charges": created,
                        "amount": amount,
                    },
                )
        if created:
            committed += 1
            by_payer["self"].charges += created
            by_payer["self"].amount += amount
        done += 1
        if progress:
            progress(done, total_units)

    for sponsor_id in sponsor_ids:
        with _unit(url) as conn:
            outcome = _invoice_sponsor(
                conn, principal, run_id, period, sponsor_id, plan.fundings[sponsor_id], crash_due
            )
        if isinstance(outcome, int):
            plan.skipped[ALREADY_INVOICED_PERIOD] += outcome
        elif outcome is not None:
            number, created, amount = outcome
            committed += 1
            numbers.append(number)
            by_payer["sponsor"].charges += created
            by_payer["sponsor"].amount += amount
            by_payer["sponsor"].invoices += 1
        done += 1
        if progress:
            progress(done, total_units)

    created_total = by_payer["self"].charges + by_payer["sponsor"].charges
    report = BillingReport(
        run_id=run_id,
        period=period,
        scope=scope,
        rows_in=plan.rows_in,
        charges_created=created_total,
        members_billed=created_total,
        amount_total=by_payer["self"].amount + by_payer["sponsor"].amount,
        by_payer=by_payer,
        invoices=numbers,
        skipped=dict(sorted((k, v) for k, v in plan.skipped.items() if v)),
        already_billed=plan.already,
        tariffs=stored,
        chunks=len(ranges),
        duration_seconds=round(time.monotonic() - started, 3),
        warnings=list(table.warnings),
    )
    with db.transaction(url) as conn:
        conn.execute(
            update(billing_runs)
            .where(billing_runs.c.id == run_id)
            .values(finished_at=_now(), counts=report.to_json())
        )
    return report


def _insert_charges(conn: Connection, query: Select[Any]) -> None:
    """INSERT ... SELECT that skips member-months already charged. The charges' key decides
    (ON CONFLICT DO NOTHING), not a NOT EXISTS over the table being filled: PostgreSQL plans
    that anti-join as a scan of the growing table per row, which is quadratic."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(charges)
        .from_select(CHARGE_COLUMNS, query)
        .on_conflict_do_nothing(index_elements=["member_id", "month"])
    )
    conn.execute(statement)


def _bill_self_chunk(
    conn: Connection, principal: Principal, run_id: int, period: Month, low: int, high: int
) -> tuple[int, int]:
    day = period.first_day
    b = _billable(day)
    joined = _tariff_join(b, run_id, day, "self")
    query = _charge_select(joined, b, day=day, run_id=run_id, now=_now(), sponsor_id=None, invoice_id=None)
    query = query.where(
        b.c.sponsor_id.is_(None),
        b.c.member_id >= low,
        b.c.member_id < high,
        _bpu(b),
        region_filter(principal, b.c.region_code),
    )
    _insert_charges(conn, query)
    return _sums(
        conn,
        charges.c.run_id == run_id,
        charges.c.month == day,
        charges.c.payer_kind == "self",
        charges.c.member_id >= low,
        charges.c.member_id < high,
    )


def _invoice_sponsor(
    conn: Connection,
    principal: Principal,
    run_id: int,
    period: Month,
    sponsor_id: int,
    funding: str,
    crash_due: Callable[[], bool],
) -> tuple[str, int, int] | int | None:
    """Invoice one sponsor's uncharged member-months of the period, all or nothing.

    Returns (number, charges, amount) for a new invoice, the count of member-months left
    uncharged when the period is invoiced already, or None when there is nothing to bill."""
    day = period.first_day
    b = _billable(day)
    joined = _tariff_join(b, run_id, day, funding)
    t = billing_tariffs
    open_rows = (b.c.sponsor_id == sponsor_id, _bpu(b), _uncharged(b, day))
    members, total = conn.execute(
        select(func.count(), cast(func.coalesce(func.sum(t.c.amount), 0), BigInteger))
        .select_from(joined)
        .where(*open_rows)
    ).one()
    members, total = int(members), int(total)
    if members == 0:
        return None
    existing = conn.execute(
        select(invoices.c.number).where(invoices.c.sponsor_id == sponsor_id, invoices.c.period == day)
    ).first()
    if existing is not None:
        # One invoice per sponsor and period (the schema's unique key): members assigned after
        # it was issued stay uncharged and are reported, never slipped onto the old invoice.
        return members
    sponsor = sponsor_in(conn, sponsor_id)
    if sponsor is None:
        raise NotFound(f"sponsor {sponsor_id} not found")
    invoice_id = int(conn.execute(select(func.coalesce(func.max(invoices.c.id), 0) + 1)).scalar_one())
    number = invoice_number(sponsor.code, sponsor.id, period)
    now = _now()
    conn.execute(
        invoices.insert().values(
            id=invoice_id,
            number=number,
            sponsor_id=sponsor_id,
            period=day,
            region_code=sponsor.region_code,
            members=members,
            total=total,
            run_id=run_id,
            created_at=now,
        )
    )
    query = _charge_select(
        joined, b, day=day, run_id=run_id, now=now, sponsor_id=sponsor_id, invoice_id=invoice_id
    ).where(*open_rows[:2])
    _insert_charges(conn, query)
    check = check_invoice_in(conn, invoice_id)
    if not check.ok:
        raise ControlTotalMismatch(check.describe() + "; the invoice was not issued")
    if crash_due():
        raise SimulatedCrash("simulated crash before an invoice was committed")
    audit.record(
        conn,
        actor=principal.actor,
        action="billing.invoice",
        entity="invoice",
        entity_id=number,
        region_code=sponsor.region_code,
        after={
            "sponsor": sponsor.code,
            "period": str(period),
            "members": members,
            "total": total,
            "run_id": run_id,
        },
    )
    return number, members, total


# ------------------------------------------------------------------ single members


def _member_months(conn: Connection, member_id: int, months: list[Month]) -> dict[Month, Any]:
    """The billable row (income, programs, sector, sponsor) of each month that has one."""
    found: dict[Month, Any] = {}
    for start in range(0, len(months), 24):  # a bounded UNION per statement
        batch = months[start : start + 24]
        parts = []
        for month in batch:
            b = _billable(month.first_day)
            parts.append(
                select(
                    literal(str(month), String).label("month"),
                    b.c.income,
                    b.c.programs,
                    b.c.sector,
                    b.c.sponsor_id,
                    b.c.segment,
                ).where(b.c.member_id == member_id)
            )
        for row in conn.execute(union_all(*parts)):
            found[Month.parse(row.month)] = row
    return found


def _charged_months(conn: Connection, member_id: int, first: Month, last: Month) -> set[Month]:
    rows = conn.execute(
        select(charges.c.month).where(
            charges.c.member_id == member_id,
            charges.c.month >= first.first_day,
            charges.c.month <= last.first_day,
        )
    )
    return {Month.of(row.month) for row in rows}


def _insert_self_charges(
    conn: Connection, member_id: int, region_code: str, rows: dict[Month, Any], *, strict: bool
) -> tuple[list[Month], int]:
    """Charge a self-paid member for the given months (priced in one engine call). A month the
    rules refuse is an error when `strict`, else left uncharged (a run reports it)."""
    keys = {
        month: TariffKey(month.first_day, int(row.income), int(row.programs), str(row.sector), "self")
        for month, row in rows.items()
    }
    table = _tariffs(keys.values())
    for month, key in sorted(keys.items()):
        if key in table.rejected and strict:
            raise BadInput(
                f"month {month} cannot be billed: {table.rejected[key]} "
                f"(income {key.income}, programs {key.programs}, sector {key.sector})"
            )
    keys = {month: key for month, key in keys.items() if key in table.tariffs}
    now = _now()
    values = [
        {
            "member_id": member_id,
            "month": month.first_day,
            "payer_kind": "self",
            "sponsor_id": None,
            "invoice_id": None,
            "region_code": region_code,
            **table.tariffs[key].lines(),
            "amount": table.tariffs[key].amount,
            "relief": table.tariffs[key].relief,
            "run_id": None,
            "created_at": now,
        }
        for month, key in sorted(keys.items())
    ]
    if values:
        conn.execute(charges.insert(), values)
    return sorted(keys), sum(table.tariffs[key].amount for key in keys.values())


def ensure_charges_in(
    conn: Connection, *, member_id: int, through: Month, actor: str = "system:billing"
) -> int:
    """Charge a self-paid BPU member for every uncharged month from registration through
    `through`, in the caller's transaction (a payment arriving before the monthly run).
    Months a sponsor pays, or without terms in force, are left to their payer; returns the
    number of charges created."""
    member = membership.member_by_id_in(conn, member_id)
    if member is None:
        raise NotFound(f"member {member_id} not found")
    if member.segment != "bpu":
        return 0
    first = Month.of(member.registered_on)
    if through < first:
        return 0
    months = []
    month = first
    while month <= through:
        months.append(month)
        month = month.plus(1)
    charged = _charged_months(conn, member_id, first, through)
    wanted = [m for m in months if m not in charged]
    if not wanted:
        return 0
    rows = {
        m: row
        for m, row in _member_months(conn, member_id, wanted).items()
        if row.sponsor_id is None and row.segment == "bpu"
    }
    # A payment must not fail because one month's terms are refused by the rules: that month
    # stays uncharged and shows up in the next run's report.
    created, amount = _insert_self_charges(conn, member_id, member.region_code, rows, strict=False)
    if created:
        audit.record(
            conn,
            actor=actor,
            action="billing.charges",
            entity="member",
            entity_id=member.participant_number,
            region_code=member.region_code,
            after={
                "payer_kind": "self",
                "months": [str(m) for m in created],
                "charges": len(created),
                "amount": amount,
            },
        )
    return len(created)


def _visible_member(conn: Connection, principal: Principal, participant_number: str) -> MemberRef:
    return membership.visible_member_in(conn, principal, participant_number)


def prepay(
    *,
    principal: Principal,
    participant_number: str,
    months: int,
    start: Month | None = None,
    url: str | None = None,
) -> list[Charge]:
    """Bill a self-paying BPU member `months` ahead (a payment period the rules allow).

    The prepayment starts at `start`, or at the first uncharged month from the current month
    (or the registration month, if later). Months already charged are kept as they are, so a
    repeat with the same `start` creates nothing; a month a sponsor pays refuses the request.
    Returns the charges of the months asked for."""
    require(principal, "billing.prepay")
    with db.transaction(url) as conn:
        member = _visible_member(conn, principal, participant_number)
        if member.segment != "bpu":
            raise BadInput(
                f"participant {member.participant_number} is not a BPU member; only BPU members prepay"
            )
        registered = Month.of(member.registered_on)
        anchor = start or max(Month.of(date.today()), registered)
        if anchor < registered:
            raise BadInput(
                f"start {anchor} is before the member's registration month {registered}", field="start"
            )
        if start is None:
            charged = _charged_months(conn, member.id, anchor, anchor.plus(240))
            while anchor in charged:
                anchor = anchor.plus(1)
        horizon = Month.of(date.today()).plus(PREPAY_HORIZON)
        if anchor > horizon:
            raise BadInput(
                f"start {anchor} is too far ahead: a prepayment starts at the latest in {horizon}"
                + (" (the months before are paid already)" if start is None else ""),
                field="start",
            )
        allowed = default_rulebook()["bpu.prepayment_months"].value(anchor.first_day, _usage())
        if months not in allowed:
            raise BadInput(
                f"months: {months} is not a payment period; a BPU member may pay for "
                f"{', '.join(map(str, allowed))} months at once",
                field="months",
            )
        window = [anchor.plus(i) for i in range(months)]
        rows = _member_months(conn, member.id, window)
        for month in window:
            row = rows.get(month)
            if row is None:
                raise BadInput(f"month {month} cannot be billed: the member has no terms in force then")
            if row.sponsor_id is not None:
                raise Conflict(
                    f"month {month} is paid by a sponsor (the payer of record); a member prepays "
                    "only months they pay themselves"
                )
        charged = _charged_months(conn, member.id, window[0], window[-1])
        todo = {m: rows[m] for m in window if m not in charged}
        created, amount = _insert_self_charges(conn, member.id, member.region_code, todo, strict=True)
        if created:
            audit.record(
                conn,
                actor=principal.actor,
                action="billing.prepay",
                entity="member",
                entity_id=member.participant_number,
                region_code=member.region_code,
                after={"months": [str(m) for m in created], "charges": len(created), "amount": amount},
            )
        found = _charges_of(conn, member.id, member.participant_number, window[0], window[-1])
    return found


def _charges_of(
    conn: Connection,
    member_id: int,
    participant_number: str,
    first: Month | None = None,
    last: Month | None = None,
    sponsor_id: int | None = None,
) -> list[Charge]:
    query = (
        select(charges, invoices.c.number.label("invoice_number"))
        .select_from(charges.outerjoin(invoices, invoices.c.id == charges.c.invoice_id))
        .where(charges.c.member_id == member_id)
        .order_by(charges.c.month)
    )
    if first is not None:
        query = query.where(charges.c.month >= first.first_day)
    if last is not None:
        query = query.where(charges.c.month <= last.first_day)
    if sponsor_id is not None:
        query = query.where(charges.c.sponsor_id == sponsor_id)
    codes: dict[int, str] = {}
    found = []
    for row in conn.execute(query):
        code = None
        if row.sponsor_id is not None:
            if row.sponsor_id not in codes:
                sponsor = sponsor_in(conn, int(row.sponsor_id))
                codes[row.sponsor_id] = sponsor.code if sponsor else str(row.sponsor_id)
            code = codes[row.sponsor_id]
        found.append(
            Charge(
                participant_number=participant_number,
                month=Month.of(row.month),
                payer_kind=row.payer_kind,
                sponsor_code=code,
                invoice_number=row.invoice_number,
                region_code=row.region_code,
                **{name: int(row._mapping[name]) for name in LINE_NAMES},
                amount=int(row.amount),
                relief=RELIEFS[int(row.relief)],
                run_id=row.run_id,
            )
        )
    return found


# ------------------------------------------------------------------ reading


def member_charges(*, principal: Principal, participant_number: str, url: str | None = None) -> MemberCharges:
    """Every charge of one member, month by month (payment status is the payments module's)."""
    require(principal, "billing.read")
    with db.store(url).connect() as conn:
        member = _visible_member(conn, principal, participant_number)
        found = _charges_of(conn, member.id, member.participant_number, sponsor_id=_sponsor_limit(principal))
    return MemberCharges(member.participant_number, found)


def _sponsor_limit(principal: Principal) -> int | None:
    # A sponsor's finance officer sees what their sponsor owes, nothing else.
    if principal.role == "sponsor_finance" and principal.sponsor_id is None:
        return -1
    return principal.sponsor_id


def _invoice_scope(principal: Principal) -> ColumnElement[bool]:
    where = region_filter(principal, invoices.c.region_code)
    limit = _sponsor_limit(principal)
    if limit is not None:
        where = and_(where, invoices.c.sponsor_id == limit)
    if principal.role == MEMBER:
        where = false()
    return where


def _invoice(conn: Connection, row: Any, sponsors: dict[int, Sponsor | None]) -> Invoice:
    if row.sponsor_id not in sponsors:
        sponsors[row.sponsor_id] = sponsor_in(conn, int(row.sponsor_id))
    sponsor = sponsors[row.sponsor_id]
    return Invoice(
        number=row.number,
        sponsor_code=sponsor.code if sponsor else str(row.sponsor_id),
        sponsor_name=sponsor.name if sponsor else "",
        period=Month.of(row.period),
        region_code=row.region_code,
        members=int(row.members),
        total=int(row.total),
        run_id=row.run_id,
        created_at=row.created_at,
    )


def get_invoice(
    *,
    principal: Principal,
    number: str,
    url: str | None = None,
    limit: int | None = INVOICE_LINES_LIMIT,
    offset: int = 0,
) -> InvoiceDetail:
    """One invoice with its lines (participant, region, amount) and recomputed control totals.

    Lines come in member order, `limit` at a time from `offset` (None: all of them)."""
    require(principal, "billing.read")
    if offset < 0 or (limit is not None and limit < 1):
        raise BadInput("offset must be 0 or more and limit at least 1")
    with db.store(url).connect() as conn:
        row = conn.execute(
            select(invoices).where(invoices.c.number == number.strip(), _invoice_scope(principal))
        ).first()
        if row is None:
            raise NotFound(f"invoice {number.strip()!r} not found")
        invoice = _invoice(conn, row, {})
        check = check_invoice_in(conn, int(row.id))
        query = (
            select(charges).where(charges.c.invoice_id == row.id).order_by(charges.c.member_id).offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        rows = conn.execute(query).all()
        # A member's id is its participant serial, so the numbers are derived, not looked up.
        numbers = participant_numbers(np.array([int(c.member_id) for c in rows], dtype=np.int64))
        lines = [
            InvoiceLine(
                participant_number=number,
                region_code=charge.region_code,
                **{name: int(charge._mapping[name]) for name in LINE_NAMES},
                amount=int(charge.amount),
            )
            for number, charge in zip(numbers, rows, strict=True)
        ]
    return InvoiceDetail(invoice, lines, offset, check.charged_members, check.charged_total)


def list_invoices(
    *,
    principal: Principal,
    sponsor: str | None = None,
    period: Month | None = None,
    url: str | None = None,
) -> list[Invoice]:
    """Invoices the principal may see, newest period first."""
    require(principal, "billing.read")
    query = select(invoices).where(_invoice_scope(principal))
    if sponsor is not None:
        if principal.role == MEMBER:
            return []
        found = get_sponsor(principal=principal, code_or_id=sponsor, url=url)
        query = query.where(invoices.c.sponsor_id == found.id)
    if period is not None:
        query = query.where(invoices.c.period == period.first_day)
    query = query.order_by(invoices.c.period.desc(), invoices.c.number)
    with db.store(url).connect() as conn:
        sponsors: dict[int, Sponsor | None] = {}
        return [_invoice(conn, row, sponsors) for row in conn.execute(query)]


__all__ = [
    "CHUNK",
    "BillingReport",
    "Charge",
    "ControlTotalMismatch",
    "Invoice",
    "InvoiceDetail",
    "InvoiceLine",
    "MemberCharges",
    "PayerTotals",
    "SimulatedCrash",
    "ensure_charges_in",
    "get_invoice",
    "list_invoices",
    "member_charges",
    "prepay",
    "run_billing",
]
