"""The regulation cases: expected outputs worked out by hand from the rules file."""

from collections import Counter

import pytest

from tests.rules.case_runner import CALCULATORS, differences, load_cases

CASES = load_cases()


def test_there_are_enough_cases_and_every_calculator_has_some():
    assert len(CASES) >= 80
    per_calculator = Counter(calculator for _, calculator, _ in CASES)
    assert set(per_calculator) == set(CALCULATORS)


def test_case_names_are_unique():
    names = Counter((file, case["name"]) for file, _, case in CASES)
    assert [n for n, count in names.items() if count > 1] == []


def test_every_case_total_is_the_sum_of_its_lines():
    for _, _, case in CASES:
        out = case["output"]
        if "lines" in out and "total" in out:
            assert sum((out["lines"] or {}).values()) == out["total"], case["name"]


@pytest.mark.parametrize(
    ("calculator", "case"),
    [pytest.param(c, case, id=f"{f}:{case['name']}") for f, c, case in CASES],
)
def test_case(calculator, case):
    assert differences(calculator, case) == []
