from datetime import date

import pytest

from jaring.kit.periods import Month, PeriodError, add_months, next_working_day, parse_date


def test_month_arithmetic_crosses_years():
    assert Month(2026, 11).plus(3) == Month(2027, 2)
    assert str(Month.parse("2026-5")) == "2026-05"


@pytest.mark.parametrize("text", ["2026-13", "2026/05", "May 2026"])
def test_bad_months_are_refused(text):
    with pytest.raises(PeriodError, match="YYYY-MM"):
        Month.parse(text)


def test_impossible_dates_are_refused():
    with pytest.raises(PeriodError, match="exists on the calendar"):
        parse_date("2026-02-30")


def test_day_clamps_to_the_end_of_short_months():
    assert Month(2021, 2).day(30) == date(2021, 2, 28)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)


def test_due_dates_move_past_weekends_and_holidays():
    assert next_working_day(date(2026, 2, 15)) == date(2026, 2, 16)  # a Sunday
    holiday = frozenset({date(2026, 2, 16)})
    assert next_working_day(date(2026, 2, 15), holiday) == date(2026, 2, 17)
