"""The Paritrana-style scorecard on figures alone: indicators from a report line, 0-100
against the best region, weighted means and ranks, the default weights from the rule
parameter, and the reader's overrides with their refusals."""

from __future__ import annotations

from datetime import date

import pytest

from jaring.kit.errors import BadInput
from jaring.monitoring.reports import (
    INDICATORS,
    InpresRow,
    SponsorYear,
    default_weights,
    indicator_values,
    inpres_row,
    normalise,
    report_day,
    scorecard,
    under,
    weights_from,
)
from jaring.monitoring.service import RegionRow

ONLY_COVERAGE = {k: (1.0 if k == "coverage" else 0.0) for k in INDICATORS}
ONLY_BUDGET = {k: (1.0 if k == "budget" else 0.0) for k in INDICATORS}


def line(code: str, **figures: object) -> InpresRow:
    return InpresRow(code=code, name=f"Region {code}", **figures)  # type: ignore[arg-type]


def test_a_report_line_adds_up_the_region_s_sponsors_and_keeps_the_overview_s_coverage() -> None:
    region = RegionRow(
        code="3507", name="Malang", members=10, covered=8, sponsored=5, self_paying=3,
        universe=200, vulnerable=80, coverage_pct=4.0, claims_filed=2, benefits_paid=7_000,
    )  # fmt: skip
    found = [
        SponsorYear("KAB", "regency", "3507", 1_000_000, "DPA 1.02/2026", 600_000, 400_000, 300_000),
        SponsorYear("DESA-A", "village", "3507010001", 200_000, "", 0, 100_000, 100_000),
        SponsorYear("DESA-B", "village", "3507020002", 300_000, "Perdes 3/2026"),
        SponsorYear("CSR", "csr", "3507", None, ""),  # no budget this year
        SponsorYear("KOTA", "regency", "3573", 9_000_000, "DPA"),  # another regency
    ]
    row = inpres_row(region, under("3507", found))
    assert (row.sponsors, row.budgeted, row.legal_basis) == (4, 3, 2)
    assert (row.allocated, row.committed, row.billed, row.paid) == (1_500_000, 600_000, 500_000, 400_000)
    assert (row.village_sponsors, row.village_funds, row.sponsor_kinds) == (2, 500_000, 2)
    assert row.collection_pct == 80.0
    assert (row.covered, row.universe, row.coverage_pct, row.sponsored) == (8, 200, 4.0, 5)
    values = indicator_values(row)
    assert values["budget"] == 1_500_000 / 80
    assert values["vulnerable_reach"] == 6.2  # 5 ÷ 80, one decimal
    assert values["regulation"] == 2.0
    assert indicator_values(line("1", vulnerable=None))["budget"] is None


def test_normalisation_is_against_the_best_region_and_an_unmeasured_one_scores_zero() -> None:
    assert normalise([10.0, 5.0, 0.0, None]) == [100.0, 50.0, 0.0, 0.0]
    assert normalise([None, None]) == [0.0, 0.0]
    assert normalise([0.0, 0.0]) == [0.0, 0.0]
    assert normalise([3.0]) == [100.0]
    assert normalise([2.0, 1.0, 1.0]) == [100.0, 50.0, 50.0]


def test_the_ranking_follows_the_weights() -> None:
    rows = [
        line("11", coverage_pct=40.0, allocated=100, vulnerable=100),  # high coverage, small budget
        line("12", coverage_pct=10.0, allocated=1_000, vulnerable=100),  # low coverage, big budget
    ]
    by_coverage = scorecard(rows, ONLY_COVERAGE)
    assert [(s.code, s.rank, s.score) for s in by_coverage] == [("11", 1, 100.0), ("12", 2, 25.0)]
    by_budget = scorecard(rows, ONLY_BUDGET)
    assert [(s.code, s.rank, s.score) for s in by_budget] == [("12", 1, 100.0), ("11", 2, 10.0)]
    both = scorecard(rows, {**{k: 0.0 for k in INDICATORS}, "coverage": 1.0, "budget": 3.0})
    # 11: (1 x 100 + 3 x 10) / 4 = 32.5; 12: (1 x 25 + 3 x 100) / 4 = 81.25
    assert [(s.code, s.score) for s in both] == [("12", 81.2), ("11", 32.5)]
    assert both[0].scores["coverage"] == 25.0
    assert both[0].values["budget"] == 10.0


def test_equal_scores_share_a_rank_and_are_listed_by_code() -> None:
    rows = [line("13", coverage_pct=5.0), line("11", coverage_pct=5.0), line("12", coverage_pct=1.0)]
    ranked = scorecard(rows, ONLY_COVERAGE)
    assert [(s.code, s.rank) for s in ranked] == [("11", 1), ("13", 1), ("12", 3)]


def test_default_weights_come_from_the_rule_parameter_and_say_they_are_not_official() -> None:
    weights = default_weights(date(2026, 6, 1))
    assert set(weights.values) == set(INDICATORS)
    assert sum(weights.values.values()) > 0
    assert "Paritrana" in weights.reference
    assert "not published" in weights.note
    assert weights.overridden is False


def test_the_reader_overrides_some_weights_and_keeps_the_others() -> None:
    defaults = default_weights(date(2026, 6, 1))
    mine = weights_from({"w_coverage": "0", "w_budget": "2,5", "region": "35"}, defaults)
    assert mine.overridden
    assert mine.values["coverage"] == 0.0
    assert mine.values["budget"] == 2.5
    assert mine.values["regulation"] == defaults.values["regulation"]
    assert weights_from({"w_coverage": ""}, defaults) is defaults
    same = weights_from({"w_coverage": str(defaults.values["coverage"])}, defaults)
    assert same.overridden is False


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"w_coverage": "-1"}, "from 0 to"),
        ({"w_coverage": "abc"}, "a weight is a number; not so for coverage"),
        ({"w_coverage": "nan"}, "not so for coverage"),
        ({"w_coverage": "inf"}, "not so for coverage"),
        ({"w_charm": "5"}, "no indicator called charm"),
        ({f"w_{k}": "0" for k in INDICATORS}, "at least one weight must be above 0"),
    ],
)
def test_bad_weights_are_refused_with_a_clear_message(query: dict[str, str], message: str) -> None:
    with pytest.raises(BadInput, match=message):
        weights_from(query, default_weights(date(2026, 6, 1)))


def test_a_scorecard_refuses_weights_that_are_all_zero() -> None:
    with pytest.raises(BadInput, match="above 0"):
        scorecard([line("11")], dict.fromkeys(INDICATORS, 0.0))


def test_a_year_is_reported_on_its_last_day_or_today() -> None:
    today = date(2026, 12, 7)
    assert report_day(2025, today) == date(2025, 12, 31)
    assert report_day(2026, today) == today
    with pytest.raises(BadInput, match="between 2000 and 2026"):
        report_day(2027, today)
