"""The coverage engine: for any member and date, are they protected, and for what?

Status on a date D, from the paid-through month P (the end of the unbroken run of fully
paid months from the member's first charge):

- ``not_started``: no contribution paid in full yet, or D before the first was paid
  (PP 44/2015 art. 11: registered is not covered);
- ``active``: no month due by D is unpaid;
- ``arrears``: 1-3 consecutive months due and unpaid: JKK medical care and the JKM funeral
  cost only, the rest once the arrears are paid (PP 44/2015 art. 39(1), 42(1));
- ``lapsed``: more than 3: no right to JKK or JKM (art. 39(2), 42(2)).

A month is due after its due date (the 15th of the month itself for JKK+JKM, of the next
month for JHT, moved to a working day). "What we know now" is the default; ``as_of`` asks
what was known at an earlier moment (payments received later are ignored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, case, func, select, text

from jaring.contributions import allocation
from jaring.contributions.due import arrears_limit, bpu_due_dates
from jaring.contributions.model import member_accounts
from jaring.kit import db
from jaring.kit.auth import MEMBER, Principal, region_filter, require
from jaring.kit.errors import BadInput
from jaring.kit.periods import Month
from jaring.membership import service as membership
from jaring.membership.numbers import participant_number
from jaring.rules.formulas.codes import JHT, JKK, JKM

NOT_STARTED, ACTIVE, ARREARS, LAPSED = "not_started", "active", "arrears", "lapsed"
# What each program still pays while the member is in arrears (PP 44/2015 art. 39, 42).
BENEFITS = {
    "jkk": {ACTIVE: "all", ARREARS: "medical_care_only", LAPSED: "none", NOT_STARTED: "none"},
    "jkm": {ACTIVE: "all", ARREARS: "funeral_only", LAPSED: "none", NOT_STARTED: "none"},
}
WARNING_DAYS = 31  # "one month before the 3-month boundary"


@dataclass
class Coverage:
    participant_number: str
    date: str
    status: str
    paid_through: str | None
    months_in_arrears: int
    programs: dict[str, dict[str, Any]]
    first_paid_on: str | None = None
    lapses_on: str | None = None  # the day the status becomes lapsed if nothing is paid
    as_of: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def months_unpaid(paid_through: Month | None, first_due: Month, on: date, jht: bool = False) -> int:
    """Consecutive months after `paid_through` (or from `first_due`) whose due date has
    passed by `on`."""
    month = paid_through.plus(1) if paid_through is not None else first_due
    count = 0
    while month <= Month.of(on):
        due = bpu_due_dates(month)[1 if jht else 0]
        if on <= due:
            break
        count += 1
        month = month.plus(1)
    return count


def lapse_day(paid_through: Month) -> date:
    """The first day on which more months are unpaid than the arrears limit allows."""
    limit = arrears_limit(paid_through.plus(1))
    return bpu_due_dates(paid_through.plus(limit + 1))[0] + timedelta(days=1)


def status_for(months: int, limit: int) -> str:
    if months == 0:
        return ACTIVE
    return ARREARS if months <= limit else LAPSED


def assess(
    *,
    participant_number: str,
    on: date,
    standing: allocation.Standing,
    programs: int,
    as_of: datetime | None = None,
) -> Coverage:
    """The coverage of one member on `on`, from their paid-through standing."""
    paid_through = Month.of(standing.paid_through) if standing.paid_through is not None else None
    first_paid = standing.first_paid_at.date() if standing.first_paid_at is not None else None
    limit = arrears_limit(Month.of(on))
    if paid_through is None or first_paid is None or on < first_paid:
        status, months, lapses = NOT_STARTED, 0, None
    else:
        months = months_unpaid(paid_through, paid_through, on)
        status = status_for(months, limit)
        lapses = None if status == LAPSED else lapse_day(paid_through)
    detail: dict[str, dict[str, Any]] = {}
    for name, bit in (("jkk", JKK), ("jkm", JKM)):
        if programs & bit:
            detail[name] = {"covered": status in (ACTIVE, ARREARS), "benefits": BENEFITS[name][status]}
    if programs & JHT:
        jht_months = 0 if paid_through is None else months_unpaid(paid_through, paid_through, on, jht=True)
        detail["jht"] = {
            "contributing": status != NOT_STARTED and jht_months == 0,
            "months_in_arrears": jht_months,
        }
    return Coverage(
        participant_number=participant_number,
        date=on.isoformat(),
        status=status,
        paid_through=str(paid_through) if paid_through is not None else None,
        months_in_arrears=months,
        programs=detail,
        first_paid_on=first_paid.isoformat() if first_paid is not None else None,
        lapses_on=lapses.isoformat() if lapses is not None else None,
        as_of=as_of.isoformat() if as_of is not None else None,
    )


def check_in(conn: Connection, member: Any, on: date, as_of: datetime | None = None) -> Coverage:
    """Coverage of a member (a membership MemberRef) inside a caller's transaction; the
    claims domain asks this for the event date."""
    if as_of is None:
        row = conn.execute(select(member_accounts).where(member_accounts.c.member_id == member.id)).first()
        standing = _standing(None if row is None else row._asdict())
    else:
        standing = _standing_as_of(conn, member.id, as_of)
    return assess(
        participant_number=member.participant_number,
        on=on,
        standing=standing,
        programs=_programs(conn, member, on),
        as_of=as_of,
    )


def _standing(account: dict[str, Any] | None) -> allocation.Standing:
    """The standing kept in member_accounts (absent: nothing paid yet)."""
    if account is None:
        return allocation.Standing(None, None)
    return allocation.Standing(allocation.utc(account["first_paid_at"]), account["paid_through"])


def _standing_as_of(conn: Connection, member_id: int, as_of: datetime) -> allocation.Standing:
    states = allocation.charge_states_in(conn, [member_id], as_of).get(member_id, ("", []))[1]
    return allocation.standing(states)


def _programs(conn: Connection, member: Any, on: date) -> int:
    # Before registration the terms of the first month say what the member signed up for.
    month = max(Month.of(on), Month.of(member.registered_on))
    return membership.terms_in(conn, member.id, month.first_day)[1]


def _visible(conn: Connection, principal: Principal, participant_number: str) -> Any:
    return membership.visible_member_in(conn, principal, participant_number)


def check(
    *,
    principal: Principal,
    participant_number: str,
    on: date,
    as_of: datetime | None = None,
    url: str | None = None,
) -> Coverage:
    """The coverage look-up of the API: the member, their terms and their standing come in
    one query (the as-of question adds one over their charges)."""
    require(principal, "coverage.read")
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    with db.reading(url) as conn:
        found = membership.visible_member_on_in(
            conn, principal, participant_number, on, alongside=member_accounts if as_of is None else None
        )
        if as_of is None:
            standing = _standing(found.alongside)
        else:
            standing = _standing_as_of(conn, found.member.id, as_of)
    return assess(
        participant_number=found.member.participant_number,
        on=on,
        standing=standing,
        programs=found.programs,
        as_of=as_of,
    )


@dataclass
class MonthRecord:
    month: str
    charged: int
    paid: int
    paid_on: str | None
    status_at_month_end: str


def history(*, principal: Principal, participant_number: str, url: str | None = None) -> list[MonthRecord]:
    """Month by month: what was charged, what is paid, and the status at each month's end as
    it was known then (payments received later are not counted back)."""
    require(principal, "coverage.read")
    with db.store(url).connect() as conn:
        member = _visible(conn, principal, participant_number)
        now = datetime.now(UTC)
        states = allocation.charge_states_in(conn, [member.id], now).get(member.id, ("", []))[1]
        programs = _programs(conn, member, now.date())
        records = []
        for state in states:
            end = min(Month.of(state.month).last_day, now.date())
            known = datetime.combine(end, time.max, tzinfo=UTC)
            then = allocation.standing(
                allocation.charge_states_in(conn, [member.id], known).get(member.id, ("", []))[1]
            )
            status = assess(
                participant_number=member.participant_number, on=end, standing=then, programs=programs
            )
            records.append(
                MonthRecord(
                    month=str(Month.of(state.month)),
                    charged=state.amount,
                    paid=state.paid,
                    paid_on=state.last_paid_at.date().isoformat()
                    if state.last_paid_at and state.paid >= state.amount
                    else None,
                    status_at_month_end=status.status,
                )
            )
        return records


@dataclass
class AtRisk:
    participant_number: str
    region_code: str
    paid_through: str
    lapses_on: str


@dataclass
class Warnings:
    date: str
    lapse_soon: list[AtRisk] = field(default_factory=list)
    funding_ending: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def warnings(
    *, principal: Principal, on: date, within_days: int = 60, limit: int = 10_000, url: str | None = None
) -> Warnings:
    """Members who lapse within a month unless they pay, and sponsored members whose funding
    ends within `within_days` with no sponsor after it: the two ways coverage is lost
    silently."""
    require(principal, "coverage.read")
    if within_days < 0 or within_days > 366:
        raise BadInput("the warning window is 0 to 366 days", field="within_days")
    # The paid-through months whose lapse day falls in the next month: a handful of values,
    # so the scan is an indexed IN over the summary table, whatever the membership size.
    horizon = on + timedelta(days=WARNING_DAYS)
    candidates = []
    month = Month.of(on).plus(-arrears_limit(Month.of(on)) - 2)
    while month <= Month.of(on):
        if on <= lapse_day(month) <= horizon:
            candidates.append(month.first_day)
        month = month.plus(1)
    out = Warnings(date=on.isoformat())
    with db.store(url).connect() as conn:
        if candidates and principal.role != MEMBER:
            rows = conn.execute(
                select(
                    member_accounts.c.member_id, member_accounts.c.region_code, member_accounts.c.paid_through
                )
                .where(
                    member_accounts.c.paid_through.in_(candidates),
                    region_filter(principal, member_accounts.c.region_code),
                )
                .order_by(member_accounts.c.paid_through, member_accounts.c.member_id)
                .limit(limit)
            )
            out.lapse_soon = [
                AtRisk(
                    participant_number(int(r.member_id)),
                    r.region_code,
                    str(Month.of(r.paid_through)),
                    lapse_day(Month.of(r.paid_through)).isoformat(),
                )
                for r in rows
            ]
        if principal.role != MEMBER:
            out.funding_ending = membership.funding_ending_in(
                conn,
                start=on,
                end=on + timedelta(days=within_days),
                scope=region_filter,
                principal=principal,
                limit=limit,
            )
    return out


def protected_ids_in(conn: Connection, on: date) -> np.ndarray:
    """The ids of members whose status on `on` is active or arrears (as `assess` would say),
    for batch work: batch jobs must not re-target people who are protected already."""
    months = [
        r[0] for r in conn.execute(select(member_accounts.c.paid_through).distinct()) if r[0] is not None
    ]
    protecting = [m for m in months if on < lapse_day(Month.of(m))]
    if not protecting:
        return np.zeros(0, dtype=np.int64)
    paid_by = datetime.combine(on, time.max, tzinfo=UTC)
    query = select(member_accounts.c.member_id).where(
        member_accounts.c.paid_through.in_(protecting), member_accounts.c.first_paid_at <= paid_by
    )
    chunks = [np.array([r[0] for r in rows], dtype=np.int64) for rows in db.stream_tuples(conn, query)]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)


_PAID_MONTHS = text(
    """
SELECT COUNT(*) AS months, COALESCE(SUM(c.jht), 0) AS jht
FROM charges c
JOIN (SELECT month, SUM(amount) AS paid FROM allocations WHERE member_id = :member GROUP BY month) a
  ON a.month = c.month
WHERE c.member_id = :member AND c.month <= :through AND a.paid >= c.amount
"""
)


def paid_months_in(conn: Connection, member_id: int, through: Month) -> tuple[int, int]:
    """(months paid in full up to `through`, the JHT contributions in them): a member's
    contribution period ("masa iur") and JHT paid in, for the claims domain."""
    row = conn.execute(_PAID_MONTHS, {"member": member_id, "through": through.first_day}).one()
    return int(row.months), int(row.jht)


@dataclass
class RegionCoverage:
    """BPU members of a region by their status on a date, and how many a sponsor pays for."""

    members: int = 0
    active: int = 0
    arrears: int = 0
    lapsed: int = 0
    not_started: int = 0
    sponsored: int = 0  # protected and paid for by a sponsor this month

    @property
    def covered(self) -> int:
        return self.active + self.arrears

    def add(self, other: RegionCoverage) -> None:
        for name in ("members", "active", "arrears", "lapsed", "not_started", "sponsored"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def counts_by_region_in(conn: Connection, prefix: str, length: int, on: date) -> dict[str, RegionCoverage]:
    """BPU members whose region starts with `prefix`, by the first `length` digits of their
    region and by their status on `on` (as `assess` would say): one grouped query, the status
    worked out once per paid-through month."""
    people = membership.bpu_members_select(prefix).subquery()
    paid_by = datetime.combine(on, time.max, tzinfo=UTC)
    code = func.substr(people.c.region_code, 1, length)
    started = case((member_accounts.c.first_paid_at <= paid_by, 1), else_=0)
    paying, pays = membership.sponsor_paying_in_month(people.c.member_id, Month.of(on).first_day)
    sponsored = case((paying.c.member_id.is_not(None), 1), else_=0)
    query = (
        select(code, member_accounts.c.paid_through, started, sponsored, func.count())
        .select_from(people)
        .outerjoin(member_accounts, member_accounts.c.member_id == people.c.member_id)
        .outerjoin(paying, pays)
        .group_by(code, member_accounts.c.paid_through, started, sponsored)
    )
    return tally_by_status([tuple(row) for row in conn.execute(query)], on)


def tally_by_status(rows: list[tuple[Any, ...]], on: date) -> dict[str, RegionCoverage]:
    """(region, paid-through month or None, started 0/1, sponsored 0/1, count) rows → counts by
    region and status on `on` (as `assess` would say), the status worked out once per month."""
    limit = arrears_limit(Month.of(on))
    statuses: dict[Any, str] = {}
    out: dict[str, RegionCoverage] = {}
    for region, paid_through, began, by_sponsor, count in rows:
        n = int(count)
        if paid_through is None or not began:
            status = NOT_STARTED
        else:
            if paid_through not in statuses:
                month = Month.of(paid_through)
                statuses[paid_through] = status_for(months_unpaid(month, month, on), limit)
            status = statuses[paid_through]
        row = out.setdefault(str(region), RegionCoverage())
        row.members += n
        setattr(row, status, getattr(row, status) + n)
        if by_sponsor and status in (ACTIVE, ARREARS):
            row.sponsored += n
    return out
