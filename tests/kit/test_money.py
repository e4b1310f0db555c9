from fractions import Fraction

import numpy as np
import pytest

from jaring.kit.money import (
    MoneyError,
    Rounding,
    apply_rate,
    format_rate,
    format_rupiah,
    parse_rate,
    parse_rupiah,
    rate_to_ppm,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1000000", 1_000_000),
        ("1.000.000", 1_000_000),
        ("Rp1.234.567", 1_234_567),
        ("1_500_000", 1_500_000),
        (0, 0),
    ],
)
def test_parse_rupiah_accepts_the_ways_people_write_amounts(text, expected):
    assert parse_rupiah(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "negative"),
        ("12.5", "whole number"),
        ("1,5 juta", "whole number"),
        ("abc", "whole number"),
        ("99999999999", "largest amount"),
    ],
)
def test_parse_rupiah_refuses_with_a_reason(text, reason):
    with pytest.raises(MoneyError, match=reason):
        parse_rupiah(text)


def test_rates_are_exact_fractions():
    assert parse_rate("0.24%") == Fraction(24, 10_000)
    assert rate_to_ppm(parse_rate("0.445%")) == 4_450
    with pytest.raises(MoneyError, match="quoted percentage"):
        parse_rate(0.24)  # a YAML float has already lost exactness
    with pytest.raises(MoneyError, match="part per million"):
        parse_rate("0.00001%")


def test_half_up_rounds_a_half_rupiah_up_and_floor_never_does():
    amounts = np.array([1_234_550, 1_234_549, 1_234_567], dtype=np.int64)
    one_percent = 10_000
    assert apply_rate(amounts, one_percent, Rounding.HALF_UP).tolist() == [12_346, 12_345, 12_346]
    assert apply_rate(amounts, one_percent, Rounding.FLOOR).tolist() == [12_345, 12_345, 12_345]
    assert apply_rate(amounts, one_percent, Rounding.CEIL).tolist() == [12_346, 12_346, 12_346]


def test_formatting_uses_indonesian_separators():
    assert format_rupiah(1_234_567) == "Rp 1.234.567"
    assert format_rupiah(-5_000) == "-Rp 5.000"
    assert format_rate(2_400) == "0,24%"
    assert format_rate(500_000) == "50%"
