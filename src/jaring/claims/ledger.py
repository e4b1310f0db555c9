"""The benefits ledger: every payout belongs to an approved claim, each part equals what was
decided, and a paid claim received its whole amount. `jaring ledger check` runs it."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from jaring.claims.model import claim_payouts, claims
from jaring.claims.states import APPROVED, PAID, PARTLY_PAID


def payout_problems(conn: Connection, show: int = 20) -> tuple[int, int, list[str]]:
    """(benefits paid, compensation paid, problems): every payout belongs to an approved claim,
    each part equals what was decided, and a paid claim has received its whole amount."""
    benefits = int(conn.execute(select(func.coalesce(func.sum(claim_payouts.c.benefit), 0))).scalar_one())
    compensation = int(
        conn.execute(select(func.coalesce(func.sum(claim_payouts.c.compensation), 0))).scalar_one()
    )
    problems: list[str] = []
    paid = (
        select(
            claim_payouts.c.claim_id,
            func.sum(claim_payouts.c.benefit).label("benefit"),
            func.count().label("parts"),
        )
        .group_by(claim_payouts.c.claim_id)
        .subquery()
    )
    rows = conn.execute(
        select(claims.c.id, claims.c.status, claims.c.amount_total, paid.c.benefit)
        .join_from(paid, claims, claims.c.id == paid.c.claim_id)
        .where(
            (claims.c.status.not_in((APPROVED, PARTLY_PAID, PAID)))
            | (paid.c.benefit > claims.c.amount_total)
            | ((claims.c.status == PAID) & (paid.c.benefit != claims.c.amount_total))
        )
        .limit(show)
    ).all()
    problems.extend(
        f"claim {r.id} ({r.status}): paid {int(r.benefit)} of a decided {int(r.amount_total)}" for r in rows
    )
    wrong = conn.execute(
        select(claim_payouts.c.id)
        .where(claim_payouts.c.amount != claim_payouts.c.benefit + claim_payouts.c.compensation)
        .limit(show)
    ).all()
    problems.extend(f"payout {r.id}: amount is not benefit + compensation" for r in wrong)
    return benefits, compensation, problems
