"""The ledger's invariants, recomputed from the append-only rows.

    billed   = allocated + outstanding        (per charge: 0 <= allocated <= amount)
    received = allocated + credit             (per payer:  credit >= 0)

and every invoice's total equals the sum of its charges; on the benefits side, every claim
payout belongs to an approved claim and no claim is paid more than was decided. `jaring ledger
check` runs this; a failure names what does not add up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, select, text

from jaring.contributions.model import allocations, charges
from jaring.kit import db
from jaring.kit.auth import Principal, require
from jaring.kit.errors import Forbidden


@dataclass
class LedgerCheck:
    billed: int
    received: int
    allocated: int
    outstanding: int
    credit: int
    charges: int
    payments: int
    benefits_paid: int = 0  # claim payouts, and the compensation for late ones beside them
    compensation_paid: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "holds": self.holds}


def _one(conn: Connection, sql: str) -> int:
    return int(conn.execute(text(sql)).scalar_one() or 0)


_PER_CHARGE = """
SELECT c.member_id, c.month, c.amount, COALESCE(a.paid, 0) AS paid
FROM charges c
LEFT JOIN (SELECT member_id, month, SUM(amount) AS paid FROM allocations GROUP BY member_id, month) a
       ON a.member_id = c.member_id AND a.month = c.month
"""
_PER_PAYER = """
SELECT p.payer_kind, COALESCE(p.member_id, p.sponsor_id) AS payer,
       SUM(p.amount) AS received, COALESCE(SUM(s.spent), 0) AS spent
FROM payments p
LEFT JOIN (SELECT payment_id, SUM(amount) AS spent FROM allocations GROUP BY payment_id) s
       ON s.payment_id = p.id
GROUP BY p.payer_kind, COALESCE(p.member_id, p.sponsor_id)
"""


def check(*, principal: Principal, url: str | None = None, show: int = 20) -> LedgerCheck:
    require(principal, "audit.read")
    if not principal.national:
        # The invariants are national totals; a regional view of them would leak the rest.
        raise Forbidden("the ledger check covers the whole country; it needs a national account")
    with db.store(url).connect() as conn:
        billed = _one(conn, "SELECT SUM(amount) FROM charges")
        received = _one(conn, "SELECT SUM(amount) FROM payments")
        allocated = _one(conn, "SELECT SUM(amount) FROM allocations")
        outstanding = _one(conn, f"SELECT SUM(amount - paid) FROM ({_PER_CHARGE}) x")
        credit = _one(conn, f"SELECT SUM(received - spent) FROM ({_PER_PAYER}) y")
        result = LedgerCheck(
            billed=billed,
            received=received,
            allocated=allocated,
            outstanding=outstanding,
            credit=credit,
            charges=_one(conn, "SELECT COUNT(*) FROM charges"),
            payments=_one(conn, "SELECT COUNT(*) FROM payments"),
        )
        problems = result.problems
        if billed != allocated + outstanding:
            problems.append(f"billed {billed} != allocated {allocated} + outstanding {outstanding}")
        if received != allocated + credit:
            problems.append(f"received {received} != allocated {allocated} + credit {credit}")
        for row in conn.execute(
            text(f"SELECT * FROM ({_PER_CHARGE}) x WHERE paid < 0 OR paid > amount")
        ).fetchmany(show):
            problems.append(f"charge {row.member_id}/{row.month}: paid {row.paid} outside 0..{row.amount}")
        orphans = conn.execute(
            text(
                "SELECT a.id FROM allocations a LEFT JOIN charges c "
                "ON c.member_id = a.member_id AND c.month = a.month WHERE c.member_id IS NULL"
            )
        ).fetchmany(show)
        problems.extend(f"allocation {row.id} has no charge" for row in orphans)
        for row in conn.execute(text(f"SELECT * FROM ({_PER_PAYER}) y WHERE received < spent")).fetchmany(
            show
        ):
            problems.append(
                f"{row.payer_kind} payer {row.payer}: spent {row.spent} > received {row.received}"
            )
        wrong_payer = conn.execute(
            text(
                "SELECT a.id FROM allocations a JOIN payments p ON p.id = a.payment_id "
                "JOIN charges c ON c.member_id = a.member_id AND c.month = a.month "
                "WHERE c.payer_kind <> p.payer_kind "
                "OR (p.payer_kind = 'self' AND c.member_id <> p.member_id) "
                "OR (p.payer_kind = 'sponsor' AND c.sponsor_id <> p.sponsor_id)"
            )
        ).fetchmany(show)
        problems.extend(f"allocation {row.id} pays another payer's charge" for row in wrong_payer)
        invoices = conn.execute(
            text(
                "SELECT i.number, i.total, i.members, "
                "COALESCE(SUM(c.amount), 0) AS lines, COUNT(c.member_id) AS n "
                "FROM invoices i LEFT JOIN charges c ON c.invoice_id = i.id "
                "GROUP BY i.number, i.total, i.members "
                "HAVING i.total <> COALESCE(SUM(c.amount), 0) OR i.members <> COUNT(c.member_id)"
            )
        ).fetchmany(show)
        problems.extend(
            f"invoice {row.number}: total {row.total} for {row.members} members, "
            f"lines {row.lines} for {row.n}"
            for row in invoices
        )
        from jaring.claims.ledger import payout_problems

        result.benefits_paid, result.compensation_paid, payout = payout_problems(conn, show)
        problems.extend(payout)
        return result


def sponsor_months_in(
    conn: Connection, sponsor_ids: list[int], first: date, end: date
) -> dict[tuple[int, date], tuple[int, int]]:
    """Per sponsor and month in [first, end): (billed, paid) on the sponsor's charges; paid is
    what payments allocated to those charges (reversals net out)."""
    if not sponsor_ids:
        return {}
    mine = and_(charges.c.sponsor_id.in_(sponsor_ids), charges.c.month >= first, charges.c.month < end)
    billed = db.plain_rows(
        conn,
        select(charges.c.sponsor_id, charges.c.month, func.sum(charges.c.amount))
        .where(mine)
        .group_by(charges.c.sponsor_id, charges.c.month),
    )
    paid = db.plain_rows(
        conn,
        select(charges.c.sponsor_id, allocations.c.month, func.sum(allocations.c.amount))
        .select_from(
            allocations.join(
                charges,
                and_(charges.c.member_id == allocations.c.member_id, charges.c.month == allocations.c.month),
            )
        )
        .where(mine)
        .group_by(charges.c.sponsor_id, allocations.c.month),
    )
    out: dict[tuple[int, date], tuple[int, int]] = {}
    for sponsor, month, amount in billed:
        out[(int(sponsor), month)] = (int(amount or 0), 0)
    for sponsor, month, amount in paid:
        key = (int(sponsor), month)
        out[key] = (out.get(key, (0, 0))[0], int(amount or 0))
    return out
