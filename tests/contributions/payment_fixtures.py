"""Helpers for payment and coverage tests: a member, the charges billing made for them, and
payments recorded through the real path."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from jaring.contributions import payments
from jaring.contributions.billing import ensure_charges_in
from jaring.contributions.model import charges
from jaring.kit import db
from jaring.kit.periods import Month
from tests.contributions.billing_fixtures import Person, World

CHANNEL = "BANK-TEST"
_keys = itertools.count(1)


def at(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), tzinfo=UTC)


def bill_through(world: World, person: Person, month: str) -> None:
    with db.transaction(world.url) as conn:
        ensure_charges_in(conn, member_id=person.id, through=Month.parse(month))


def charge_amounts(url: str, person: Person) -> dict[str, int]:
    """What billing charged per month (an input to allocation tests, priced by the rules)."""
    with db.store(url).connect() as conn:
        rows = conn.execute(
            select(charges.c.month, charges.c.amount)
            .where(charges.c.member_id == person.id)
            .order_by(charges.c.month)
        ).all()
    return {str(Month.of(m)): int(a) for m, a in rows}


def pay(
    world: World, person: Person, amount: int, day: str, *, key: str | None = None, **kw: Any
) -> payments.PaymentResult:
    """Paid at 10:00 on `day` and received by Jaring at 11:00 (unless `now` says otherwise)."""
    kw.setdefault("now", at(day, 11))
    return payments.record_payment(
        channel=CHANNEL,
        idempotency_key=key or f"k{next(_keys)}",
        reference=person.participant_number,
        amount=amount,
        paid_at=at(day),
        url=world.url,
        **kw,
    )
