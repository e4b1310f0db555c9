"""Keep and read the coverage roll-up (see monitoring/model.py for what it holds and why).

`refresh` recounts the regencies the triggers marked, or everything when the month changed or
many regencies are marked (after a billing run, say), then sums the provinces they are in.
Each refresh first takes the marks it will recount (DELETE … RETURNING), so two refreshes never
count a regency twice, and a change that commits after the marks were taken leaves its own
mark for the next refresh."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    text,
    update,
)

from jaring.contributions.coverage import RegionCoverage, tally_by_status
from jaring.contributions.due import arrears_limit
from jaring.contributions.model import member_accounts
from jaring.kit import db
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.model import members, payer_assignments
from jaring.monitoring.model import (
    coverage_history,
    coverage_rollup,
    funding_rollup,
    rollup_dirty,
    rollup_state,
)
from jaring.reference.codes import code_prefix_range

# Above this many marked regencies one grouped pass over every member beats one pass each.
FULL_REBUILD_AT = 64
# A page recounts up to this many marked regencies, holding up to INLINE_MEMBERS members
# between them, before it answers; more (a billing run, a new month, big regencies) are
# recounted in the background while pages read the figures as they were. A recount costs
# about 30-40 µs a member on PostgreSQL (bench/dashboard.py): 10,000 members is ~0.3 s.
INLINE_AT_MOST = 8
INLINE_MEMBERS = 10_000
# Paid-through months further back than this are stored as this far back: on any day of the
# built month they are all lapsed alike, and the roll-up keeps a dozen months, not decades.
HORIZON_MONTHS = 24
REGENCY, PROVINCE = 4, 2
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refreshed:
    kind: str  # "none" | "regencies" | "full"
    regencies: int  # how many were recounted (0 for none; every regency for full)


def refresh(url: str | None = None, today: date | None = None, *, full: bool = False) -> Refreshed:
    """Bring the roll-up up to date for the month of `today`."""
    month = Month.of(today or date.today())
    if arrears_limit(month) >= HORIZON_MONTHS - 1:
        raise RuntimeError("the arrears limit reaches the roll-up's horizon: raise HORIZON_MONTHS")
    with db.transaction(url) as conn:
        # The state row is the lock: a second full rebuild waits here, then finds it done.
        built = conn.execute(
            select(rollup_state.c.month).where(rollup_state.c.id == 1).with_for_update()
        ).scalar_one_or_none()
        if built is not None and built < month.first_day:
            # The month that ended is recorded as it stood at its close, then left behind.
            closed = Month.of(built)
            _recount_marked(conn, closed)
            _record_close(conn, closed)
        if full or built != month.first_day:
            return _rebuild_all(conn, month)
        return _recount_marked(conn, month)


def _recount_marked(conn: Connection, month: Month) -> Refreshed:
    marked = [row[0] for row in conn.execute(delete(rollup_dirty).returning(rollup_dirty.c.regency))]
    if not marked:
        return Refreshed("none", 0)
    if len(marked) >= FULL_REBUILD_AT:
        return _rebuild_all(conn, month)
    if conn.dialect.name == "postgresql":
        # A regency's members are a few thousand: probe their payer assignments by index.
        # With the default cost of a random read (made for spinning disks) the planner
        # hashes every assignment in the country instead, ~20× slower at 10 million.
        conn.execute(text("SET LOCAL random_page_cost = 1.1"))
    for regency in marked:
        conn.execute(_rows_of(REGENCY, regency))
        conn.execute(_count_regencies(month, code_prefix_range(members.c.region_code, regency)))
        conn.execute(delete(funding_rollup).where(funding_rollup.c.region == regency))
        conn.execute(_count_funding(month, code_prefix_range(members.c.region_code, regency)))
    for province in sorted({regency[:2] for regency in marked}):
        conn.execute(_rows_of(PROVINCE, province))
        conn.execute(_sum_provinces(province))
    return Refreshed("regencies", len(marked))


def _record_close(conn: Connection, month: Month) -> None:
    """The month's figures on its last day, per province and regency, into the history."""
    day, now = month.last_day, datetime.now(UTC)
    conn.execute(delete(coverage_history).where(coverage_history.c.month == month.first_day))
    for level in (PROVINCE, REGENCY):
        counts = counts_by_region_in(conn, "", level, day)
        if counts:
            conn.execute(
                insert(coverage_history),
                [
                    {
                        "month": month.first_day,
                        "level": level,
                        "region": region,
                        "members": c.members,
                        "active": c.active,
                        "arrears": c.arrears,
                        "lapsed": c.lapsed,
                        "not_started": c.not_started,
                        "sponsored": c.sponsored,
                        "recorded_at": now,
                    }
                    for region, c in sorted(counts.items())
                ],
            )


@dataclass(frozen=True)
class State:
    month: date | None  # the month the roll-up was built for (None: never built)
    marked: int  # regencies waiting to be recounted
    marked_members: int = 0  # members those regencies held at their last count

    def quick(self) -> bool:
        """Whether recounting what is marked is quick enough for a page to wait for it."""
        return self.marked <= INLINE_AT_MOST and self.marked_members <= INLINE_MEMBERS


def state(url: str | None = None) -> State:
    with db.reading(url) as conn:
        month = conn.execute(select(rollup_state.c.month).where(rollup_state.c.id == 1)).scalar_one_or_none()
        marked = conn.execute(select(func.count()).select_from(rollup_dirty)).scalar_one()
        held: Any = conn.execute(
            select(func.sum(coverage_rollup.c.members)).where(
                coverage_rollup.c.level == REGENCY,
                coverage_rollup.c.region.in_(select(rollup_dirty.c.regency)),
            )
        ).scalar_one()
    return State(month, int(marked), int(held or 0))


_background = threading.Lock()


def refresh_in_background(url: str | None = None) -> bool:
    """Start one refresh on a daemon thread unless one is running in this process; True when
    one was started. Errors are logged, never raised: the next page view tries again."""
    if not _background.acquire(blocking=False):
        return False

    def run() -> None:
        try:
            refresh(url)
        except Exception:  # a page must never fail because the roll-up could not refresh
            log.exception("coverage roll-up refresh failed")
        finally:
            _background.release()

    threading.Thread(target=run, name="rollup-refresh", daemon=True).start()
    return True


def _rebuild_all(conn: Connection, month: Month) -> Refreshed:
    conn.execute(delete(rollup_dirty))
    conn.execute(delete(coverage_rollup))
    conn.execute(_count_regencies(month, None))
    conn.execute(_sum_provinces(None))
    conn.execute(delete(funding_rollup))
    conn.execute(_count_funding(month, None))
    conn.execute(
        update(rollup_state)
        .where(rollup_state.c.id == 1)
        .values(month=month.first_day, built_at=datetime.now(UTC))
    )
    distinct = conn.execute(
        select(func.count(func.distinct(coverage_rollup.c.region))).where(coverage_rollup.c.level == REGENCY)
    ).scalar_one()
    return Refreshed("full", int(distinct))


def _rows_of(level: int, region: str) -> Any:
    return delete(coverage_rollup).where(coverage_rollup.c.level == level, coverage_rollup.c.region == region)


def _count_regencies(month: Month, where: ColumnElement[bool] | None) -> Any:
    regency = func.substr(members.c.region_code, 1, REGENCY)
    horizon = month.plus(-HORIZON_MONTHS).first_day
    paid = member_accounts.c.paid_through
    paid_through = case((paid < horizon, literal(horizon)), else_=paid)
    started = case((member_accounts.c.first_paid_at.is_not(None), 1), else_=0)
    paying, pays = membership.sponsor_paying_in_month(members.c.id, month.first_day)
    sponsored = case((paying.c.member_id.is_not(None), 1), else_=0)
    counted = (
        select(literal(REGENCY), regency, paid_through, started, sponsored, func.count())
        .select_from(members)
        .outerjoin(member_accounts, member_accounts.c.member_id == members.c.id)
        .outerjoin(paying, pays)
        .where(members.c.segment == "bpu")
        .group_by(regency, paid_through, started, sponsored)
    )
    if where is not None:
        counted = counted.where(where)
    return insert(coverage_rollup).from_select(
        ["level", "region", "paid_through", "started", "sponsored", "members"], counted
    )


def _count_funding(month: Month, where: ColumnElement[bool] | None) -> Any:
    """Members each sponsor pays for in the month, by regency and the month the funding ends
    (NULL when another assignment follows on), as `sponsors.cliffs` finds the ends."""
    paying, pays = membership.sponsor_paying_in_month(members.c.id, month.first_day)
    # An outer join, not EXISTS inside the CASE: that would probe once per sponsored member
    # even in a full rebuild. At most one assignment starts the month another ends (overlaps
    # are refused), so the join adds no rows.
    later = payer_assignments.alias("later")
    follows = and_(later.c.member_id == paying.c.member_id, later.c.from_month == paying.c.to_month)
    ends = case((later.c.id.is_not(None), null()), else_=paying.c.to_month)
    regency = func.substr(members.c.region_code, 1, REGENCY)
    counted = (
        select(regency, paying.c.sponsor_id, ends, func.count())
        .select_from(members)
        .join(paying, pays)
        .outerjoin(later, follows)
        .where(members.c.segment == "bpu")
        .group_by(regency, paying.c.sponsor_id, ends)
    )
    if where is not None:
        counted = counted.where(where)
    return insert(funding_rollup).from_select(["region", "sponsor_id", "ends_on", "members"], counted)


def _sum_provinces(province: str | None) -> Any:
    rows = coverage_rollup.alias("regencies")
    code = func.substr(rows.c.region, 1, PROVINCE)
    summed = (
        select(
            literal(PROVINCE),
            code,
            rows.c.paid_through,
            rows.c.started,
            rows.c.sponsored,
            func.sum(rows.c.members),
        )
        .where(rows.c.level == REGENCY)
        .group_by(code, rows.c.paid_through, rows.c.started, rows.c.sponsored)
    )
    if province is not None:
        summed = summed.where(code_prefix_range(rows.c.region, province))
    return insert(coverage_rollup).from_select(
        ["level", "region", "paid_through", "started", "sponsored", "members"], summed
    )


def counts_by_region_in(conn: Connection, prefix: str, length: int, on: date) -> dict[str, RegionCoverage]:
    """What `coverage.counts_by_region_in` says, read from the roll-up: provinces (`length` 2)
    or regencies (4) within `prefix`, on a day of the month the roll-up was built for."""
    if length not in (PROVINCE, REGENCY):
        raise ValueError("the roll-up holds provinces and regencies; districts are counted from the members")
    query = select(
        coverage_rollup.c.region,
        coverage_rollup.c.paid_through,
        coverage_rollup.c.started,
        coverage_rollup.c.sponsored,
        coverage_rollup.c.members,
    ).where(coverage_rollup.c.level == length)
    if prefix:
        query = query.where(code_prefix_range(coverage_rollup.c.region, prefix))
    return tally_by_status([tuple(row) for row in conn.execute(query)], on)


def serves(on: date, today: date | None = None) -> bool:
    """The roll-up answers for days of the current month up to today (who pays is stored for
    this month); other days are counted from the members."""
    now = today or date.today()
    return Month.of(on) == Month.of(now) and on <= now
