"""Payments: allocation to the oldest unpaid month, credit, idempotency, reversal, and the
ledger's invariants after each."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from jaring.contributions import ledger, payments
from jaring.contributions.model import allocations, member_accounts
from jaring.contributions.model import payments as payment_rows
from jaring.kit import audit, db
from jaring.kit.auth import system
from jaring.kit.errors import BadInput, Conflict
from tests.contributions.billing_fixtures import World
from tests.contributions.payment_fixtures import CHANNEL, at, bill_through, charge_amounts, pay


@pytest.fixture
def world(store_url: str) -> World:
    return World(store_url)


def _paid_through(url: str, member_id: int) -> str | None:
    with db.store(url).connect() as conn:
        value = conn.execute(
            select(member_accounts.c.paid_through).where(member_accounts.c.member_id == member_id)
        ).scalar()
    return None if value is None else str(value)[:7]


def _holds(url: str) -> ledger.LedgerCheck:
    result = ledger.check(principal=system("test"), url=url)
    assert result.holds, result.problems
    return result


def test_payment_pays_oldest_months_first_and_keeps_the_rest_as_credit(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-03")
    due = charge_amounts(world.url, person)
    assert list(due) == ["2026-01", "2026-02", "2026-03"]
    # Enough for January and February and part of March.
    amount = due["2026-01"] + due["2026-02"] + 1_000
    result = pay(world, person, amount, "2026-03-05")
    assert result.months == ["2026-01", "2026-02", "2026-03"]
    assert result.allocated == amount
    assert result.credit == 0
    assert _paid_through(world.url, person.id) == "2026-02"
    # The rest of March and 5,000 more: March is complete and 5,000 is credit.
    rest = due["2026-03"] - 1_000
    second = pay(world, person, rest + 5_000, "2026-03-06")
    assert second.months == ["2026-03"]
    assert second.credit == 5_000
    assert _paid_through(world.url, person.id) == "2026-03"
    check = _holds(world.url)
    assert check.credit == 5_000
    assert check.outstanding == 0
    assert check.received == check.allocated + check.credit


def test_credit_is_spent_on_the_next_month_before_new_money(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-01")
    january = charge_amounts(world.url, person)["2026-01"]
    first = pay(world, person, january * 2, "2026-01-05")
    assert first.credit == january
    # February's charge appears when the member pays again; the credit pays it first.
    second = pay(world, person, 100, "2026-02-05")
    february = charge_amounts(world.url, person)["2026-02"]
    assert february > 0
    with db.store(world.url).connect() as conn:
        by_payment = dict(
            conn.execute(
                select(allocations.c.payment_id, func.sum(allocations.c.amount)).group_by(
                    allocations.c.payment_id
                )
            ).all()
        )
    assert by_payment[first.payment_id] == january + min(january, february)
    assert _paid_through(world.url, person.id) == ("2026-02" if january >= february else "2026-01")
    assert second.amount == 100
    _holds(world.url)


def test_the_same_key_ten_times_is_credited_once(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    results = [pay(world, person, 16_800, "2026-01-05", key="same-key") for _ in range(10)]
    assert {r.payment_id for r in results} == {results[0].payment_id}
    assert [r.replayed for r in results] == [False] + [True] * 9
    with db.store(world.url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(payment_rows)).scalar() == 1
    assert _holds(world.url).received == 16_800


def test_the_same_key_for_a_different_payment_is_refused(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    pay(world, person, 16_800, "2026-01-05", key="k-1")
    with pytest.raises(Conflict, match="different payment"):
        pay(world, person, 20_000, "2026-01-05", key="k-1")


def test_eight_clients_at_once_are_credited_once(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-06")
    barrier = threading.Barrier(8)
    results: list[payments.PaymentResult] = []
    errors: list[BaseException] = []

    def send() -> None:
        barrier.wait()
        try:
            results.append(pay(world, person, 30_000, "2026-06-01", key="burst"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({r.payment_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    check = _holds(world.url)
    assert check.received == 30_000


def test_concurrent_different_payments_never_pay_a_month_twice(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-06")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(i: int) -> None:
        barrier.wait()
        try:
            pay(world, person, 9_000, "2026-06-01", key=f"client-{i}")
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    check = _holds(world.url)
    assert check.received == 72_000
    assert check.allocated + check.credit == 72_000


def test_reversal_takes_back_money_and_months(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-02")
    due = charge_amounts(world.url, person)
    first = pay(world, person, due["2026-01"], "2026-01-05")
    second = pay(world, person, due["2026-02"] + 700, "2026-02-05")
    assert _paid_through(world.url, person.id) == "2026-02"
    reversal = payments.reverse_payment(
        actor="test", payment_id=second.payment_id, reason="transfer bounced", url=world.url
    )
    assert reversal.kind == "reversal"
    assert reversal.amount == -(due["2026-02"] + 700)
    assert reversal.allocated == -due["2026-02"]
    assert _paid_through(world.url, person.id) == "2026-01"
    again = payments.reverse_payment(
        actor="test", payment_id=second.payment_id, reason="again", url=world.url
    )
    assert again.replayed
    assert again.payment_id == reversal.payment_id
    with pytest.raises(BadInput, match="cannot itself be reversed"):
        payments.reverse_payment(actor="test", payment_id=reversal.payment_id, reason="x", url=world.url)
    check = _holds(world.url)
    assert check.received == due["2026-01"]
    assert check.credit == 0
    assert first.payment_id != second.payment_id
    assert audit.verify(world.url).intact


def test_unknown_reference_and_bad_amounts_are_refused_with_the_field(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    with pytest.raises(BadInput) as unknown:
        payments.record_payment(
            channel=CHANNEL, idempotency_key="a", reference="99999999999", amount=1, paid_at=at("2026-01-05"),
            url=world.url,
        )  # fmt: skip
    assert unknown.value.field == "reference"
    with pytest.raises(BadInput) as zero:
        pay(world, person, 0, "2026-01-05")
    assert zero.value.field == "amount"
    with pytest.raises(BadInput) as future:
        pay(world, person, 1, "2030-01-01", now=at("2026-06-01"))
    assert future.value.field == "paid_at"
    with db.store(world.url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(payment_rows)).scalar() == 0


def test_virtual_account_reaches_the_member(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    result = payments.record_payment(
        channel=CHANNEL, idempotency_key="va", reference="88888" + person.participant_number, amount=16_800,
        paid_at=at("2026-01-05"), url=world.url,
    )  # fmt: skip
    assert result.reference == person.participant_number


def test_sponsor_invoice_payment_pays_oldest_months_of_its_members(world: World) -> None:
    from jaring.contributions.billing import list_invoices, run_billing
    from jaring.kit.periods import Month

    world.sponsor("KAB-MALANG", "regency", "3507")
    people = [world.person(i, "3507010001", date(2026, 1, 2), sponsor="KAB-MALANG") for i in range(1, 4)]
    for month in ("2026-01", "2026-02"):
        run_billing(principal=system("test"), period=Month.parse(month), url=world.url)
    found = list_invoices(principal=system("test"), url=world.url)
    assert len(found) == 2
    january = next(i for i in found if str(i.period) == "2026-01")
    result = payments.record_payment(
        channel=CHANNEL, idempotency_key="inv", reference=january.number, amount=january.total + 1,
        paid_at=at("2026-02-20"), url=world.url,
    )  # fmt: skip
    assert result.members == 3
    # One Rupiah beyond January goes to the oldest February charge, not to credit.
    assert result.allocated == january.total + 1
    assert result.credit == 0
    for person in people:
        assert _paid_through(world.url, person.id) == "2026-01"
    _holds(world.url)


def test_ledger_check_names_what_does_not_add_up(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    bill_through(world, person, "2026-01")
    paid = pay(world, person, 5_000, "2026-01-05")
    with db.transaction(world.url) as conn:
        # An allocation beyond the charge and beyond the payment: what a bug would write.
        conn.execute(
            text(
                "INSERT INTO allocations (payment_id, member_id, month, amount, created_at) "
                "VALUES (:p, :m, :month, 99999999, CURRENT_TIMESTAMP)"
            ),
            {"p": paid.payment_id, "m": person.id, "month": date(2026, 1, 1)},
        )
    result = ledger.check(principal=system("test"), url=world.url)
    assert not result.holds
    assert any("outside 0.." in p for p in result.problems)
    assert any("spent" in p for p in result.problems)


def test_ledger_rows_cannot_be_edited_or_deleted(world: World) -> None:
    person = world.person(1, "3507010001", date(2026, 1, 10))
    pay(world, person, 16_800, "2026-01-05")
    for statement in ("UPDATE payments SET amount = 1", "DELETE FROM allocations", "DELETE FROM charges"):
        with pytest.raises(Exception, match="append-only"), db.transaction(world.url) as conn:
            conn.execute(text(statement))
