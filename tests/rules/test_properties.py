"""Properties of the contribution engine over random member-months (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jaring.kit.periods import Month, day_number
from jaring.rules import calculators
from jaring.rules.engine import Usage, default_rulebook
from jaring.rules.formulas.codes import (
    FUNDINGS,
    RISK_CLASSES,
    SECTORS,
    SEGMENT_BPU,
    SEGMENT_PU,
    program_bits,
)
from jaring.rules.formulas.contributions import ContributionColumns, contributions
from rules_loop import MemberMonth
from rules_loop import contribution as loop_contribution

RULES = default_rulebook()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

months = st.builds(Month, st.integers(2016, 2027), st.integers(1, 12))
bpu_rows = st.fixed_dictionaries(
    {
        "segment": st.just("bpu"),
        "month": months,
        "base": st.integers(1_000_000, 30_000_000),
        "programs": st.sampled_from([("jkk", "jkm"), ("jkk", "jkm", "jht")]),
        "sector": st.sampled_from(SECTORS),
        "funding": st.sampled_from(FUNDINGS),
        "relief": st.booleans(),
    }
)
pu_rows = st.fixed_dictionaries(
    {
        "segment": st.just("pu"),
        "month": months,
        "base": st.integers(0, 60_000_000),
        "programs": st.sampled_from([("jkk", "jkm"), ("jkk", "jkm", "jht"), ("jkk", "jkm", "jht", "jp")]),
        "risk_class": st.sampled_from(RISK_CLASSES),
        "labour_intensive": st.booleans(),
        "months_late": st.integers(0, 4),
        "relief": st.booleans(),
    }
)
rows = st.lists(st.one_of(bpu_rows, pu_rows), min_size=1, max_size=25)


def batch(items: list[dict]) -> ContributionColumns:
    n = len(items)

    def column(key, convert, default, dtype):
        return np.array([convert(i.get(key, default)) for i in items], dtype=dtype)

    return ContributionColumns(
        month=np.array([day_number(i["month"].first_day) for i in items], dtype=np.int64),
        segment=np.array(
            [SEGMENT_BPU if i["segment"] == "bpu" else SEGMENT_PU for i in items], dtype=np.int8
        ),
        base=column("base", int, 0, np.int64),
        programs=np.array([program_bits(i["programs"]) for i in items], dtype=np.int8),
        risk_class=column("risk_class", RISK_CLASSES.index, RISK_CLASSES[0], np.int8),
        sector=column("sector", SECTORS.index, "other", np.int8),
        funding=column("funding", FUNDINGS.index, "self", np.int8),
        jkp_registered=np.ones(n, dtype=bool),
        labour_intensive=column("labour_intensive", bool, False, bool),
        relief=column("relief", bool, True, bool),
        months_late=column("months_late", int, 0, np.int64),
    )


def one_person(item: dict):
    if item["segment"] == "bpu":
        extra = {"income": item["base"], "sector": item["sector"], "funding": item["funding"]}
    else:
        extra = {
            "wage": item["base"],
            "risk_class": item["risk_class"],
            "labour_intensive": item["labour_intensive"],
            "months_late": item["months_late"],
        }
    return calculators.contribution(
        segment=item["segment"],
        month=item["month"],
        programs=item["programs"],
        relief=item["relief"],
        income_mode="any",
        allow_unconfirmed=True,
        **extra,
    )


@SETTINGS
@given(rows)
def test_one_person_path_equals_the_vectorised_batch(items):
    result = contributions(batch(items), RULES, Usage(allow_unconfirmed=True), income_mode="any")
    for i, item in enumerate(items):
        single = one_person(item)
        assert single.total == int(result.total[i])
        for line in single.lines:
            assert line.amount == int(result.lines[line.code][i]), line.code


@SETTINGS
@given(rows)
def test_vectorised_engine_equals_an_independent_per_person_loop(items):
    result = contributions(batch(items), RULES, Usage(allow_unconfirmed=True), income_mode="any")
    for i, item in enumerate(items):
        row = MemberMonth(
            month=item["month"].first_day,
            segment=item["segment"],
            base=item["base"],
            programs=frozenset(item["programs"]),
            risk_class=item.get("risk_class", "sangat-rendah"),
            sector=item.get("sector", "other"),
            funding=item.get("funding", "self"),
            relief=item["relief"],
            labour_intensive=item.get("labour_intensive", False),
            months_late=item.get("months_late", 0),
        )
        expected = loop_contribution(row, RULES, Usage(allow_unconfirmed=True))
        got = {code: int(v[i]) for code, v in result.lines.items() if int(v[i])}
        assert got == {k: v for k, v in expected.items() if v}


@SETTINGS
@given(st.one_of(bpu_rows, pu_rows))
def test_total_is_the_sum_of_the_lines_and_of_the_payers(item):
    body = one_person(item).to_json()
    assert body["total"] == sum(line["amount"] for line in body["lines"])
    assert body["total"] == sum(body["split"].values())


@SETTINGS
@given(st.one_of(bpu_rows, pu_rows), st.integers(0, 5_000_000))
def test_contributions_never_decrease_when_income_rises(item, raise_by):
    higher = {**item, "base": item["base"] + raise_by}
    assert one_person(higher).total >= one_person(item).total


@SETTINGS
@given(st.integers(1_000_000, 20_000_000), st.sampled_from([1, 3, 6, 12]), months)
def test_prepaying_months_costs_the_sum_of_each_month(income, paid, month):
    together = calculators.contribution(
        segment="bpu", month=month, income=income, months_paid=paid, income_mode="any"
    )
    apart = sum(
        calculators.contribution(segment="bpu", month=month.plus(k), income=income, income_mode="any").total
        for k in range(paid)
    )
    assert together.total == apart


def test_batch_columns_must_share_one_length():
    good = batch(
        [
            {
                "segment": "bpu",
                "month": Month(2025, 1),
                "base": 1_000_000,
                "programs": ("jkk", "jkm"),
                "sector": "other",
                "funding": "self",
                "relief": True,
            }
        ]
    )
    with pytest.raises(ValueError, match="differ in length"):
        replace(good, base=np.array([1, 2], dtype=np.int64))
