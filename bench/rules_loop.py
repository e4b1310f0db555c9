"""A plain per-person Python loop over the same parameters: the baseline the
vectorised engine is measured against, and an independent oracle in tests.

Deliberately written the way a first implementation would be: one member-month
at a time, Python integers, a dated lookup per quantity. It shares the parameter
files with the engine, not its formula code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jaring.kit.money import RATE_SCALE
from jaring.rules.engine import Parameter, RuleBook, Usage


@dataclass(frozen=True)
class MemberMonth:
    month: date
    segment: str  # "bpu" | "pu"
    base: int
    programs: frozenset[str]
    risk_class: str = "sangat-rendah"
    sector: str = "other"
    funding: str = "self"
    relief: bool = True
    labour_intensive: bool = False
    months_late: int = 0


def half_up(amount: int, ppm: int) -> int:
    return (2 * amount * ppm + RATE_SCALE) // (2 * RATE_SCALE)


def _value(param: Parameter, day: date, usage: Usage) -> int:
    return int(param.value(day, usage))


def _relief(param: Parameter, day: date) -> int:
    entry = param.find(day)
    return 0 if entry is None else int(entry.value)


def contribution(row: MemberMonth, rules: RuleBook, usage: Usage) -> dict[str, int]:
    day = row.month
    lines: dict[str, int] = {}
    if row.segment == "bpu":
        lines["jkk"] = half_up(row.base, _value(rules["bpu.jkk_rate"], day, usage))
        lines["jkm"] = _value(rules["bpu.jkm_amount"], day, usage)
        if "jht" in row.programs:
            lines["jht"] = half_up(row.base, _value(rules["bpu.jht_rate"], day, usage))
        waived = 0
        if row.relief:
            waived = _relief(rules["relief.pp49_2020_jkk_jkm"], day)
            if not waived and row.funding == "self":
                sector = "transport" if row.sector == "transport" else "other"
                waived = _relief(rules[f"relief.pp50_2025_{sector}"], day)
        if waived:
            lines["jkk_relief"] = half_up(lines["jkk"], RATE_SCALE - waived) - lines["jkk"]
            lines["jkm_relief"] = half_up(lines["jkm"], RATE_SCALE - waived) - lines["jkm"]
        return lines
    rate = rules["pu.jkk_rate"].value(day, usage)[row.risk_class]
    lines["jkk"] = half_up(row.base, rate)
    lines["jkm"] = half_up(row.base, _value(rules["pu.jkm_rate"], day, usage))
    if "jht" in row.programs:
        lines["jht_employer"] = half_up(row.base, _value(rules["pu.jht_employer_rate"], day, usage))
        lines["jht_worker"] = half_up(row.base, _value(rules["pu.jht_worker_rate"], day, usage))
    if "jp" in row.programs:
        cap_entry = rules["pu.jp_wage_cap"].entry(day)
        if cap_entry.unconfirmed and cap_entry.lower_bound and row.base <= cap_entry.lower_bound:
            jp_base = row.base
        else:
            jp_base = min(row.base, _value(rules["pu.jp_wage_cap"], day, usage))
        lines["jp_employer"] = half_up(jp_base, _value(rules["pu.jp_employer_rate"], day, usage))
        lines["jp_worker"] = half_up(jp_base, _value(rules["pu.jp_worker_rate"], day, usage))
    if row.relief:
        waived_jkk = _relief(rules["relief.pp49_2020_jkk_jkm"], day)
        waived_jkm = waived_jkk
        if not waived_jkk and row.labour_intensive:
            waived_jkk = _relief(rules["relief.pp7_2025_jkk"], day)
        if waived_jkk:
            lines["jkk_relief"] = half_up(lines["jkk"], RATE_SCALE - waived_jkk) - lines["jkk"]
        if waived_jkm:
            lines["jkm_relief"] = half_up(lines["jkm"], RATE_SCALE - waived_jkm) - lines["jkm"]
        deferred = _relief(rules["relief.pp49_2020_jp_deferral"], day)
        if deferred and "jp" in row.programs:
            for payer in ("employer", "worker"):
                amount = lines[f"jp_{payer}"]
                lines[f"jp_{payer}_deferral"] = half_up(amount, RATE_SCALE - deferred) - amount
    if row.months_late:
        due = sum(lines.values())
        lines["late_fine"] = half_up(due * row.months_late, _value(rules["pu.late_fine_rate"], day, usage))
    return lines
