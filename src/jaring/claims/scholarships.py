"""Children's scholarships after a death or a total permanent disability (PP 82/2019 Art. 25(2)b(8),
34; Permenaker 5/2021): claimed every school year, per child and level, on the approved claim
they follow, and ending at the statutory limits.

- at most two children per death or disability (jkm.scholarship_children);
- each level for at most its years (jkm.scholarship_table), at its amount a year;
- not once the child is 23 at the start of the school year (1 July);
- after a JKM death, only with the minimum contribution period (jkm.scholarship_min_months);
  after a work accident, with none (jkk.scholarship_min_months);
- when the member was behind on the event date, paid with the rest once the arrears are paid
  (PP 44/2015 Art. 42(1)).

The amounts are the table in force on the event date of the claim they follow.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from jaring.claims import amounts
from jaring.claims.model import claims
from jaring.claims.payout_clock import rule
from jaring.claims.states import APPROVED, PAID, PARTLY_PAID, REJECTED
from jaring.kit.errors import BadInput
from jaring.rules.calculation import Calculation, Line
from jaring.rules.engine import default_rulebook

AGE_LIMIT = 23  # the scholarship ends when the child reaches 23, marries or works
FOLLOWS = ("jkm_death", "jkk_death", "jkk_disability")


def parent_in(conn: Connection, member_id: int, details: dict[str, Any]) -> Any:
    """The approved death (or total disability) claim a scholarship follows; BadInput naming
    `details.parent_claim` when it is not one of this member's, or not approved."""
    number = int(details["parent_claim"])
    row = conn.execute(select(claims).where(claims.c.id == number, claims.c.member_id == member_id)).first()
    total = row is not None and (row.kind != "jkk_disability" or str(row.details.get("percent")) == "100")
    if row is None or row.kind not in FOLLOWS or not total:
        raise BadInput(
            f"claim {number} is not a death or total-disability claim of this member",
            field="details.parent_claim",
        )
    if row.status not in (APPROVED, PARTLY_PAID, PAID):
        raise BadInput(
            f"claim {number} is {row.status}; a scholarship follows an approved claim",
            field="details.parent_claim",
        )
    return row


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def decide(
    conn: Connection, parent: Any, details: dict[str, Any], *, exclude_id: int | None = None
) -> tuple[dict[str, Any], amounts.Outcome | None, tuple[str, str] | None]:
    day = parent.event_date
    program = parent.program
    arrears = int(parent.assessment.get("arrears_months", 0))
    months = int(parent.assessment.get("contribution_months", 0))
    assessment: dict[str, Any] = {
        "follows": int(parent.id),
        "arrears_months": arrears,
        "contribution_months": months,
        "notes": [],
    }
    needed = int(rule(f"{program}.scholarship_min_months", day))
    table = {row["level"]: row for row in rule("jkm.scholarship_table", day)}
    children_max = int(rule("jkm.scholarship_children", day))
    earlier = [
        r.details
        for r in conn.execute(
            select(claims.c.id, claims.c.details).where(
                claims.c.member_id == parent.member_id,
                claims.c.kind == "scholarship",
                claims.c.status != REJECTED,
            )
        )
        if int(r.details.get("parent_claim", 0)) == int(parent.id) and r.id != exclude_id
    ]
    child = (details["child_order"], details["child_birth_date"])
    children = {(d["child_order"], d["child_birth_date"]) for d in earlier}
    level = details["level"]
    used = sum(
        1 for d in earlier if (d["child_order"], d["child_birth_date"]) == child and d["level"] == level
    )
    start = date(int(details["school_year"]), 7, 1)
    age = _age_on(date.fromisoformat(details["child_birth_date"]), start)
    refusal: tuple[str, str] | None = None
    if months < needed:
        refusal = (
            "not_entitled",
            f"the scholarship needs at least {needed} contribution months; the member had {months}",
        )
    elif level not in table:
        refusal = ("not_entitled", f"the rules in force on {day} have no {level} scholarship level")
    elif child not in children and len(children) >= children_max:
        refusal = ("children_limit", f"scholarships are for at most {children_max} children; they are taken")
    elif used >= int(table[level]["years"]):
        refusal = (
            "level_years_used",
            f"{level} is paid for at most {table[level]['years']} years; all are used",
        )
    elif age >= AGE_LIMIT or age < 0:
        refusal = ("child_age", f"the child is {age} on {start}; the scholarship ends at {AGE_LIMIT}")
    if refusal is not None:
        return assessment, None, refusal
    amount = int(table[level]["amount_per_year"])
    entry = default_rulebook()["jkm.scholarship_table"].find(day)
    calc = Calculation(
        "claim_scholarship", day, [Line("scholarship", amount, "" if entry is None else entry.cite())]
    )
    calc.extras.update(
        level=level, school_year=int(details["school_year"]), years_max=int(table[level]["years"])
    )
    # Behind on the event date: paid with the rest of the benefit, once the arrears are paid.
    now = 0 if arrears else amount
    return assessment, amounts.Outcome(calc, True, amount, now, None), None
