"""One-person calculators: the CLI, the API and the regulation cases call these.

Each builds arrays of length one (or one per prepaid month) and calls the same
vectorised formula the batch engine uses, so a single answer and a ten-million
row billing run can never disagree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np

from jaring.kit import config
from jaring.kit.money import Int64Array
from jaring.kit.periods import Month, add_months, day_number, next_working_day
from jaring.rules.calculation import Calculation, Line
from jaring.rules.engine import Days, RuleBook, Usage, default_rulebook
from jaring.rules.errors import InvalidInput
from jaring.rules.formulas import benefits as bf
from jaring.rules.formulas.codes import (
    FUNDINGS,
    PROGRAMS,
    RELIEFS,
    RISK_CLASSES,
    SECTORS,
    SEGMENT_BPU,
    SEGMENT_PU,
    SEGMENTS,
    program_bits,
)
from jaring.rules.formulas.contributions import (
    LINE_CODES,
    ContributionColumns,
    ContributionResult,
    IncomeMode,
    contributions,
)
from jaring.rules.formulas.pmi import pmi_contributions

DEFAULT_PROGRAMS = {"bpu": ("jkk", "jkm"), "pu": ("jkk", "jkm", "jht", "jp")}
_LINE_PARAMS = {
    ("bpu", "jkk"): "bpu.jkk_rate",
    ("bpu", "jkm"): "bpu.jkm_amount",
    ("bpu", "jht"): "bpu.jht_rate",
    ("pu", "jkk"): "pu.jkk_rate",
    ("pu", "jkm"): "pu.jkm_rate",
    ("pu", "jht_employer"): "pu.jht_employer_rate",
    ("pu", "jht_worker"): "pu.jht_worker_rate",
    ("pu", "jp_employer"): "pu.jp_employer_rate",
    ("pu", "jp_worker"): "pu.jp_worker_rate",
    ("pu", "jp_employer_deferral"): "relief.pp49_2020_jp_deferral",
    ("pu", "jp_worker_deferral"): "relief.pp49_2020_jp_deferral",
    ("pu", "late_fine"): "pu.late_fine_rate",
}


def _usage(allow_unconfirmed: bool | None) -> Usage:
    allowed = config.allow_unconfirmed() if allow_unconfirmed is None else allow_unconfirmed
    return Usage(allow_unconfirmed=allowed)


def _one(value: int) -> Int64Array:
    return np.array([value], dtype=np.int64)


def _days(*days: date) -> Days:
    return Days(np.array([day_number(d) for d in days], dtype=np.int64))


def _cite(rules: RuleBook, name: str, days: list[date]) -> str:
    cites: list[str] = []
    for day in days:
        entry = rules[name].find(day)
        if entry is not None and entry.cite() not in cites:
            cites.append(entry.cite())
    return "; ".join(cites)


def _choice(name: str, value: str | None, options: tuple[str, ...], default: str) -> int:
    chosen = default if value is None else value
    if chosen not in options:
        raise InvalidInput(f"{name} {chosen!r} is not known; use one of: {', '.join(options)}")
    return options.index(chosen)


def _programs(segment: str, programs: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    chosen = tuple(DEFAULT_PROGRAMS[segment] if programs is None else programs)
    for name in chosen:
        if name == "jkp":
            raise InvalidInput(
                "JKP has no contribution line of its own: it is funded by the government and a "
                "recomposed part of JKK, shown under the allocation; programs are jkk, jkm, jht, jp"
            )
        if name not in PROGRAMS:
            raise InvalidInput(f"program {name!r} is not known; programs are {', '.join(PROGRAMS)}")
    return chosen


SEGMENT_OPTIONS = {
    "bpu": {"income", "programs", "sector", "funding", "months_paid"},
    "pu": {
        "wage",
        "daily_wage",
        "programs",
        "risk_class",
        "jkp_registered",
        "labour_intensive",
        "months_late",
    },
    "pmi": {"contract_months", "individual", "extension_months", "jht"},
}


def _refuse_other_segment(segment: str, **given: Any) -> None:
    for name, value in given.items():
        if value is not None and name not in SEGMENT_OPTIONS[segment]:
            raise InvalidInput(f"--{name.replace('_', '-')} does not apply to segment {segment}")


def contribution(
    *,
    segment: str,
    month: Month,
    income: int | None = None,
    wage: int | None = None,
    daily_wage: int | None = None,
    programs: list[str] | tuple[str, ...] | None = None,
    risk_class: str | None = None,
    sector: str | None = None,
    funding: str | None = None,
    months_paid: int | None = None,
    relief: bool = True,
    jkp_registered: bool | None = None,
    labour_intensive: bool | None = None,
    months_late: int | None = None,
    contract_months: int | None = None,
    individual: bool | None = None,
    extension_months: int | None = None,
    jht: int | None = None,
    income_mode: str | None = None,
    allow_unconfirmed: bool | None = None,
    rules: RuleBook | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    if segment not in SEGMENTS:
        raise InvalidInput(f"segment {segment!r} is not known; use one of: {', '.join(SEGMENTS)}")
    _refuse_other_segment(
        segment,
        income=income, wage=wage, daily_wage=daily_wage, programs=programs, risk_class=risk_class,
        sector=sector, funding=funding, months_paid=months_paid, jkp_registered=jkp_registered,
        labour_intensive=labour_intensive, months_late=months_late, contract_months=contract_months,
        individual=individual, extension_months=extension_months, jht=jht,
    )  # fmt: skip
    if segment == "pmi":
        return _pmi(month, contract_months, individual, extension_months, jht, rules, usage)
    chosen = _programs(segment, programs)
    if segment == "bpu":
        if income is None:
            raise InvalidInput("a BPU contribution needs --income (the declared income level)")
        base = income
        paid = 1 if months_paid is None else months_paid
        allowed = rules["bpu.prepayment_months"].value(month.first_day, usage)
        if paid not in allowed:
            raise InvalidInput(
                f"{paid} is not a payment period; a BPU may pay for "
                f"{', '.join(map(str, allowed))} months at once"
            )
    else:
        paid = 1
        base = _pu_wage(wage, daily_wage, month, rules, usage)
        if risk_class is None:
            raise InvalidInput(f"a PU contribution needs --risk-class ({', '.join(RISK_CLASSES)})")
    if (months_late or 0) < 0:
        raise InvalidInput("months late cannot be negative")
    months = [month.plus(i) for i in range(paid)]
    first_days = [m.first_day for m in months]
    n = len(months)
    cols = ContributionColumns(
        month=_days(*first_days).numbers,
        segment=np.full(n, SEGMENT_BPU if segment == "bpu" else SEGMENT_PU, dtype=np.int8),
        base=np.full(n, base, dtype=np.int64),
        programs=np.full(n, program_bits(chosen), dtype=np.int8),
        risk_class=np.full(
            n, _choice("risk class", risk_class, RISK_CLASSES, RISK_CLASSES[0]), dtype=np.int8
        ),
        sector=np.full(n, _choice("sector", sector, SECTORS, "other"), dtype=np.int8),
        funding=np.full(n, _choice("funding", funding, FUNDINGS, "self"), dtype=np.int8),
        jkp_registered=np.full(n, True if jkp_registered is None else jkp_registered),
        labour_intensive=np.full(n, bool(labour_intensive)),
        relief=np.full(n, relief),
        months_late=np.full(n, months_late or 0, dtype=np.int64),
    )
    mode: IncomeMode = "any" if (income_mode or config.bpu_income_mode()) == "any" else "listed"
    if income_mode not in (None, "listed", "any"):
        raise InvalidInput(f"income mode {income_mode!r} is not known; use listed or any")
    result = contributions(cols, rules, usage, income_mode=mode)
    return _contribution_calculation(segment, months, result, rules, usage)


def _pu_wage(wage: int | None, daily_wage: int | None, month: Month, rules: RuleBook, usage: Usage) -> int:
    if (wage is None) == (daily_wage is None):
        raise InvalidInput("a PU contribution needs exactly one of --wage or --daily-wage")
    if daily_wage is not None:
        days = rules["pu.daily_wage_days"].value(month.first_day, usage)
        return int(daily_wage * days)
    assert wage is not None
    return wage


def _contribution_calculation(
    segment: str,
    months: list[Month],
    result: ContributionResult,
    rules: RuleBook,
    usage: Usage,
) -> Calculation:
    first_days = [m.first_day for m in months]
    lines = []
    for code in LINE_CODES:
        amount = int(result.lines[code].sum())
        if amount == 0:
            continue
        if code in ("jkk_relief", "jkm_relief"):
            names = [RELIEFS[int(c)] for c in np.unique(result.relief) if c]
            reference = "; ".join(_cite(rules, name, first_days) for name in names if name is not None)
        else:
            reference = _cite(rules, _LINE_PARAMS[(segment, code)], first_days)
        lines.append(Line(code, amount, reference))
    split = {
        "worker": int(result.worker.sum()),
        "employer": int(result.employer.sum()),
        "government": int(result.government.sum()),
    }
    extras: dict[str, Any] = {"segment": segment, "split": split}
    if segment == "pu":
        extras["allocation"] = {k: int(v.sum()) for k, v in result.allocation.items()}
        extras["deferred"] = int(result.deferred.sum())
    if len(months) > 1:
        totals = result.total
        extras["months"] = [{"month": str(m), "total": int(t)} for m, t in zip(months, totals, strict=True)]
    extras["due_dates"] = _due_dates(segment, months[0], result, rules, usage)
    calc = Calculation("contribution", months[0].first_day, lines, extras)
    calc.warnings = usage.warnings(rules)
    if segment == "bpu" and int(result.government.sum()):
        first = months[0].first_day
        if any(rules[n].find(first) for n in ("relief.pp50_2025_transport", "relief.pp50_2025_other")):
            calc.notes.append(
                (
                    "Iuran yang dibayar APBN/APBD tidak mendapat keringanan PP 50/2025 (Pasal 3 ayat (5)).",
                    "Contributions paid from APBN/APBD get no PP 50/2025 relief (Art. 3(5)).",
                )
            )
    return calc


def _due_dates(
    segment: str, month: Month, result: ContributionResult, rules: RuleBook, usage: Usage
) -> dict[str, str]:
    holidays = config.holidays()
    day = month.first_day
    relaxed = rules["relief.pp49_2020_due_day"].value_or(day, None, usage)

    def due(target: Month, day_of_month: int) -> str:
        return next_working_day(target.day(day_of_month), holidays).isoformat()

    if relaxed is not None:
        return {"all": due(month.plus(1), relaxed)}
    if segment == "bpu":
        dates = {"jkk_jkm": due(month, rules["bpu.jkk_jkm_due_day"].value(day, usage))}
        if int(result.lines["jht"].sum()):
            dates["jht"] = due(month.plus(1), rules["bpu.jht_due_day"].value(day, usage))
        return dates
    return {"all": due(month.plus(1), rules["pu.due_day"].value(day, usage))}


def _pmi(
    month: Month,
    contract_months: int | None,
    individual: bool | None,
    extension_months: int | None,
    jht: int | None,
    rules: RuleBook,
    usage: Usage,
) -> Calculation:
    day = month.first_day
    rules["pmi.placement"].value(day, usage)  # a clear "not in force" before Permenaker 4/2023
    if (extension_months or 0) < 0:
        raise InvalidInput("extension months cannot be negative")
    amounts = pmi_contributions(
        _days(day),
        _one(24 if contract_months is None else contract_months),
        np.array([bool(individual)]),
        _one(extension_months or 0),
        _one(jht or 0),
        rules,
        usage,
    )
    params = {
        "pmi_pre_departure": "pmi.pre_departure",
        "pmi_placement": "pmi.placement",
        "pmi_extension": "pmi.extension_monthly",
        "jht": "pmi.jht_minimum",
    }
    lines = [
        Line(code, int(amount[0]), _cite(rules, params[code], [day]))
        for code, amount in amounts.items()
        if int(amount[0])
    ]
    calc = Calculation("contribution", day, lines, {"segment": "pmi"})
    calc.extras["split"] = {"worker": calc.total, "employer": 0, "government": 0}
    calc.warnings = usage.warnings(rules)
    return calc


# ----------------------------------------------------------------- benefits


def _benefit_calculation(
    kind: str, day: date, benefit: bf.Benefit, rules: RuleBook, usage: Usage
) -> Calculation:
    lines = [
        Line(code, int(amount[0]), _cite(rules, benefit.sources[code], [day]))
        for code, amount in benefit.lines.items()
        if int(amount[0])
    ]
    calc = Calculation(kind, day, lines)
    calc.extras["entitled"] = bool(benefit.entitled[0])
    calc.extras["payable_now"] = int(benefit.payable_now[0])
    calc.warnings = usage.warnings(rules)
    return calc


def _arrears(arrears_months: int | None) -> Int64Array:
    value = arrears_months or 0
    if value < 0:
        raise InvalidInput("arrears months cannot be negative")
    return _one(value)


def _arrears_note(calc: Calculation, arrears: int, *, jkk: bool, employer: bool) -> None:
    if arrears <= 0:
        return
    if not calc.extras["entitled"]:
        calc.extras["reason"] = (
            f"{arrears} months of arrears is more than 3 consecutive months: no right to the "
            + ("JKK benefit (PP 44/2015 Art. 39(2))" if jkk else "JKM benefit (PP 44/2015 Art. 42(2))")
        )
    elif employer and arrears > 3:
        calc.notes.append(
            (
                "Tunggakan pemberi kerja lebih dari 3 bulan: pemberi kerja membayar manfaat lebih dulu "
                "dan diganti setelah melunasi tunggakan dan denda (PP 44/2015 Pasal 38).",
                "Employer more than 3 months in arrears: the employer pays the benefit first and is "
                "reimbursed after settling the arrears and fines (PP 44/2015 Art. 38).",
            )
        )
    elif jkk:
        calc.notes.append(
            (
                "Tunggakan paling lama 3 bulan: pelayanan kesehatan diberikan sekarang; santunan uang "
                "dibayar setelah sembuh dan tunggakan dilunasi (PP 44/2015 Pasal 39 ayat (1)).",
                "Arrears of at most 3 months: medical care is given now; cash benefits are paid after "
                "the participant recovers and the arrears are paid (PP 44/2015 Art. 39(1)).",
            )
        )
    else:
        calc.notes.append(
            (
                "Tunggakan paling lama 3 bulan: biaya pemakaman dibayar sekarang; sisanya setelah ahli "
                "waris melunasi tunggakan (PP 44/2015 Pasal 42 ayat (1)).",
                "Arrears of at most 3 months: the funeral cost is paid now; the rest after the heirs "
                "pay the arrears (PP 44/2015 Art. 42(1)).",
            )
        )


def _scholarship(
    rules: RuleBook, day: date, usage: Usage, eligible: bool | None, min_months: int
) -> dict[str, Any]:
    table = rules["jkm.scholarship_table"].value(day, usage)
    children = int(rules["jkm.scholarship_children"].value(day, usage))
    per_child = sum(row["amount_per_year"] * row["years"] for row in table)
    return {
        "eligible": eligible,
        "min_contribution_months": min_months,
        "children_max": children,
        "per_child_max": per_child,
        "max_total": per_child * children,
        "levels": [dict(row) for row in table],
        "reference": _cite(rules, "jkm.scholarship_table", [day]),
    }


def benefit_jkm(
    *,
    death_date: date,
    contribution_months: int | None = None,
    arrears_months: int | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    days = _days(death_date)
    arrears = _arrears(arrears_months)
    benefit = bf.jkm(days, arrears, rules, usage)
    calc = _benefit_calculation("benefit_jkm", death_date, benefit, rules, usage)
    _arrears_note(calc, int(arrears[0]), jkk=False, employer=False)
    min_months = int(rules["jkm.scholarship_min_months"].value(death_date, usage))
    if contribution_months is not None and contribution_months < 0:
        raise InvalidInput("contribution months cannot be negative")
    eligible = None if contribution_months is None else contribution_months >= min_months
    if not calc.extras["entitled"]:
        eligible = False
    calc.extras["scholarship"] = _scholarship(rules, death_date, usage, eligible, min_months)
    if eligible is None:
        calc.notes.append(
            (
                f"Beasiswa memerlukan masa iur paling sedikit {min_months} bulan; "
                "isi --contribution-months untuk memeriksanya.",
                f"The scholarship needs at least {min_months} contribution months; "
                "give --contribution-months to check it.",
            )
        )
    return calc


def _employer_liable(segment: str | None) -> np.ndarray[Any, np.dtype[np.bool_]]:
    chosen = segment or "bpu"
    if chosen not in ("bpu", "pu"):
        raise InvalidInput(f"segment {chosen!r} is not known here; use bpu or pu")
    return np.array([chosen == "pu"])


def benefit_jkk_death(
    *,
    wage: int,
    event_date: date,
    arrears_months: int | None = None,
    segment: str | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    arrears = _arrears(arrears_months)
    employer = _employer_liable(segment)
    benefit = bf.jkk_death(_one(wage), _days(event_date), arrears, employer, rules, usage)
    calc = _benefit_calculation("benefit_jkk_death", event_date, benefit, rules, usage)
    _arrears_note(calc, int(arrears[0]), jkk=True, employer=bool(employer[0]))
    _jkk_scholarship(calc, rules, event_date, usage)
    return calc


def _jkk_scholarship(calc: Calculation, rules: RuleBook, day: date, usage: Usage) -> None:
    min_months = int(rules["jkk.scholarship_min_months"].value(day, usage))
    calc.extras["scholarship"] = _scholarship(rules, day, usage, bool(calc.extras["entitled"]), min_months)


def parse_percent(value: str | int | float | Decimal, what: str) -> int:
    """A percentage typed by a person, in hundredths of a percent (35.5 → 3550)."""
    try:
        number = Decimal(str(value).strip().rstrip("%").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{what} must be a number of percent such as 35 or 2.5") from None
    hundredths = number * 100
    if hundredths != hundredths.to_integral_value():
        raise InvalidInput(f"{what} may have at most two decimals, got {value}")
    if not 0 < number <= 100:
        raise InvalidInput(f"{what} must be above 0 and at most 100, got {value}")
    return int(hundredths)


def benefit_jkk_disability(
    *,
    wage: int,
    percent: str | int | Decimal,
    event_date: date,
    function_loss_percent: str | int | Decimal | None = None,
    arrears_months: int | None = None,
    segment: str | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    arrears = _arrears(arrears_months)
    employer = _employer_liable(segment)
    share = parse_percent(percent, "the disability percentage")
    loss = parse_percent(100 if function_loss_percent is None else function_loss_percent, "the function loss")
    benefit = bf.jkk_disability(
        _one(wage), _one(share), _one(loss), _days(event_date), arrears, employer, rules, usage
    )
    calc = _benefit_calculation("benefit_jkk_disability", event_date, benefit, rules, usage)
    _arrears_note(calc, int(arrears[0]), jkk=True, employer=bool(employer[0]))
    if share == 100 * bf.PERCENT_SCALE:
        _jkk_scholarship(calc, rules, event_date, usage)
    return calc


def benefit_stmb(
    *,
    wage: int,
    months: int,
    event_date: date,
    arrears_months: int | None = None,
    segment: str | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    arrears = _arrears(arrears_months)
    employer = _employer_liable(segment)
    benefit = bf.stmb(_one(wage), _one(months), _days(event_date), arrears, employer, rules, usage)
    calc = _benefit_calculation("benefit_stmb", event_date, benefit, rules, usage)
    _arrears_note(calc, int(arrears[0]), jkk=True, employer=bool(employer[0]))
    return calc


def benefit_jkp(
    *,
    wage: int,
    phk_date: date,
    contribution_months: int,
    consecutive_months: int | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    rules["jkp.benefit_formula"].value(phk_date, usage)  # "not in force" before PP 37/2021
    consecutive = contribution_months if consecutive_months is None else consecutive_months
    benefit = bf.jkp(_one(wage), _days(phk_date), _one(contribution_months), _one(consecutive), rules, usage)
    calc = _benefit_calculation("benefit_jkp", phk_date, benefit, rules, usage)
    window = int(rules["jkp.claim_window_months"].value(phk_date, usage))
    calc.extras["claim_deadline"] = add_months(phk_date, window).isoformat()
    calc.extras["formula"] = rules["jkp.benefit_formula"].value(phk_date, usage)
    if not calc.extras["entitled"]:
        needed = rules["jkp.min_contribution_months"].value(phk_date, usage)
        run = rules["jkp.min_consecutive_months"].value_or(phk_date, 0, usage)
        calc.extras["reason"] = (
            f"JKP needs at least {needed} contribution months within the 24 months before the PHK"
            + (f" and at least {run} consecutive months just before it" if run else "")
            + f"; given {contribution_months}"
            + (f" ({consecutive} consecutive)" if run else "")
        )
    if consecutive_months is None and rules["jkp.min_consecutive_months"].find(phk_date):
        calc.notes.append(
            (
                "Masa iur dianggap berturut-turut sampai PHK.",
                "The contribution months were taken as consecutive up to the PHK.",
            )
        )
    return calc


def benefit_jht(
    *,
    balance: int,
    reason: str,
    event_date: date,
    membership_months: int | None = None,
    rules: RuleBook | None = None,
    allow_unconfirmed: bool | None = None,
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    if reason not in bf.JHT_REASONS:
        raise InvalidInput(f"reason {reason!r} is not known; use one of: {', '.join(bf.JHT_REASONS)}")
    days = _days(event_date)
    if reason.startswith("partial_"):
        if membership_months is None:
            raise InvalidInput("a partial JHT withdrawal needs --membership-months")
        housing = reason == "partial_housing"
        benefit = bf.jht_partial(
            _one(balance), _one(membership_months), np.array([housing]), days, rules, usage
        )
        source = "jht.partial_housing_rate" if housing else "jht.partial_other_rate"
        benefit.sources["jht_partial"] = source
        calc = _benefit_calculation("benefit_jht", event_date, benefit, rules, usage)
        if not calc.extras["entitled"]:
            needed = rules["jht.partial_min_membership_months"].value(event_date, usage)
            calc.extras["reason"] = (
                f"a partial JHT withdrawal needs at least {needed} months of membership; "
                f"given {membership_months}"
            )
        calc.extras["payable_from"] = event_date.isoformat()
        return calc
    payable_from = event_date
    if reason in bf.JHT_ONLY_AFTER_PERMENAKER_4_2022:
        param = "jht.waiting_months" if reason in bf.JHT_WAITING else "jht.bpu_stop_work"
        wait = int(rules[param].value(event_date, usage))
        if reason in bf.JHT_WAITING:
            payable_from = add_months(event_date, wait)
        source = param
    else:
        source = "jht.retirement_age"
    calc = Calculation(
        "benefit_jht",
        event_date,
        [Line("jht_balance", balance, _cite(rules, source, [event_date]))] if balance else [],
        {"entitled": True, "payable_now": balance, "payable_from": payable_from.isoformat()},
    )
    if payable_from > event_date:
        calc.extras["payable_now"] = 0
        calc.notes.append(
            (
                f"Dibayar setelah masa tunggu, mulai {payable_from.isoformat()} (Permenaker 4/2022).",
                f"Paid after the waiting period, from {payable_from.isoformat()} (Permenaker 4/2022).",
            )
        )
    calc.warnings = usage.warnings(rules)
    return calc


def benefit_pmi_jkm(
    *, death_date: date, rules: RuleBook | None = None, allow_unconfirmed: bool | None = None
) -> Calculation:
    rules = rules or default_rulebook()
    usage = _usage(allow_unconfirmed)
    lines = [
        Line(code, int(rules[name].value(death_date, usage)), _cite(rules, name, [death_date]))
        for code, name in (
            ("pmi_jkm_lump_sum", "pmi.jkm_lump_sum"),
            ("pmi_jkm_funeral", "pmi.jkm_funeral"),
        )
    ]
    calc = Calculation("benefit_pmi_jkm", death_date, lines, {"entitled": True})
    calc.extras["payable_now"] = calc.total
    calc.warnings = usage.warnings(rules)
    return calc
