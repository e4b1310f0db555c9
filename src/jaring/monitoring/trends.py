"""Month-by-month figures for the dashboard's trend charts: coverage as each month closed (the
history the roll-up writes when the month turns), the current month as it stands, and the
claims filed and benefits paid in each month.

A month missing from the history (the roll-up was not refreshed during it, or Jaring was not
running yet) is a gap in the chart, never an estimate: status depends on the payments known at
the time, and those cannot be told apart afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, case, func, select

from jaring.claims.model import claim_payouts, claims
from jaring.claims.payout_clock import WIB
from jaring.contributions.coverage import RegionCoverage
from jaring.kit import db
from jaring.kit.periods import Month
from jaring.monitoring.model import coverage_history
from jaring.reference.codes import code_prefix_range

MONTHS = 12
STATUSES = ("members", "active", "arrears", "lapsed", "not_started", "sponsored")


@dataclass
class TrendPoint:
    month: str  # YYYY-MM
    closed: bool  # False: the current month, as it stands today
    covered: int | None = None  # None: no figures were recorded for the month
    active: int | None = None
    arrears: int | None = None
    lapsed: int | None = None
    sponsored: int | None = None
    self_paying: int | None = None
    claims_filed: int = 0
    benefits_paid: int = 0


def coverage_history_in(
    conn: Connection, prefix: str, first: Month, last: Month
) -> dict[str, RegionCoverage]:
    """The closed months from `first` to `last` of the region `prefix` ('' the nation), by
    month (YYYY-MM)."""
    level = 2 if len(prefix) <= 2 else 4
    h = coverage_history
    query = (
        select(h.c.month, *(func.sum(h.c[name]) for name in STATUSES))
        .where(h.c.level == level, h.c.month >= first.first_day, h.c.month <= last.first_day)
        .group_by(h.c.month)
    )
    if prefix:
        query = query.where(code_prefix_range(h.c.region, prefix))
    out: dict[str, RegionCoverage] = {}
    for month, *figures in db.plain_rows(conn, query):
        out[str(Month.of(month))] = RegionCoverage(*(int(f or 0) for f in figures))
    return out


def _month_index(column: Any, months: list[Month]) -> Any:
    # A CASE over the month boundaries (in WIB, as the claims date themselves): the same SQL
    # on SQLite and PostgreSQL.
    starts = [datetime.combine(m.first_day, time(), tzinfo=WIB) for m in months[1:]]
    return case(*((column < start, i) for i, start in enumerate(starts)), else_=len(starts))


def claims_by_month_in(conn: Connection, prefix: str, months: list[Month]) -> tuple[list[int], list[int]]:
    """(claims filed, benefits paid in Rupiah) in each of `months` (consecutive, oldest first)."""
    begin = datetime.combine(months[0].first_day, time(), tzinfo=WIB)
    end = datetime.combine(months[-1].plus(1).first_day, time(), tzinfo=WIB)
    filed, paid = [0] * len(months), [0] * len(months)
    index = _month_index(claims.c.filed_at, months)
    for i, count in db.plain_rows(
        conn,
        select(index, func.count())
        .where(
            claims.c.filed_at >= begin,
            claims.c.filed_at < end,
            code_prefix_range(claims.c.region_code, prefix),
        )
        .group_by(index),
    ):
        filed[int(i)] = int(count)
    index = _month_index(claim_payouts.c.recorded_at, months)
    for i, amount in db.plain_rows(
        conn,
        select(index, func.sum(claim_payouts.c.benefit))
        .where(
            claim_payouts.c.recorded_at >= begin,
            claim_payouts.c.recorded_at < end,
            code_prefix_range(claim_payouts.c.region_code, prefix),
        )
        .group_by(index),
    ):
        paid[int(i)] = int(amount or 0)
    return filed, paid


def trend_in(
    conn: Connection, prefix: str, day: date, now: RegionCoverage | None, months: int = MONTHS
) -> list[TrendPoint]:
    """The `months` months up to the month of `day`, oldest first. `now`: the figures of the
    month of `day` as they stand (shown for the current month, which has not closed)."""
    last = Month.of(day)
    span = [last.plus(k - months + 1) for k in range(months)]
    closed = coverage_history_in(conn, prefix, span[0], last)
    filed, paid = claims_by_month_in(conn, prefix, span)
    points = []
    for i, month in enumerate(span):
        found = closed.get(str(month))
        current = found is None and month == last and now is not None
        if current:
            found = now
        point = TrendPoint(str(month), closed=not current, claims_filed=filed[i], benefits_paid=paid[i])
        if found is not None:
            point.covered = found.covered
            point.active, point.arrears, point.lapsed = found.active, found.arrears, found.lapsed
            point.sponsored = found.sponsored
            point.self_paying = found.covered - found.sponsored
        points.append(point)
    return points
