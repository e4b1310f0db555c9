"""Calendar months, dates and working days.

A contribution is owed per calendar month; a month is identified by its first
day so that months and event dates share one vectorised day-number axis.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

DayArray = npt.NDArray[np.int64]
_EPOCH = date(1970, 1, 1)


class PeriodError(ValueError):
    """A date or month that does not exist or cannot be read."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise PeriodError(f"month {self.month} does not exist")

    @classmethod
    def parse(cls, text: str) -> Month:
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise PeriodError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2026-05")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def day(self, day_of_month: int) -> date:
        """The given day of this month, clamped to its last day (the 30th of February → 28/29)."""
        return date(self.year, self.month, min(day_of_month, self.last_day.day))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def parse_date(text: str) -> date:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        raise PeriodError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-05-15")
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise PeriodError(f"{text!r} is not a date that exists on the calendar") from None


def day_number(day: date) -> int:
    """Days since 1970-01-01: the axis every vectorised date lookup uses."""
    return (day - _EPOCH).days


def from_day_number(number: int) -> date:
    return _EPOCH + timedelta(days=int(number))


def add_months(day: date, months: int) -> date:
    target = Month.of(day).plus(months)
    return target.day(day.day)


def next_working_day(day: date, holidays: frozenset[date] = frozenset()) -> date:
    """The day itself if it is a working day, else the next one (weekends and holidays skipped)."""
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def is_working_day(day: date, holidays: frozenset[date] = frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_working_days(day: date, count: int, holidays: frozenset[date] = frozenset()) -> date:
    """The `count`-th working day after `day` (the day itself is not counted): a service-level
    clock of "within N working days after complete documents" ends on this day."""
    if count < 0:
        raise PeriodError("a number of working days cannot be negative")
    while count:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count -= 1
    return day


def working_days_between(start: date, end: date, holidays: frozenset[date] = frozenset()) -> int:
    """Working days in (start, end]: how far along a clock that started on `start` is on `end`
    (0 when `end` is not after `start`)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            count += 1
    return count
