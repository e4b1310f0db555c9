"""Step 4: twelve months of billing runs and payments, in order, each payment recorded as
received on the day it was paid (so coverage "as known that day" holds for the claims).
Sponsors pay their invoices, except one that stopped; self-payers pay by habit, so some are
paid up, some in arrears and some lapsed on today's date. Each month is closed into the coverage
history as the month turns, so the dashboard's trend has a year behind it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from functools import cache

from jaring.claims.payout_clock import WIB
from jaring.demo.plan import CHANNEL, MONTHS, SPONSORS, Loaded, habit_of
from jaring.kit.auth import Principal
from jaring.kit.periods import Month
from jaring.membership import numbers

Note = Callable[[str], None]
Advance = Callable[[int, int], None]


@cache
def self_tariff(month: Month, programs: tuple[str, ...]) -> int:
    """What a self-paying BPU member owes for a month (relief months included): the same
    calculator the billing run's tariffs come from."""
    from jaring.rules import calculators

    return calculators.contribution(segment="bpu", month=month, income=1_000_000, programs=programs).total


def _paid_at(month: Month, day: int) -> datetime:
    # In the current month a payment due later than now is paid now: never in the future.
    planned = datetime.combine(month.day(day), clock(9, 30), tzinfo=WIB)
    return min(planned, datetime.now(UTC) - timedelta(minutes=1))


def _pay(reference: str, amount: int, key: str, when: datetime) -> None:
    from jaring.contributions.payments import record_payment

    record_payment(
        channel=CHANNEL, idempotency_key=key, reference=reference, amount=amount, paid_at=when, now=when
    )


def _pay_invoices(principal: Principal, invoices: list[str], index: int) -> int:
    """Each sponsor pays its invoice on the 8th, except the months a sponsor left unpaid."""
    from jaring.contributions.billing import get_invoice

    stopped = {p.code for p in SPONSORS if index >= MONTHS - p.unpaid_last}
    paid = 0
    for number in invoices:
        invoice = get_invoice(principal=principal, number=number, limit=1).invoice
        if invoice.sponsor_code in stopped:
            continue
        _pay(number, invoice.total, f"demo-{number}", _paid_at(invoice.period, 8))
        paid += 1
    return paid


def _pay_self(participants: list[str], programs: tuple[str, ...], index: int, month: Month) -> int:
    """Self-payers whose habit pays this month settle every month since their last payment."""
    paid = 0
    for number in participants:
        serial = numbers.serial_of(number)
        habit = habit_of(serial)
        if index not in habit.pay_in:
            continue
        earlier = [i for i in habit.pay_in if i < index]
        since = (max(earlier) + 1) if earlier else 0
        amount = sum(self_tariff(month.plus(i - index), programs) for i in range(since, index + 1))
        _pay(number, amount, f"demo-self-{number}-{month}", _paid_at(month, 3 + serial % 10))
        paid += 1
    return paid


def bill_and_collect(principal: Principal, loaded: Loaded, note: Note, advance: Advance) -> str:
    from jaring.contributions.billing import run_billing
    from jaring.contributions.channels import create_channel
    from jaring.monitoring import rollup

    create_channel(principal=principal, code=CHANNEL, name="Bank Demo (kanal pembayaran)")
    charges = payments = 0
    seconds = {"billing": 0.0, "sponsors": 0.0, "self": 0.0, "roll-up": 0.0}
    for index, month in enumerate(loaded.timeline.months):
        # The month turns as it would in service: the month that ended is closed into the
        # coverage history (the dashboard's trend) before the new one is billed.
        turned = time.perf_counter()
        rollup.refresh(today=month.first_day)
        note(f"{month}: penagihan")
        began = time.perf_counter()
        seconds["roll-up"] += began - turned
        report = run_billing(principal=principal, period=month)
        charges += report.charges_created
        note(f"{month}: pembayaran")
        paid_at = time.perf_counter()
        payments += _pay_invoices(principal, report.invoices, index)
        self_at = time.perf_counter()
        payments += _pay_self(loaded.self_payers, ("jkk", "jkm"), index, month)
        payments += _pay_self(loaded.jht_savers, ("jkk", "jkm", "jht"), index, month)
        done = time.perf_counter()
        seconds["billing"] += paid_at - began
        seconds["sponsors"] += self_at - paid_at
        seconds["self"] += done - self_at
        advance(index + 1, MONTHS)
    # The current month's bills and payments marked most regencies: recount them now, so the
    # first page after `make run` reads settled figures.
    turned = time.perf_counter()
    rollup.refresh()
    seconds["roll-up"] += time.perf_counter() - turned
    loaded.counts["charges"] = charges
    loaded.counts["payments"] = payments
    split = ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items())
    return f"{MONTHS} bulan: {charges:,} tagihan, {payments:,} pembayaran ({split})"
