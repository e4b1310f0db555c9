"""Monthly contributions for BPU and PU members, one element per member-month.

Each line is computed as its own exact integer array so that the total is, by
construction, the sum of the lines, and every line maps to one legal reference.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

import numpy as np
import numpy.typing as npt

from jaring.kit.money import RATE_SCALE, Int64Array, Rounding, add_up, apply_rate
from jaring.kit.periods import from_day_number
from jaring.rules.engine import Days, RuleBook, Usage
from jaring.rules.errors import InvalidInput
from jaring.rules.formulas.codes import (
    FUNDING_SELF,
    JHT,
    JKK,
    JKM,
    JP,
    RELIEF_NONE,
    RELIEF_PP7,
    RELIEF_PP49,
    RELIEF_PP50_OTHER,
    RELIEF_PP50_TRANSPORT,
    RELIEFS,
    SECTOR_OTHER,
    SECTOR_TRANSPORT,
    SEGMENT_BPU,
    SEGMENT_PU,
)

Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]
IncomeMode = Literal["listed", "any"]

LINE_CODES = (
    "jkk",
    "jkm",
    "jht",
    "jht_employer",
    "jht_worker",
    "jp_employer",
    "jp_worker",
    "jkk_relief",
    "jkm_relief",
    "jp_employer_deferral",
    "jp_worker_deferral",
    "late_fine",
)
WORKER_LINES_PU = ("jht_worker", "jp_worker", "jp_worker_deferral")


@dataclass(frozen=True)
class ContributionColumns:
    """A batch of member-months as parallel arrays (all the same length)."""

    month: Int64Array  # day number of the first day of the contribution month
    segment: Int8Array  # codes.SEGMENT_*
    base: Int64Array  # BPU: declared income level; PU: monthly wage
    programs: Int8Array  # bitmask of codes.JKK | JKM | JHT | JP
    risk_class: Int8Array  # index into codes.RISK_CLASSES (PU)
    sector: Int8Array  # codes.SECTOR_* (BPU)
    funding: Int8Array  # codes.FUNDING_* (BPU)
    jkp_registered: BoolArray  # PU registered in JKP: allocation only
    labour_intensive: BoolArray  # PU employer eligible for PP 7/2025
    relief: BoolArray  # whether relief programmes may apply at all
    months_late: Int64Array  # PU: months the payment is late (late fine)

    def __post_init__(self) -> None:
        sizes = {f.name: len(getattr(self, f.name)) for f in fields(self)}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"columns differ in length: {sizes}")

    def __len__(self) -> int:
        return len(self.month)


@dataclass(frozen=True)
class ContributionResult:
    lines: dict[str, Int64Array]
    relief: Int8Array  # codes.RELIEF_* applied per row
    worker: Int64Array
    employer: Int64Array
    government: Int64Array
    allocation: dict[str, Int64Array]

    @property
    def total(self) -> Int64Array:
        return add_up(self.lines.values(), len(self.relief))

    @property
    def deferred(self) -> Int64Array:
        return -(self.lines["jp_employer_deferral"] + self.lines["jp_worker_deferral"])


def contributions(
    cols: ContributionColumns,
    rules: RuleBook,
    usage: Usage,
    *,
    income_mode: IncomeMode = "listed",
) -> ContributionResult:
    m = Days(cols.month)
    bpu = cols.segment == SEGMENT_BPU
    pu = cols.segment == SEGMENT_PU
    if (~(bpu | pu)).any():
        raise InvalidInput("only BPU and PU member-months go through this formula")
    programs = cols.programs
    takes = {bit: (programs & bit) != 0 for bit in (JKK, JKM, JHT, JP)}
    _check_programs(bpu, pu, takes)
    _check_bpu_income(cols, m, bpu, rules, usage, income_mode)

    zero = np.zeros(len(cols), dtype=np.int64)
    lines = {code: zero for code in LINE_CODES}

    def rate_line(name: str, mask: BoolArray, base: Int64Array = cols.base) -> Int64Array:
        param = rules[name]
        rate = param.rates(m, usage, mask=mask)
        return apply_rate(np.where(mask, base, 0), rate, param.rounding)

    # BPU (PP 44/2015 Art. 20; PP 46/2015 Art. 18)
    bpu_jkk = rate_line("bpu.jkk_rate", bpu)
    bpu_jkm = np.where(bpu, rules["bpu.jkm_amount"].rates(m, usage, mask=bpu), 0)
    lines["jht"] = rate_line("bpu.jht_rate", bpu & takes[JHT])

    # PU (PP 44/2015 Art. 16, 18; PP 46/2015 Art. 16; PP 45/2015 Art. 28-29)
    jkk_param = rules["pu.jkk_rate"]
    pu_jkk_rate = jkk_param.keyed(m, cols.risk_class, usage, mask=pu)
    pu_jkk = apply_rate(np.where(pu, cols.base, 0), pu_jkk_rate, jkk_param.rounding)
    pu_jkm = rate_line("pu.jkm_rate", pu)
    lines["jkk"] = bpu_jkk + pu_jkk
    lines["jkm"] = bpu_jkm + pu_jkm
    pu_jht = pu & takes[JHT]
    lines["jht_employer"] = rate_line("pu.jht_employer_rate", pu_jht)
    lines["jht_worker"] = rate_line("pu.jht_worker_rate", pu_jht)
    pu_jp = pu & takes[JP]
    if pu_jp.any():
        jp_base = rules["pu.jp_wage_cap"].cap(cols.base, m, usage, mask=pu_jp)
        lines["jp_employer"] = rate_line("pu.jp_employer_rate", pu_jp, jp_base)
        lines["jp_worker"] = rate_line("pu.jp_worker_rate", pu_jp, jp_base)

    relief_code = _relief_codes(cols, m, bpu, pu, rules, usage)
    lines["jkk_relief"] = _relieve(lines["jkk"], relief_code, rules, usage, m, jkm=False)
    lines["jkm_relief"] = _relieve(lines["jkm"], relief_code, rules, usage, m, jkm=True)
    deferral = rules["relief.pp49_2020_jp_deferral"]
    deferred_rows = pu_jp & cols.relief & deferral.in_force_at(m)
    if deferred_rows.any():
        at = np.flatnonzero(deferred_rows)
        share = deferral.at_rows(m, usage, at)
        for payer in ("employer", "worker"):
            amount = lines[f"jp_{payer}"][at]
            line = np.zeros(len(cols), dtype=np.int64)
            line[at] = apply_rate(amount, RATE_SCALE - share, deferral.rounding) - amount
            lines[f"jp_{payer}_deferral"] = line

    late = pu & (cols.months_late > 0)
    if late.any():
        at = np.flatnonzero(late)
        due = add_up((lines[c][at] for c in LINE_CODES if c != "late_fine"), len(at))
        fine = rules["pu.late_fine_rate"]
        line = np.zeros(len(cols), dtype=np.int64)
        line[at] = apply_rate(due * cols.months_late[at], fine.at_rows(m, usage, at), fine.rounding)
        lines["late_fine"] = line

    total = add_up(lines.values(), len(cols))
    worker_pu = lines["jht_worker"] + lines["jp_worker"] + lines["jp_worker_deferral"]
    self_paid = bpu & (cols.funding == FUNDING_SELF)
    worker = np.where(self_paid, total, np.where(pu, worker_pu, 0))
    government = np.where(bpu & ~self_paid, total, 0)
    employer = np.where(pu, total - worker_pu, 0)
    allocation = _jkp_allocation(cols, m, pu, lines, rules, usage)
    return ContributionResult(lines, relief_code, worker, employer, government, allocation)


def _check_programs(bpu: BoolArray, pu: BoolArray, takes: dict[int, BoolArray]) -> None:
    if ((bpu | pu) & ~(takes[JKK] & takes[JKM])).any():
        raise InvalidInput(
            "JKK and JKM must be taken together (PP 44/2015 Art. 4(2)); add jkk,jkm to the programs"
        )
    if (bpu & takes[JP]).any():
        raise InvalidInput(
            "JP (pension) is for wage earners only (PP 45/2015 Art. 2); "
            "BPU programs are jkk, jkm and optionally jht"
        )


def _check_bpu_income(
    cols: ContributionColumns, m: Days, bpu: BoolArray, rules: RuleBook, usage: Usage, mode: IncomeMode
) -> None:
    if not bpu.any():
        return
    param = rules["bpu.income_levels"]
    idx = param.indices(m)
    for i, entry in enumerate(param.entries):
        rows = bpu & (idx == i)
        if not rows.any():
            continue
        param.value(entry.start, usage)
        levels = np.asarray(entry.value, dtype=np.int64)
        incomes = cols.base[rows]
        if mode == "any":
            bad = incomes < levels[0]
            reason = f"must be at least Rp{levels[0]:,}".replace(",", ".")
        else:
            bad = ~np.isin(incomes, levels)
            shown = ", ".join(f"Rp{v:,}".replace(",", ".") for v in levels)
            reason = (
                f"is not a declared income level in force (listed: {shown}); the full Lampiran II "
                "list is not transcribed yet, so use --income-mode any (or JARING_BPU_INCOME=any) "
                "to accept any income of at least the lowest level"
            )
        if bad.any():
            first = int(incomes[np.argmax(bad)])
            count = int(bad.sum())
            raise InvalidInput(
                f"declared income Rp{first:,} ".replace(",", ".")
                + reason
                + (f"; {count} rows affected" if count > 1 else "")
            )
    if (bpu & (idx < 0)).any():
        param.entry(_first_day(m.numbers[bpu & (idx < 0)]))


def _first_day(days: Int64Array) -> date:
    return from_day_number(int(days[0]))


def _relief_codes(
    cols: ContributionColumns, m: Days, bpu: BoolArray, pu: BoolArray, rules: RuleBook, usage: Usage
) -> Int8Array:
    """Which relief programme applies to each row (they never overlap in time)."""
    code = np.full(len(cols), RELIEF_NONE, dtype=np.int8)
    if not cols.relief.any():
        return code
    self_paid_bpu = bpu & (cols.funding == FUNDING_SELF) & cols.relief
    candidates = (
        (RELIEF_PP49, (bpu | pu) & cols.relief),
        (RELIEF_PP7, pu & cols.labour_intensive & cols.relief),
        (RELIEF_PP50_TRANSPORT, self_paid_bpu & (cols.sector == SECTOR_TRANSPORT)),
        (RELIEF_PP50_OTHER, self_paid_bpu & (cols.sector == SECTOR_OTHER)),
    )
    for relief, eligible in candidates:
        name = RELIEFS[relief]
        assert name is not None
        in_force = rules[name].in_force_at(m)
        code = np.where(eligible & in_force, np.int8(relief), code)
    return code


def _relieve(
    amount: Int64Array,
    relief_code: Int8Array,
    rules: RuleBook,
    usage: Usage,
    month: Days,
    *,
    jkm: bool,
) -> Int64Array:
    """The (negative) relief line: payable share rounded by the programme's rule, minus the amount."""
    line = np.zeros(len(amount), dtype=np.int64)
    for relief in (RELIEF_PP49, RELIEF_PP7, RELIEF_PP50_TRANSPORT, RELIEF_PP50_OTHER):
        if jkm and relief == RELIEF_PP7:
            continue  # PP 7/2025 discounts JKK only
        rows = relief_code == relief
        if not rows.any():
            continue
        name = RELIEFS[relief]
        assert name is not None
        param = rules[name]
        at = np.flatnonzero(rows)  # relief months are few: work on those rows only
        share = param.at_rows(month, usage, at)
        line[at] = _payable(amount[at], share, param.rounding) - amount[at]
    return line


def _payable(amount: Int64Array, waived: Int64Array, rounding: Rounding) -> Int64Array:
    return apply_rate(amount, RATE_SCALE - waived, rounding)


def _jkp_allocation(
    cols: ContributionColumns,
    m: Days,
    pu: BoolArray,
    lines: dict[str, Int64Array],
    rules: RuleBook,
    usage: Usage,
) -> dict[str, Int64Array]:
    """How a JKP-registered employer's JKK and JKM payment is booked (PP 37/2021, PP 6/2025).

    The bill does not change; part of it is counted as JKP contribution, and the
    government adds its own share. Computed on the JKP wage (capped).
    """
    cap = rules["jkp.wage_cap"]
    rows = pu & cols.jkp_registered & cap.in_force_at(m)
    jkk_paid = lines["jkk"] + lines["jkk_relief"]
    jkm_paid = lines["jkm"] + lines["jkm_relief"]
    allocation = {
        "jkk_fund": np.where(pu, jkk_paid, 0),
        "jkm_fund": np.where(pu, jkm_paid, 0),
        "jkp_from_jkk": np.zeros(len(cols), dtype=np.int64),
        "jkp_from_jkm": np.zeros(len(cols), dtype=np.int64),
        "jkp_government": np.zeros(len(cols), dtype=np.int64),
    }
    if not rows.any():
        return allocation
    at = np.flatnonzero(rows)  # only JKP-registered wage earners: work on those rows
    jkp_wage = np.minimum(cols.base[at], cap.at_rows(m, usage, at))

    def share(name: str) -> Int64Array:
        param = rules[name]
        return apply_rate(jkp_wage, param.at_rows(m, usage, at), param.rounding)

    from_jkk = np.minimum(share("jkp.jkk_share_rate"), jkk_paid[at])
    from_jkm = np.minimum(share("jkp.jkm_share_rate"), jkm_paid[at])
    allocation["jkp_from_jkk"][at] = from_jkk
    allocation["jkp_from_jkm"][at] = from_jkm
    allocation["jkp_government"][at] = share("jkp.government_rate")
    allocation["jkk_fund"][at] -= from_jkk
    allocation["jkm_fund"][at] -= from_jkm
    return allocation
