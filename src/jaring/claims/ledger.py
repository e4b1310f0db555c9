"""The benefits ledger: every payout belongs to an approved claim, each part equals what was
decided, and a paid claim received its whole amount (`jaring ledger check` runs it); and the
claims and benefits of a region, for monitoring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from jaring.claims.model import claim_payouts, claims
from jaring.claims.states import APPROVED, OPEN, PAID, PARTLY_PAID
from jaring.reference.codes import code_prefix_range


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


@dataclass
class RegionClaims:
    filed: int = 0
    open: int = 0  # submitted, documents complete or verified: waiting for a decision
    paid: int = 0  # benefits paid, in Rupiah (compensation apart)


def totals_by_region_in(conn: Connection, prefix: str, length: int) -> dict[str, RegionClaims]:
    """Claims of a region (by the first `length` digits of the member's region) and what they
    paid; rejected claims count as filed."""
    out: dict[str, RegionClaims] = {}
    code = func.substr(claims.c.region_code, 1, length)
    scope = code_prefix_range(claims.c.region_code, prefix)
    counted = (
        select(code, func.count(), func.count().filter(claims.c.status.in_(OPEN))).where(scope).group_by(code)
    )
    counts: list[tuple[Any, ...]] = [tuple(row) for row in conn.execute(counted)]
    for region, filed, waiting in counts:
        out[str(region)] = RegionClaims(int(filed), int(waiting))
    payout_code = func.substr(claim_payouts.c.region_code, 1, length)
    paid = (
        select(payout_code, func.sum(claim_payouts.c.benefit))
        .where(code_prefix_range(claim_payouts.c.region_code, prefix))
        .group_by(payout_code)
    )
    sums: list[tuple[Any, ...]] = [tuple(row) for row in conn.execute(paid)]
    for region, amount in sums:
        out.setdefault(str(region), RegionClaims()).paid = int(amount or 0)
    return out
