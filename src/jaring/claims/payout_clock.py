"""The payout clock: event dates in Western Indonesia Time, deadlines in working days after
the documents are complete, and the compensation for each day a payout is late."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import numpy as np

from jaring.kit import config
from jaring.kit.money import apply_rate
from jaring.kit.periods import add_working_days
from jaring.rules.engine import Usage, default_rulebook

# Event times without a zone are read as Western Indonesia Time; event dates are WIB dates.
WIB = timezone(timedelta(hours=7), "WIB")
PAYOUT_DAYS = {
    "jkk": "claims.jkk_payout_working_days",
    "jkm": "claims.jkm_payout_working_days",
    "jht": "claims.jht_payout_working_days",
}
COMPENSATED = ("jkk", "jkm")  # PP 44/2015 Art. 40(4), 43(7), 44(7)


def utc_now() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=WIB)


def wib_day(moment: datetime) -> date:
    return aware(moment).astimezone(WIB).date()


def usage() -> Usage:
    return Usage(allow_unconfirmed=config.allow_unconfirmed())


def rule(name: str, day: date) -> Any:
    return default_rulebook()[name].value(day, usage())


def payout_due_on(program: str, event_day: date, complete_at: datetime) -> date | None:
    if program not in PAYOUT_DAYS:
        return None
    days = int(rule(PAYOUT_DAYS[program], event_day))
    return add_working_days(wib_day(complete_at), days, config.holidays())


def late_compensation(benefit: int, late_days: int, day: date) -> int:
    if late_days <= 0 or benefit <= 0:
        return 0
    parameter = default_rulebook()["claims.late_compensation_rate"]
    ppm = int(parameter.value(day, usage()))
    return int(apply_rate(np.array([benefit * late_days], dtype=np.int64), ppm, parameter.rounding)[0])
