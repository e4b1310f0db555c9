"""Benefit formulas (JKM, JKK, JKP, JHT, PMI), vectorised over claims.

Amounts come from the parameters in force on the event date of each element.
Arrears follow PP 44/2015 Art. 38-39 (JKK) and Art. 42 (JKM).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from jaring.kit.money import RATE_SCALE, Int64Array, Rounding, add_up, apply_rate, divide
from jaring.kit.periods import from_day_number
from jaring.rules.engine import Days, Parameter, RuleBook, Usage
from jaring.rules.errors import InvalidInput

BoolArray = npt.NDArray[np.bool_]
PERCENT_SCALE = 100
"""Disability percentages are read in hundredths of a percent (35.5 % → 3550)."""


@dataclass(frozen=True)
class Benefit:
    lines: dict[str, Int64Array]
    entitled: BoolArray
    payable_now: Int64Array
    sources: dict[str, str]  # line code → parameter that sets it (for its legal reference)

    @property
    def total(self) -> Int64Array:
        return add_up(self.lines.values(), len(self.entitled))


def _all(days: Days) -> BoolArray:
    return np.ones(len(days), dtype=bool)


def _amount(rules: RuleBook, name: str, days: Days, usage: Usage) -> Int64Array:
    return rules[name].scalars(days, usage, mask=_all(days))


def arrears_states(
    arrears: Int64Array, days: Days, rules: RuleBook, usage: Usage
) -> tuple[BoolArray, BoolArray]:
    """(within the limit but behind, beyond the limit) per element."""
    if (arrears < 0).any():
        raise InvalidInput("arrears months cannot be negative")
    limit = _amount(rules, "arrears.limit_months", days, usage)
    return (arrears > 0) & (arrears <= limit), arrears > limit


def _finish(
    lines: dict[str, Int64Array],
    entitled: BoolArray,
    payable_now: Int64Array,
    sources: dict[str, str],
) -> Benefit:
    kept = {code: np.where(entitled, amount, 0) for code, amount in lines.items()}
    return Benefit(kept, entitled, np.where(entitled, payable_now, 0), sources)


def jkm(days: Days, arrears: Int64Array, rules: RuleBook, usage: Usage) -> Benefit:
    """Death not caused by work (PP 44/2015 Art. 34 as amended by PP 82/2019)."""
    lines = {
        "jkm_lump_sum": _amount(rules, "jkm.lump_sum", days, usage),
        "jkm_periodic": _amount(rules, "jkm.periodic", days, usage),
        "jkm_funeral": _amount(rules, "jkm.funeral", days, usage),
    }
    behind, beyond = arrears_states(arrears, days, rules, usage)
    total = add_up(lines.values(), len(days))
    payable_now = np.where(behind, lines["jkm_funeral"], total)
    sources = {code: code.replace("jkm_", "jkm.") for code in lines}
    return _finish(lines, ~beyond, payable_now, sources)


def _jkk_arrears(
    amount_total: Int64Array,
    arrears: Int64Array,
    employer_liable: BoolArray,
    days: Days,
    rules: RuleBook,
    usage: Usage,
) -> tuple[BoolArray, Int64Array]:
    """Art. 39 (BPU): behind → cash only after recovery and paying the arrears; beyond → no right.
    Art. 38 (PU): beyond → the employer pays first and is reimbursed after settling."""
    behind, beyond = arrears_states(arrears, days, rules, usage)
    entitled = ~beyond | employer_liable
    withheld = np.where(employer_liable, beyond, behind | beyond)
    return entitled, np.where(withheld, 0, amount_total)


def jkk_death(
    wage: Int64Array,
    days: Days,
    arrears: Int64Array,
    employer_liable: BoolArray,
    rules: RuleBook,
    usage: Usage,
) -> Benefit:
    multiple = _amount(rules, "jkk.death_multiplier", days, usage)
    minimum = _amount(rules, "jkk.death_minimum", days, usage)
    lines = {
        "jkk_death": np.maximum(wage * multiple, minimum),
        "jkk_funeral": _amount(rules, "jkk.funeral", days, usage),
        "jkk_periodic": _amount(rules, "jkk.periodic", days, usage),
    }
    entitled, now = _jkk_arrears(
        add_up(lines.values(), len(days)), arrears, employer_liable, days, rules, usage
    )
    sources = {
        "jkk_death": "jkk.death_multiplier",
        "jkk_funeral": "jkk.funeral",
        "jkk_periodic": "jkk.periodic",
    }
    return _finish(lines, entitled, now, sources)


def jkk_disability(
    wage: Int64Array,
    percent: Int64Array,
    function_loss: Int64Array,
    days: Days,
    arrears: Int64Array,
    employer_liable: BoolArray,
    rules: RuleBook,
    usage: Usage,
) -> Benefit:
    """`percent` and `function_loss` in hundredths of a percent (10000 = 100 %)."""
    full = 100 * PERCENT_SCALE
    if ((percent <= 0) | (percent > full) | (function_loss <= 0) | (function_loss > full)).any():
        raise InvalidInput("disability and function-loss percentages must be above 0 and at most 100")
    total = percent == full
    if (total & (function_loss != full)).any():
        raise InvalidInput("a 100% (total permanent) disability cannot have a partial function loss")
    partial = ~total
    mult_total = rules["jkk.total_disability_multiplier"].scalars(days, usage, mask=total)
    mult_partial = rules["jkk.partial_disability_multiplier"].scalars(days, usage, mask=partial)
    periodic = rules["jkk.periodic"].scalars(days, usage, mask=total)
    partial_amount = divide(wage * mult_partial * percent * function_loss, full * full, Rounding.HALF_UP)
    lines = {
        "jkk_total_disability": np.where(total, wage * mult_total, 0),
        "jkk_periodic": np.where(total, periodic, 0),
        "jkk_partial_disability": np.where(partial, partial_amount, 0),
    }
    entitled, now = _jkk_arrears(
        add_up(lines.values(), len(days)), arrears, employer_liable, days, rules, usage
    )
    sources = {
        "jkk_total_disability": "jkk.total_disability_multiplier",
        "jkk_periodic": "jkk.periodic",
        "jkk_partial_disability": "jkk.partial_disability_multiplier",
    }
    return _finish(lines, entitled, now, sources)


def tier_code(prefix: str, rate_ppm: int) -> str:
    whole, rest = divmod(rate_ppm, RATE_SCALE // 100)
    return f"{prefix}_{whole}pct" if rest == 0 else f"{prefix}_{whole}_{rest}pct"


def stmb(
    wage: Int64Array,
    months: Int64Array,
    days: Days,
    arrears: Int64Array,
    employer_liable: BoolArray,
    rules: RuleBook,
    usage: Usage,
) -> Benefit:
    """Temporary incapacity: tiers of a share of the wage by month of incapacity."""
    if (months < 0).any():
        raise InvalidInput("months of incapacity cannot be negative")
    param = rules["jkk.stmb_tiers"]
    lines: dict[str, Int64Array] = {}
    for entry_rows, tiers in _records_by_entry(param, days, usage):
        for i, tier in enumerate(tiers):
            start = tier["from_month"] - 1
            end = tiers[i + 1]["from_month"] - 1 if i + 1 < len(tiers) else None
            in_tier = np.clip(months - start, 0, None if end is None else end - start)
            monthly = apply_rate(wage, tier["rate"], param.rounding)
            code = tier_code("stmb", tier["rate"])
            lines[code] = lines.get(code, np.zeros(len(days), dtype=np.int64)) + np.where(
                entry_rows, monthly * in_tier, 0
            )
    entitled, now = _jkk_arrears(
        add_up(lines.values(), len(days)), arrears, employer_liable, days, rules, usage
    )
    return _finish(lines, entitled, now, dict.fromkeys(lines, "jkk.stmb_tiers"))


def _records_by_entry(
    param: Parameter, days: Days, usage: Usage
) -> list[tuple[BoolArray, tuple[dict[str, int], ...]]]:
    """Rows grouped by the records entry in force, failing on rows with none or an unknown one."""
    idx = param.indices(days)
    if (idx < 0).any():
        param.entry(_date(days.numbers[np.argmax(idx < 0)]))
    groups = []
    for i, entry in enumerate(param.entries):
        rows = idx == i
        if rows.any():
            groups.append((rows, param.value(entry.start, usage)))
    return groups


def _date(number: np.int64) -> date:
    return from_day_number(int(number))


def jkp(
    wage: Int64Array,
    days: Days,
    contribution_months: Int64Array,
    consecutive_months: Int64Array,
    rules: RuleBook,
    usage: Usage,
) -> Benefit:
    """Job-loss cash benefit (PP 37/2021; PP 6/2025 for PHK from 7 Feb 2025)."""
    everyone = _all(days)
    lookback = rules["jkp.lookback_months"].scalars(days, usage, mask=everyone)
    if (contribution_months > lookback).any() or (contribution_months < 0).any():
        raise InvalidInput(
            "contribution months count those within the 24 calendar months before the PHK: "
            "give a number from 0 to 24"
        )
    if (consecutive_months > contribution_months).any():
        raise InvalidInput("consecutive months cannot exceed the contribution months")
    needed = rules["jkp.min_contribution_months"].scalars(days, usage, mask=everyone)
    consecutive_needed = rules["jkp.min_consecutive_months"].scalars(days, usage, default=0)
    entitled = (contribution_months >= needed) & (consecutive_months >= consecutive_needed)
    base = rules["jkp.wage_cap"].cap(wage, days, usage, mask=everyone)
    param = rules["jkp.benefit_tiers"]
    lines: dict[str, Int64Array] = {}
    for rows, tiers in _records_by_entry(param, days, usage):
        for tier in tiers:
            code = tier_code("jkp", tier["rate"])
            monthly = apply_rate(base, tier["rate"], param.rounding)
            lines[code] = lines.get(code, np.zeros(len(days), dtype=np.int64)) + np.where(
                rows, monthly * tier["months"], 0
            )
    return _finish(
        lines, entitled, add_up(lines.values(), len(days)), dict.fromkeys(lines, "jkp.benefit_tiers")
    )


JHT_REASONS = (
    "retirement",
    "disability",
    "death",
    "resignation",
    "dismissal",
    "contract_end",
    "bpu_stopped",
    "partial_housing",
    "partial_other",
)
JHT_WAITING = ("resignation", "dismissal")
JHT_ONLY_AFTER_PERMENAKER_4_2022 = ("resignation", "dismissal", "bpu_stopped")


def jht_partial(
    balance: Int64Array,
    membership_months: Int64Array,
    housing: BoolArray,
    days: Days,
    rules: RuleBook,
    usage: Usage,
) -> Benefit:
    """One-time partial withdrawal after the minimum membership (PP 46/2015 Art. 22(4)-(6))."""
    everyone = _all(days)
    needed = rules["jht.partial_min_membership_months"].scalars(days, usage, mask=everyone)
    housing_param = rules["jht.partial_housing_rate"]
    other_param = rules["jht.partial_other_rate"]
    housing_amount = apply_rate(
        balance, housing_param.scalars(days, usage, mask=everyone), housing_param.rounding
    )
    other_amount = apply_rate(balance, other_param.scalars(days, usage, mask=everyone), other_param.rounding)
    amount = np.where(housing, housing_amount, other_amount)
    entitled = membership_months >= needed
    sources = {"jht_partial": "jht.partial_min_membership_months"}
    return _finish({"jht_partial": amount}, entitled, amount, sources)
