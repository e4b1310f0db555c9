"""Allocation of money to charges, oldest unpaid month first, and the paid-through summary.

A payment pays its payer's charges in order of month (then member, for a sponsor paying for
many members); what is left over is the payer's credit, used as soon as new charges appear.
The split is one set-based INSERT ... SELECT with a running total, so a sponsor's payment for
a hundred thousand members is one statement, not a loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import BigInteger, Connection, Date, DateTime, String, bindparam, func, select, text

from jaring.contributions.model import allocations, member_accounts, payments
from jaring.kit import db
from jaring.kit.periods import Month

SELF, SPONSOR = "self", "sponsor"


@dataclass(frozen=True)
class Payer:
    kind: str  # self | sponsor
    id: int  # member id or sponsor id

    def charge_filter(self) -> str:
        if self.kind == SELF:
            return "c.member_id = :payer_id AND c.payer_kind = 'self'"
        return "c.sponsor_id = :payer_id AND c.payer_kind = 'sponsor'"


def _allocate_sql(payer: Payer) -> str:
    where = payer.charge_filter()
    return f"""
WITH paid AS (
    SELECT a.member_id, a.month, SUM(a.amount) AS paid
    FROM allocations a
    JOIN charges c ON c.member_id = a.member_id AND c.month = a.month
    WHERE {where}
    GROUP BY a.member_id, a.month
), unpaid AS (
    SELECT c.member_id, c.month, c.amount - COALESCE(p.paid, 0) AS due
    FROM charges c
    LEFT JOIN paid p ON p.member_id = c.member_id AND p.month = c.month
    WHERE {where} AND c.amount - COALESCE(p.paid, 0) > 0
), running AS (
    SELECT member_id, month, due,
           SUM(due) OVER (ORDER BY month, member_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
               AS upto
    FROM unpaid
)
INSERT INTO allocations (payment_id, member_id, month, amount, created_at)
SELECT :payment_id, member_id, month,
       CASE WHEN upto <= :available THEN due ELSE :available - (upto - due) END,
       :now
FROM running
WHERE upto - due < :available
RETURNING member_id, amount
"""


@dataclass
class Spent:
    """What an allocation step did: the amount and the members whose months it paid."""

    amount: int = 0
    members: set[int] = field(default_factory=set)

    def add(self, other: Spent) -> None:
        self.amount += other.amount
        self.members |= other.members


def allocate_in(conn: Connection, *, payment_id: int, payer: Payer, available: int, now: datetime) -> Spent:
    """Spend up to `available` of a payment on the payer's oldest unpaid charges (the rest
    stays as credit)."""
    spent = Spent()
    if available <= 0:
        return spent
    statement = text(_allocate_sql(payer)).bindparams(
        bindparam("available", type_=BigInteger), bindparam("now", type_=DateTime(timezone=True))
    )
    values = {"payment_id": payment_id, "payer_id": payer.id, "available": available, "now": now}
    for row in conn.execute(statement, values):
        spent.amount += int(row[1])
        spent.members.add(int(row[0]))
    return spent


def _allocated(conn: Connection, payment_id: int) -> int:
    total: int = conn.execute(
        select(func.coalesce(func.sum(allocations.c.amount), 0)).where(allocations.c.payment_id == payment_id)
    ).scalar_one()
    return int(total)


def credits_in(conn: Connection, payer: Payer) -> list[tuple[int, int]]:
    """(payment id, unspent amount) of the payer's payments with money left, oldest first.
    A reversed payment has nothing left: its reversal took back both the money and its
    allocations."""
    column = payments.c.member_id if payer.kind == SELF else payments.c.sponsor_id
    # Correlated per payment (allocations.payment_id is indexed): a join with every
    # payment's total would sum the whole allocations table on each payment received.
    spent = (
        select(func.coalesce(func.sum(allocations.c.amount), 0))
        .where(allocations.c.payment_id == payments.c.id)
        .scalar_subquery()
    )
    reversal = payments.alias("reversal")
    rows = conn.execute(
        select(payments.c.id, payments.c.amount - spent)
        .where(
            column == payer.id,
            payments.c.payer_kind == payer.kind,
            payments.c.kind == "payment",
            ~select(reversal.c.id).where(reversal.c.reverses_id == payments.c.id).exists(),
        )
        .order_by(payments.c.paid_at, payments.c.id)
    ).all()
    return [(int(row[0]), int(row[1])) for row in rows if int(row[1]) > 0]


def apply_credit_in(conn: Connection, payer: Payer, now: datetime) -> Spent:
    """Spend the payer's unspent money, oldest payment first, on their unpaid charges."""
    used = Spent()
    for payment_id, left in credits_in(conn, payer):
        spent = allocate_in(conn, payment_id=payment_id, payer=payer, available=left, now=now)
        used.add(spent)
        if spent.amount < left:
            break  # nothing unpaid is left for later payments either
    return used


# -- paid-through -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeState:
    month: date
    amount: int
    paid: int
    last_paid_at: datetime | None


@dataclass(frozen=True)
class Standing:
    """How far a member has paid: the first month of protection and the paid-through month."""

    first_paid_at: datetime | None
    paid_through: date | None


def standing(states: Iterable[ChargeState]) -> Standing:
    """Paid through the last month of the unbroken run of fully paid charges that starts at
    the member's first charge. Protection started when that first charge was paid in full
    (PP 44/2015 art. 11: membership starts with the first contribution paid)."""
    first_paid_at: datetime | None = None
    paid_through: date | None = None
    expected: Month | None = None
    for state in sorted(states, key=lambda s: s.month):
        month = Month.of(state.month)
        if state.paid < state.amount or (expected is not None and month != expected):
            break
        if first_paid_at is None:
            first_paid_at = state.last_paid_at
        paid_through = state.month
        expected = month.plus(1)
    return Standing(first_paid_at, paid_through)


_STATES = """
SELECT c.member_id, c.month, c.amount, c.region_code,
       COALESCE(SUM(CASE WHEN p.received_at <= :as_of THEN a.amount END), 0) AS paid,
       MAX(CASE WHEN a.amount > 0 AND p.received_at <= :as_of AND r.id IS NULL THEN p.paid_at END)
           AS last_paid_at
FROM charges c
LEFT JOIN allocations a ON a.member_id = c.member_id AND a.month = c.month
LEFT JOIN payments p ON p.id = a.payment_id
LEFT JOIN payments r ON r.reverses_id = p.id AND r.received_at <= :as_of
WHERE c.member_id IN :member_ids
GROUP BY c.member_id, c.month, c.amount, c.region_code
ORDER BY c.member_id, c.month
"""


def charge_states_in(
    conn: Connection, member_ids: list[int], as_of: datetime
) -> dict[int, tuple[str, list[ChargeState]]]:
    """Every charge of the given members with what was paid on it by `as_of`."""
    out: dict[int, tuple[str, list[ChargeState]]] = {}
    statement = (
        text(_STATES)
        .bindparams(
            bindparam("member_ids", expanding=True), bindparam("as_of", type_=DateTime(timezone=True))
        )
        .columns(
            member_id=BigInteger,
            month=Date,
            amount=BigInteger,
            region_code=String,
            paid=BigInteger,
            last_paid_at=DateTime(timezone=True),
        )
    )
    for start in range(0, len(member_ids), 5000):
        chunk = member_ids[start : start + 5000]
        for row in conn.execute(statement, {"member_ids": chunk, "as_of": as_of}):
            _region, states = out.setdefault(int(row.member_id), (row.region_code, []))
            states.append(ChargeState(row.month, int(row.amount), int(row.paid), utc(row.last_paid_at)))
    return out


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything Jaring stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def refresh_accounts_in(conn: Connection, member_ids: list[int], now: datetime) -> None:
    """Recompute the paid-through summary of these members after money moved."""
    rows = []
    for member_id, (region, states) in charge_states_in(conn, sorted(set(member_ids)), now).items():
        result = standing(states)
        rows.append(
            {
                "member_id": member_id,
                "region_code": region,
                "first_paid_at": result.first_paid_at,
                "paid_through": result.paid_through,
                "updated_at": now,
            }
        )
    db.upsert(conn, member_accounts, rows, ["member_id"])


def members_of_payment_in(conn: Connection, payment_id: int) -> list[int]:
    query = select(allocations.c.member_id).where(allocations.c.payment_id == payment_id).distinct()
    return [int(row[0]) for row in conn.execute(query)]
