"""Due dates of a contribution month, from the rules in force for that month."""

from __future__ import annotations

from datetime import date
from functools import cache

from jaring.kit import config
from jaring.kit.periods import Month, next_working_day
from jaring.rules.engine import Usage, default_rulebook


@cache
def _rules():  # type: ignore[no-untyped-def]
    return default_rulebook()


@cache
def bpu_due_dates(month: Month) -> tuple[date, date]:
    """(JKK+JKM due date, JHT due date) of a BPU contribution month: the 15th of the month
    itself and of the next one (PP 44/2015 art. 24, PP 46/2015 art. 21), moved to the next
    working day; under PP 49/2020 both fell on the relaxed day of the next month."""
    rules, usage, holidays = _rules(), Usage(allow_unconfirmed=True), config.holidays()
    day = month.first_day
    relaxed = rules["relief.pp49_2020_due_day"].value_or(day, None, usage)
    if relaxed is not None:
        both = next_working_day(month.plus(1).day(relaxed), holidays)
        return both, both
    jkk_jkm = next_working_day(month.day(rules["bpu.jkk_jkm_due_day"].value(day, usage)), holidays)
    jht = next_working_day(month.plus(1).day(rules["bpu.jht_due_day"].value(day, usage)), holidays)
    return jkk_jkm, jht


@cache
def arrears_limit(month: Month) -> int:
    """Consecutive months of arrears up to which rights are kept (PP 44/2015 art. 39, 42)."""
    value: int = _rules()["arrears.limit_months"].value(month.first_day, Usage(allow_unconfirmed=True))
    return value
