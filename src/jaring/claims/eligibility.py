"""Is the claim payable, and how much: coverage on the event date as known at the end of that
day, the terms in force, the contribution period, the claim windows; then the amounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, func, select

from jaring.claims import amounts, kinds
from jaring.claims.model import claims
from jaring.claims.payout_clock import (
    WIB,
    rule,
)
from jaring.claims.states import REJECTED
from jaring.contributions import coverage
from jaring.kit.periods import Month, add_months
from jaring.membership import service as membership
from jaring.rules.formulas.codes import JHT, JKK, JKM

PROGRAM_BITS = {"jkk": JKK, "jkm": JKM, "jht": JHT}


@dataclass(frozen=True)
class Assessed:
    facts: amounts.Facts
    assessment: dict[str, Any]
    refusal: tuple[str, str] | None


def assess(
    conn: Connection,
    kind: kinds.Kind,
    member: Any,
    day: date,
    today: date,
    details: dict[str, Any] | None = None,
    exclude_id: int | None = None,
) -> Assessed:
    """Coverage on the event date as it was known at the end of that day (arrears paid after
    the event cannot buy back a lapsed right), the terms in force, the contribution period,
    and the claim windows."""
    month = max(Month.of(day), Month.of(member.registered_on))
    income, programs = membership.terms_in(conn, member.id, month.first_day)
    paid_months, jht_paid = coverage.paid_months_in(conn, member.id, Month.of(day))
    registered = Month.of(member.registered_on)
    membership_months = (Month.of(day).year - registered.year) * 12 + Month.of(day).month - registered.month
    assessment: dict[str, Any] = {
        "income": income,
        "contribution_months": paid_months,
        "jht_paid": jht_paid,
        "membership_months": membership_months,
        "notes": [],
    }
    refusal: tuple[str, str] | None = None
    arrears = 0
    bit = PROGRAM_BITS.get(kind.program)
    if bit is not None and not programs & bit:
        refusal = ("program_not_held", f"the member was not enrolled in {kind.program.upper()} on {day}")
    if kind.covered and member.segment == "pu":
        assessment["notes"].append(
            "Employer contributions are not billed through Jaring: a wage earner's coverage on the event "
            "date is the employer's report (PP 44/2015 Art. 27, 38)."
        )
    elif kind.covered:
        known = datetime.combine(day, time.max, tzinfo=WIB)
        status = coverage.check_in(conn, member, day, as_of=known)
        assessment["coverage"] = {
            "status": status.status,
            "paid_through": status.paid_through,
            "months_in_arrears": status.months_in_arrears,
            "as_of": known.isoformat(),
        }
        arrears = status.months_in_arrears
        if refusal is None and status.status == coverage.NOT_STARTED:
            refusal = (
                "not_covered",
                f"not covered on {day}: no contribution had been paid in full by then (PP 44/2015 Art. 11: "
                "protection starts with the first contribution paid)",
            )
        elif refusal is None and status.status == coverage.LAPSED:
            article = "Art. 39(2)" if kind.program == "jkk" else "Art. 42(2)"
            refusal = (
                "lapsed",
                f"{arrears} months unpaid on {day}, more than 3 consecutive months: no right to "
                f"{kind.program.upper()} (PP 44/2015 {article})",
            )
    if kind.program == "pmi":
        assessment["notes"].append(
            "PMI contract contributions are not billed through Jaring: the proof of payment is a document "
            "of this claim (bukti_iuran_pmi)."
        )
    if refusal is None and kind.program == "jkk":
        years = int(rule("jkk.claim_expiry_years", day))
        closes = add_months(day, 12 * years)
        assessment["claim_window_closes"] = closes.isoformat()
        if today > closes:
            refusal = (
                "claim_window_closed",
                f"a JKK claim must be made within {years} years of the accident; that ended on {closes} "
                "(PP 82/2019 Art. 26)",
            )
    if refusal is None and kind.program == "jkp":
        window = int(rule("jkp.claim_window_months", day))
        closes = add_months(day, window)
        assessment["claim_window_closes"] = closes.isoformat()
        if today > closes:
            refusal = (
                "claim_window_closed",
                f"JKP must be claimed within {window} months of the dismissal; that ended on {closes}",
            )
    if kind.code == "jht":
        withdrawn = _jht_withdrawn(conn, member.id, exclude_id)
        assessment["jht_withdrawn"] = withdrawn
        jht_paid = max(jht_paid - withdrawn, 0)
        if refusal is None:
            refusal = _jht_age(member, day, (details or {}).get("reason"))
    assessment["arrears_months"] = arrears
    facts = amounts.Facts(
        segment=member.segment,
        income=income,
        arrears_months=arrears,
        contribution_months=paid_months,
        jht_paid=jht_paid,
        membership_months=membership_months,
    )
    return Assessed(facts, assessment, refusal)


def decide(
    conn: Connection,
    kind: kinds.Kind,
    member: Any,
    day: date,
    today: date,
    details: dict[str, Any],
    funeral_only: bool,
    exclude_id: int | None = None,
) -> tuple[dict[str, Any], amounts.Outcome | None, tuple[str, str] | None]:
    assessed = assess(conn, kind, member, day, today, details, exclude_id)
    refusal = assessed.refusal
    outcome = None
    if refusal is None:
        outcome = amounts.calculate(kind, details, day, assessed.facts, funeral_only=funeral_only)
        if not outcome.entitled:
            refusal = (
                "not_entitled",
                str(outcome.reason or "the rules in force give no right to this benefit"),
            )
        elif outcome.total <= 0:
            refusal = ("nothing_to_pay", "the rules in force give no amount to pay on this claim")
    assessment = {**assessed.assessment, "funeral_only": funeral_only}
    if kind.code == "jht" and outcome is not None:
        assessment["payable_from"] = outcome.calculation.extras.get("payable_from")
    return assessment, outcome, refusal


def _jht_withdrawn(conn: Connection, member_id: int, exclude_id: int | None) -> int:
    """What earlier JHT claims of the member took (or will take) from the balance: a partial
    withdrawal lowers what a later full one pays."""
    query = select(func.coalesce(func.sum(claims.c.amount_total), 0)).where(
        claims.c.member_id == member_id, claims.c.kind == "jht", claims.c.status != REJECTED
    )
    if exclude_id is not None:
        query = query.where(claims.c.id != exclude_id)
    return int(conn.execute(query).scalar_one())


def _jht_age(member: Any, day: date, reason: Any) -> tuple[str, str] | None:
    """Retirement is at the JHT retirement age (PP 60/2015 Art. 26); a wage earner's contract
    may set another, so only the others are held to it here."""
    if reason != "retirement" or member.segment == "pu":
        return None
    age = int(rule("jht.retirement_age", day))
    born = member.birth_date
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    if years >= age:
        return None
    return (
        "not_entitled",
        f"the JHT retirement age is {age}; the member was {years} on {day} (PP 60/2015 Art. 26)",
    )
