"""Tariffs priced in one vectorised call equal the one-person calculator, combination by
combination; combinations the regulation refuses are set aside with a reason."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from jaring.contributions.tariffs import (
    INCOME_NOT_ACCEPTED,
    PROGRAMS_INVALID,
    RULES_NOT_IN_FORCE,
    SECTOR_INVALID,
    TariffKey,
    compute_tariffs,
)
from jaring.kit.periods import Month
from jaring.rules import calculators
from jaring.rules.formulas.codes import JHT, JKK, JKM, JP, RELIEFS

BASIC = JKK | JKM
WITH_JHT = BASIC | JHT
# Before any relief, the transport window only (Jan-Mar 2026 and Jan-Mar 2027), both windows,
# and after the "other" window closed.
MONTHS = [Month(2025, 12), Month(2026, 2), Month(2026, 5), Month(2027, 1)]


def _calculator(key: TariffKey) -> dict[str, int]:
    names = [n for n, bit in (("jkk", JKK), ("jkm", JKM), ("jht", JHT)) if key.programs & bit]
    calc = calculators.contribution(
        segment="bpu",
        month=Month.of(key.month),
        income=key.income,
        programs=names,
        sector=key.sector,
        funding=key.funding,
        income_mode="any",
    )
    lines = {code: calc.amount(code) for code in ("jkk", "jkm", "jht", "jkk_relief", "jkm_relief")}
    return {**lines, "amount": calc.total}


def test_every_combination_equals_the_calculator():
    keys = [
        TariffKey(month.first_day, income, programs, sector, funding)
        for month, income, programs, sector, funding in itertools.product(
            MONTHS,
            (1_000_000, 2_750_000),
            (BASIC, WITH_JHT),
            ("other", "transport"),
            ("self", "apbd", "apbn"),
        )
    ]
    table = compute_tariffs(keys, mode="any")
    assert table.rejected == {}
    assert len(table) == len(keys)
    for key in keys:
        tariff = table.tariffs[key]
        assert {**tariff.lines(), "amount": tariff.amount} == _calculator(key), key


def test_relief_follows_month_sector_and_funding():
    def tariff(month: Month, sector: str, funding: str, programs: int = BASIC):
        key = TariffKey(month.first_day, 1_000_000, programs, sector, funding)
        return compute_tariffs([key], mode="listed").tariffs[key]

    may = Month(2026, 5)
    other = tariff(may, "other", "self", WITH_JHT)
    assert RELIEFS[other.relief] == "relief.pp50_2025_other"
    # JKK 1% of 1,000,000 and JKM 6,800 halved; JHT 2% never discounted.
    assert (other.jkk, other.jkm, other.jht) == (10_000, 6_800, 20_000)
    assert (other.jkk_relief, other.jkm_relief) == (-5_000, -3_400)
    assert other.amount == 5_000 + 3_400 + 20_000
    apbd = tariff(may, "other", "apbd")
    assert (apbd.relief, apbd.jkk_relief, apbd.jkm_relief, apbd.amount) == (0, 0, 0, 16_800)
    # February 2026: only the transport window is open.
    assert tariff(Month(2026, 2), "other", "self").amount == 16_800
    assert tariff(Month(2026, 2), "transport", "self").amount == 8_400
    assert tariff(Month(2026, 2), "transport", "apbn").amount == 16_800
    assert tariff(Month(2027, 1), "other", "self").amount == 16_800
    assert tariff(Month(2027, 1), "transport", "self").amount == 8_400


def test_refused_combinations_carry_a_reason_and_the_rest_is_priced():
    day = date(2026, 5, 1)
    good = TariffKey(day, 1_000_000, BASIC, "other", "self")
    keys = {
        TariffKey(day, 2_750_000, BASIC, "other", "self"): INCOME_NOT_ACCEPTED,  # not a listed level
        TariffKey(day, 999_999, BASIC, "other", "self"): INCOME_NOT_ACCEPTED,
        TariffKey(day, 1_000_000, JKK, "other", "self"): PROGRAMS_INVALID,  # JKK without JKM
        TariffKey(day, 1_000_000, BASIC | JP, "other", "self"): PROGRAMS_INVALID,  # no JP for BPU
        TariffKey(day, 1_000_000, BASIC, "fishing", "self"): SECTOR_INVALID,
        TariffKey(date(2014, 1, 1), 1_000_000, BASIC, "other", "self"): RULES_NOT_IN_FORCE,
    }
    table = compute_tariffs([good, *keys], mode="listed")
    assert table.rejected == keys
    assert list(table.tariffs) == [good]
    assert table.tariffs[good].amount == _calculator(good)["amount"]


def test_any_income_mode_accepts_incomes_above_the_lowest_level():
    day = date(2026, 5, 1)
    above = TariffKey(day, 2_750_000, BASIC, "other", "self")
    below = TariffKey(day, 999_999, BASIC, "other", "self")
    table = compute_tariffs([above, below], mode="any")
    assert table.rejected == {below: INCOME_NOT_ACCEPTED}
    assert table.tariffs[above].jkk == 27_500


@pytest.mark.parametrize("mode", ["listed", "any"])
def test_the_configured_mode_is_the_default(monkeypatch, mode):
    monkeypatch.setenv("JARING_BPU_INCOME", mode)
    key = TariffKey(date(2026, 5, 1), 2_750_000, BASIC, "other", "self")
    table = compute_tariffs([key])
    assert (key in table.tariffs) == (mode == "any")
