"""Tariffs: the regulation engine's answer for each distinct combination a bill needs.

A billing run over millions of member-months has only a few hundred distinct combinations of
(month, declared income, programs, sector, funding). The engine is called once on the arrays of
those combinations; the database then applies each answer to every member-month sharing it
(`billing_tariffs` joined in one INSERT ... SELECT), so the amounts billed are exactly the
one-person calculator's and are kept with the run that used them.

A combination the regulation does not accept (an income that is not a level in force, JKK/JKM
not taken together, ...) is set aside with a reason code instead of failing the whole run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import Connection

from jaring.contributions.model import billing_tariffs
from jaring.kit import config
from jaring.kit.money import MAX_MONTHLY_AMOUNT
from jaring.kit.periods import day_number
from jaring.rules.engine import RuleBook, Usage, default_rulebook
from jaring.rules.errors import RulesError
from jaring.rules.formulas.codes import (
    FUNDINGS,
    JHT,
    JKK,
    JKM,
    RELIEFS,
    SECTORS,
    SEGMENT_BPU,
)
from jaring.rules.formulas.contributions import ContributionColumns, IncomeMode, contributions

LINES = ("jkk", "jkm", "jht", "jkk_relief", "jkm_relief")
BPU_PROGRAM_BITS = JKK | JKM | JHT

# Reason codes for combinations the engine is not asked about.
INCOME_NOT_ACCEPTED = "income_not_accepted"
PROGRAMS_INVALID = "programs_invalid"
SECTOR_INVALID = "sector_invalid"
FUNDING_INVALID = "funding_invalid"
RULES_NOT_IN_FORCE = "rules_not_in_force"


@dataclass(frozen=True, order=True)
class TariffKey:
    """What decides a BPU member-month's contribution."""

    month: date  # first day of the contribution month
    income: int
    programs: int  # bitmask, rules.formulas.codes
    sector: str  # other | transport
    funding: str  # self | apbd | apbn


@dataclass(frozen=True)
class Tariff:
    key: TariffKey
    jkk: int
    jkm: int
    jht: int
    jkk_relief: int  # negative: the discount
    jkm_relief: int
    amount: int  # the sum of the lines
    relief: int  # rules.formulas.codes.RELIEF_*

    @property
    def relief_name(self) -> str | None:
        return RELIEFS[self.relief]

    def lines(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in LINES}

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["key"] = {**asdict(self.key), "month": self.key.month.isoformat()[:7]}
        out["relief_name"] = self.relief_name
        return out


@dataclass(frozen=True)
class TariffTable:
    tariffs: dict[TariffKey, Tariff]
    rejected: dict[TariffKey, str] = field(default_factory=dict)  # key → reason code
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.tariffs)


def income_mode() -> IncomeMode:
    """The declared-income check in force for this installation (JARING_BPU_INCOME)."""
    return "any" if config.bpu_income_mode() == "any" else "listed"


def compute_tariffs(
    keys: Iterable[TariffKey],
    *,
    rules: RuleBook | None = None,
    usage: Usage | None = None,
    mode: IncomeMode | None = None,
) -> TariffTable:
    """The contribution lines of every distinct key, from one call of the vectorised formula."""
    rules = rules or default_rulebook()
    usage = usage or Usage(allow_unconfirmed=config.allow_unconfirmed())
    mode = mode or income_mode()
    rejected: dict[TariffKey, str] = {}
    accepted: list[TariffKey] = []
    levels: dict[date, Any] = {}
    for key in sorted(set(keys)):
        reason = _reason(key, rules, usage, mode, levels)
        if reason is None:
            accepted.append(key)
        else:
            rejected[key] = reason
    if not accepted:
        return TariffTable({}, rejected, tuple(usage.warnings(rules)))
    n = len(accepted)
    cols = ContributionColumns(
        month=np.array([day_number(k.month) for k in accepted], dtype=np.int64),
        segment=np.full(n, SEGMENT_BPU, dtype=np.int8),
        base=np.array([k.income for k in accepted], dtype=np.int64),
        programs=np.array([k.programs for k in accepted], dtype=np.int8),
        risk_class=np.zeros(n, dtype=np.int8),
        sector=np.array([SECTORS.index(k.sector) for k in accepted], dtype=np.int8),
        funding=np.array([FUNDINGS.index(k.funding) for k in accepted], dtype=np.int8),
        jkp_registered=np.zeros(n, dtype=np.bool_),
        labour_intensive=np.zeros(n, dtype=np.bool_),
        relief=np.ones(n, dtype=np.bool_),
        months_late=np.zeros(n, dtype=np.int64),
    )
    result = contributions(cols, rules, usage, income_mode=mode)
    # Only the BPU lines can be non-zero for a BPU row; the amount is their sum by construction.
    amount = result.total
    tariffs = {}
    for i, key in enumerate(accepted):
        line = {name: int(result.lines[name][i]) for name in LINES}
        tariffs[key] = Tariff(
            key,
            jkk=line["jkk"],
            jkm=line["jkm"],
            jht=line["jht"],
            jkk_relief=line["jkk_relief"],
            jkm_relief=line["jkm_relief"],
            amount=int(amount[i]),
            relief=int(result.relief[i]),
        )
    for tariff in tariffs.values():
        if tariff.amount != sum(tariff.lines().values()):  # a PU-only line leaked into a BPU row
            raise RuntimeError(f"tariff {tariff.key} has lines beyond the BPU ones")
    return TariffTable(tariffs, rejected, tuple(usage.warnings(rules)))


def _reason(
    key: TariffKey, rules: RuleBook, usage: Usage, mode: IncomeMode, levels: dict[date, Any]
) -> str | None:
    if key.sector not in SECTORS:
        return SECTOR_INVALID
    if key.funding not in FUNDINGS:
        return FUNDING_INVALID
    if key.programs & ~BPU_PROGRAM_BITS or key.programs & (JKK | JKM) != JKK | JKM:
        return PROGRAMS_INVALID
    if key.month not in levels:
        try:
            levels[key.month] = rules["bpu.income_levels"].value(key.month, usage)
        except RulesError:
            levels[key.month] = None
    listed = levels[key.month]
    if listed is None:
        return RULES_NOT_IN_FORCE
    if not 0 < key.income <= MAX_MONTHLY_AMOUNT:
        return INCOME_NOT_ACCEPTED
    if mode == "any":
        return None if key.income >= min(listed) else INCOME_NOT_ACCEPTED
    return None if key.income in listed else INCOME_NOT_ACCEPTED


def store_tariffs_in(conn: Connection, run_id: int, table: TariffTable) -> int:
    """Keep the tariffs a run applies with the run (numbered 1..n); returns how many."""
    rows = [
        {
            "run_id": run_id,
            "tariff": number,
            "month": tariff.key.month,
            "income": tariff.key.income,
            "programs": tariff.key.programs,
            "sector": tariff.key.sector,
            "funding": tariff.key.funding,
            **tariff.lines(),
            "amount": tariff.amount,
            "relief": tariff.relief,
        }
        for number, tariff in enumerate(sorted(table.tariffs.values(), key=lambda t: t.key), start=1)
    ]
    if rows:
        conn.execute(billing_tariffs.insert(), rows)
    return len(rows)
