"""What a claim pays: the regulation engine's calculators, as in force on the event date, fed
with what the store knows (declared income, months in arrears on that date, contribution
months, JHT paid in) and what the claim states (bills, disability percentage...).

Each answer is a `Calculation` whose lines carry their legal references, plus how much of it
is payable at once and how much waits for the arrears to be paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from jaring.claims.kinds import Kind
from jaring.kit.errors import BadInput
from jaring.rules import calculators
from jaring.rules.calculation import Calculation, Line
from jaring.rules.engine import Usage, default_rulebook
from jaring.rules.errors import InvalidInput


@dataclass(frozen=True)
class Facts:
    """What the store knows about the member on the event date."""

    segment: str  # bpu | pu | pmi
    income: int  # declared income (BPU) in force in the event month
    arrears_months: int  # consecutive months unpaid on the event date, as known then
    contribution_months: int  # months paid in full up to the event month
    jht_paid: int  # JHT contributions paid in on those months
    membership_months: int  # whole months from registration to the event


@dataclass(frozen=True)
class Outcome:
    calculation: Calculation
    entitled: bool
    total: int
    now: int
    reason: str | None


def _cite(name: str, day: date) -> str:
    entry = default_rulebook()[name].find(day)
    return "" if entry is None else entry.cite()


def _segment(facts: Facts) -> str:
    # PMI members follow the BPU rules on arrears: they pay their own contributions.
    return "pu" if facts.segment == "pu" else "bpu"


def _jkk_cash_or_care(
    kind: str, amount: int, line_code: str, reference: str, day: date, facts: Facts, *, care: bool
) -> Calculation:
    """Medical care (given even when 1-3 months behind) or transport (cash: after the arrears
    are paid), with the same arrears rules as every JKK benefit (PP 44/2015 Art. 38-39)."""
    rules = default_rulebook()
    limit = int(rules["arrears.limit_months"].value(day, Usage(allow_unconfirmed=False)))
    behind = 0 < facts.arrears_months <= limit
    beyond = facts.arrears_months > limit
    employer = facts.segment == "pu"
    entitled = not beyond or employer
    withheld = beyond if employer else (beyond or (behind and not care))
    calc = Calculation(kind, day, [Line(line_code, amount, reference)] if entitled else [])
    calc.extras["entitled"] = entitled
    calc.extras["payable_now"] = 0 if withheld or not entitled else amount
    if not entitled:
        calc.extras["reason"] = (
            f"{facts.arrears_months} months of arrears is more than {limit} consecutive months: no right "
            "to the JKK benefit (PP 44/2015 Art. 39(2))"
        )
    return calc


def calculate(kind: Kind, details: dict[str, Any], day: date, facts: Facts, *, funeral_only: bool) -> Outcome:
    """The claim's amounts by the rules in force on `day`; a value the calculators refuse is
    BadInput naming the claim's details."""
    try:
        calc = _calculate(kind, details, day, facts)
    except InvalidInput as error:
        raise BadInput(str(error), field="details") from None
    if funeral_only:
        # No heir at all: whoever handled the funeral receives the funeral cost only.
        calc.lines = [line for line in calc.lines if line.code.endswith("funeral")]
        calc.extras["payable_now"] = min(int(calc.extras.get("payable_now", 0)), calc.total)
        calc.notes.append(
            (
                "Tidak ada ahli waris: yang mengurus pemakaman menerima biaya pemakaman saja.",
                "No heir: whoever handled the funeral receives the funeral cost only.",
            )
        )
    entitled = bool(calc.extras.get("entitled", True))
    total = calc.total if entitled else 0
    now = min(int(calc.extras.get("payable_now", total)), total) if entitled else 0
    return Outcome(calc, entitled, total, now, calc.extras.get("reason"))


def _calculate(kind: Kind, details: dict[str, Any], day: date, facts: Facts) -> Calculation:
    wage = int(details.get("wage") or facts.income)
    segment = _segment(facts)
    arrears = facts.arrears_months
    code = kind.code
    if code == "jkk_medical":
        default_rulebook()["jkk.medical_care"].value(day, Usage(allow_unconfirmed=False))
        return _jkk_cash_or_care(
            "claim_jkk_medical", int(details["cost"]), "jkk_medical", _cite("jkk.medical_care", day), day,
            facts, care=True,
        )  # fmt: skip
    if code == "jkk_transport":
        table = default_rulebook()["jkk.transport_ceiling"].value(day, Usage(allow_unconfirmed=False))
        ceiling = next(int(row["ceiling"]) for row in table if row["mode"] == details["mode"])
        calc = _jkk_cash_or_care(
            "claim_jkk_transport", min(int(details["cost"]), ceiling), "jkk_transport",
            _cite("jkk.transport_ceiling", day), day, facts, care=False,
        )  # fmt: skip
        calc.extras["ceiling"] = ceiling
        return calc
    if code == "jkk_stmb":
        return calculators.benefit_stmb(
            wage=wage, months=int(details["months"]), event_date=day, arrears_months=arrears, segment=segment
        )
    if code == "jkk_disability":
        return calculators.benefit_jkk_disability(
            wage=wage,
            percent=details["percent"],
            function_loss_percent=details.get("function_loss_percent"),
            event_date=day,
            arrears_months=arrears,
            segment=segment,
        )
    if code == "jkk_death":
        return calculators.benefit_jkk_death(
            wage=wage, event_date=day, arrears_months=arrears, segment=segment
        )
    if code == "jkm_death":
        return calculators.benefit_jkm(
            death_date=day, contribution_months=facts.contribution_months, arrears_months=arrears
        )
    if code == "jht":
        balance = facts.jht_paid + int(details.get("return_amount") or 0)
        calc = calculators.benefit_jht(
            balance=balance,
            reason=details["reason"],
            event_date=day,
            membership_months=facts.membership_months,
        )
        calc.extras["contributions_paid_in"] = facts.jht_paid
        calc.extras["development_return"] = int(details.get("return_amount") or 0)
        return calc
    if code == "jkp":
        return calculators.benefit_jkp(
            wage=int(details["wage"]),
            phk_date=day,
            contribution_months=int(details["contribution_months"]),
            consecutive_months=details.get("consecutive_months"),
        )
    if code == "pmi_jkm":
        return calculators.benefit_pmi_jkm(death_date=day)
    raise BadInput(f"claim type {code} has no calculation", field="kind")
