"""Payments from channels (banks, aggregators, post offices) and their reversal.

A payment is recorded once per (channel, Idempotency-Key): the same request sent ten times,
or by eight clients at once, inserts one row; the others find it and get the same answer
back. The unique constraint, not a prior SELECT, is what decides, so no race can credit
twice. A payment is allocated in the transaction that records it, so money is never
received without being either allocated or kept as credit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, literal, select, text

from jaring.contributions import allocation
from jaring.contributions.allocation import SELF, SPONSOR, Payer
from jaring.contributions.billing import ensure_charges_in
from jaring.contributions.model import allocations, invoices, payments
from jaring.kit import audit, db
from jaring.kit.auth import MEMBER, Principal, region_filter, require
from jaring.kit.errors import BadInput, Conflict, NotFound
from jaring.kit.periods import Month
from jaring.membership import service as membership

VIRTUAL_ACCOUNT_PREFIX = "88888"  # "88888" + participant number (rules file §8.4)
CLOCK_SKEW = timedelta(minutes=5)
_KEY = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


@dataclass(frozen=True)
class Target:
    """Who a payment reference points at."""

    payer: Payer
    region_code: str
    reference: str  # normalised: a participant number or an invoice number


@dataclass
class PaymentResult:
    payment_id: int
    kind: str
    channel: str
    reference: str
    amount: int
    paid_at: str
    allocated: int
    credit: int
    months: list[str] = field(default_factory=list)  # months this payment paid, for one member
    members: int = 0
    replayed: bool = False
    reverses: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def request_hash(reference: str, amount: int, paid_at: datetime, bank_ref: str | None) -> str:
    """What makes two sends 'the same payment' under one Idempotency-Key."""
    canonical = f"{reference.strip()}|{amount}|{paid_at.astimezone(UTC).isoformat()}|{bank_ref or ''}"
    return hashlib.sha256(canonical.encode()).hexdigest()


def resolve_reference_in(conn: Connection, reference: str) -> Target:
    text_ref = reference.strip()
    if text_ref.startswith("INV-"):
        row = conn.execute(
            select(invoices.c.sponsor_id, invoices.c.region_code).where(invoices.c.number == text_ref)
        ).first()
        if row is not None:
            return Target(Payer(SPONSOR, int(row.sponsor_id)), row.region_code, text_ref)
    else:
        number = text_ref
        if len(number) == 16 and number.startswith(VIRTUAL_ACCOUNT_PREFIX):
            number = number[len(VIRTUAL_ACCOUNT_PREFIX) :]
        member = membership.member_in(conn, number) if number.isdigit() and len(number) == 11 else None
        if member is not None:
            return Target(Payer(SELF, member.id), member.region_code, member.participant_number)
    raise BadInput(
        "reference is not a known participant number, virtual account or invoice number",
        field="reference",
    )


def _check_request(idempotency_key: str, amount: int, paid_at: datetime, now: datetime) -> None:
    if not _KEY.fullmatch(idempotency_key or ""):
        raise BadInput(
            "Idempotency-Key must be 1-100 characters of letters, digits and . _ : -",
            field="Idempotency-Key",
        )
    if amount <= 0:
        raise BadInput("amount must be a positive whole number of Rupiah", field="amount")
    if paid_at.tzinfo is None:
        raise BadInput("paid_at needs a time zone, e.g. 2026-05-10T09:30:00+07:00", field="paid_at")
    if paid_at > now + CLOCK_SKEW:
        raise BadInput("paid_at is in the future", field="paid_at")


def _lock_payer(conn: Connection, payer: Payer) -> None:
    # Two payments for one payer allocate one after the other, so both never see the same
    # month unpaid. SQLite's write transactions are already serial (BEGIN IMMEDIATE).
    if conn.dialect.name == "postgresql":
        conn.execute(
            text("SELECT pg_advisory_xact_lock(:space, :id)"),
            {"space": 1 if payer.kind == SELF else 2, "id": payer.id},
        )


def record_payment(
    *,
    channel: str,
    idempotency_key: str,
    reference: str,
    amount: int,
    paid_at: datetime,
    bank_ref: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> PaymentResult:
    """Record and allocate one payment; a repeat of the same key returns the first answer."""
    now = now or datetime.now(UTC)
    _check_request(idempotency_key, amount, paid_at, now)
    digest = request_hash(reference, amount, paid_at, bank_ref)
    with db.transaction(url) as conn:
        existing = _by_key_in(conn, channel, idempotency_key)
        if existing is not None:
            return _replay(conn, existing, digest)
        target = resolve_reference_in(conn, reference)
        _lock_payer(conn, target.payer)
        payment_id = _insert_in(
            conn,
            {
                "channel": channel,
                "idempotency_key": idempotency_key,
                "request_hash": digest,
                "kind": "payment",
                "reference": target.reference,
                "payer_kind": target.payer.kind,
                "member_id": target.payer.id if target.payer.kind == SELF else None,
                "sponsor_id": target.payer.id if target.payer.kind == SPONSOR else None,
                "region_code": target.region_code,
                "amount": amount,
                "paid_at": paid_at,
                "received_at": now,
                "bank_ref": bank_ref,
                "reverses_id": None,
            },
        )
        if payment_id is None:  # a concurrent send of the same key won; answer as it did
            row = _by_key_in(conn, channel, idempotency_key)
            assert row is not None
            return _replay(conn, row, digest)
        if target.payer.kind == SELF:
            ensure_charges_in(conn, member_id=target.payer.id, through=Month.of(paid_at.astimezone(UTC)))
        # The payer's unspent money, this payment included, pays the oldest months first.
        spent = allocation.apply_credit_in(conn, target.payer, now)
        allocation.refresh_accounts_in(conn, sorted(spent.members), now)
        result = _result_in(conn, payment_id)
        audit.record(
            conn,
            actor=f"channel:{channel}",
            action="payment.receive",
            entity="payment",
            entity_id=str(payment_id),
            region_code=target.region_code,
            after={
                "reference": target.reference,
                "amount": amount,
                "allocated": result.allocated,
                "credit": result.credit,
                "members": result.members,
            },
        )
        return result


def _insert_in(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert unless the (channel, key) exists; None when another transaction has it."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(payments)
        .values(values)
        .on_conflict_do_nothing(index_elements=["channel", "idempotency_key"])
        .returning(payments.c.id)
    )
    inserted = conn.execute(statement).scalar_one_or_none()
    return None if inserted is None else int(inserted)


def _by_key_in(conn: Connection, channel: str, key: str) -> Any:
    return conn.execute(
        select(payments).where(payments.c.channel == channel, payments.c.idempotency_key == key)
    ).first()


def _replay(conn: Connection, row: Any, digest: str) -> PaymentResult:
    if row.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used for a different payment; use a new key for a new payment"
        )
    result = _result_in(conn, int(row.id))
    result.replayed = True
    return result


def _result_in(conn: Connection, payment_id: int) -> PaymentResult:
    return _results_in(conn, [payment_id])[0]


def _results_in(conn: Connection, payment_ids: list[int]) -> list[PaymentResult]:
    """Payments with their allocation, in the given order: three queries however many."""
    if not payment_ids:
        return []
    rows = {int(r.id): r for r in conn.execute(select(payments).where(payments.c.id.in_(payment_ids)))}
    spread = {
        int(r[0]): (int(r[1]), int(r[2]))
        for r in conn.execute(
            select(
                allocations.c.payment_id,
                func.coalesce(func.sum(allocations.c.amount), 0),
                func.count(func.distinct(allocations.c.member_id)),
            )
            .where(allocations.c.payment_id.in_(payment_ids))
            .group_by(allocations.c.payment_id)
        )
    }
    months: dict[int, set[str]] = {}
    for r in conn.execute(
        select(allocations.c.payment_id, allocations.c.month)
        .where(allocations.c.payment_id.in_([i for i, row in rows.items() if row.payer_kind == SELF]))
        .group_by(allocations.c.payment_id, allocations.c.month)
        .having(func.sum(allocations.c.amount) != 0)
    ):
        months.setdefault(int(r[0]), set()).add(str(Month.of(r[1])))
    reversed_ids = {
        int(r[0])
        for r in conn.execute(select(payments.c.reverses_id).where(payments.c.reverses_id.in_(payment_ids)))
    }
    results = []
    for payment_id in payment_ids:
        row = rows[payment_id]
        allocated, members = spread.get(payment_id, (0, 0))
        # What a payment has not spent is credit, unless a reversal took it back.
        left = int(row.amount) - allocated if row.kind == "payment" and payment_id not in reversed_ids else 0
        paid_at = allocation.utc(row.paid_at)
        assert paid_at is not None
        results.append(
            PaymentResult(
                payment_id=payment_id,
                kind=row.kind,
                channel=row.channel,
                reference=row.reference,
                amount=int(row.amount),
                paid_at=paid_at.isoformat(),
                allocated=allocated,
                credit=max(left, 0),
                months=sorted(months.get(payment_id, set())),
                members=members,
                reverses=row.reverses_id,
            )
        )
    return results


def _payer_of(row: Any) -> Payer:
    return Payer(SELF, int(row.member_id)) if row.payer_kind == SELF else Payer(SPONSOR, int(row.sponsor_id))


def reverse_payment(
    *,
    actor: str,
    payment_id: int,
    reason: str,
    channel: str | None = None,
    idempotency_key: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
) -> PaymentResult:
    """Take a payment back (a bounced transfer, a channel's correction): a reversal row with
    the negative amount and negative allocations mirroring the original's, never an edit.
    When `channel` is given the payment must be that channel's (a channel reverses only its
    own); a second reversal of one payment returns the first."""
    now = now or datetime.now(UTC)
    if not reason.strip():
        raise BadInput("a reversal needs a reason", field="reason")
    with db.transaction(url) as conn:
        original = conn.execute(select(payments).where(payments.c.id == payment_id)).first()
        if original is None or (channel is not None and original.channel != channel):
            raise NotFound(f"payment {payment_id} not found")
        if original.kind != "payment":
            raise BadInput("a reversal cannot itself be reversed", field="payment_id")
        payer = _payer_of(original)
        _lock_payer(conn, payer)
        done = conn.execute(select(payments.c.id).where(payments.c.reverses_id == payment_id)).scalar()
        if done is not None:
            result = _result_in(conn, int(done))
            result.replayed = True
            return result
        reversal_id = _insert_in(
            conn,
            {
                "channel": original.channel,
                "idempotency_key": idempotency_key or f"reversal:{payment_id}",
                "request_hash": hashlib.sha256(f"reversal|{payment_id}".encode()).hexdigest(),
                "kind": "reversal",
                "reference": original.reference,
                "payer_kind": original.payer_kind,
                "member_id": original.member_id,
                "sponsor_id": original.sponsor_id,
                "region_code": original.region_code,
                "amount": -int(original.amount),
                "paid_at": now,
                "received_at": now,
                "bank_ref": original.bank_ref,
                "reverses_id": payment_id,
            },
        )
        if reversal_id is None:
            raise Conflict("this Idempotency-Key was used for a different request")
        conn.execute(
            allocations.insert().from_select(
                ["payment_id", "member_id", "month", "amount", "created_at"],
                select(
                    literal(reversal_id, allocations.c.payment_id.type),
                    allocations.c.member_id,
                    allocations.c.month,
                    -func.sum(allocations.c.amount),
                    literal(now, allocations.c.created_at.type),
                )
                .where(allocations.c.payment_id == payment_id)
                .group_by(allocations.c.member_id, allocations.c.month)
                .having(func.sum(allocations.c.amount) != 0),
            )
        )
        affected = set(allocation.members_of_payment_in(conn, payment_id))
        affected |= allocation.apply_credit_in(conn, payer, now).members  # money left elsewhere
        allocation.refresh_accounts_in(conn, sorted(affected), now)
        audit.record(
            conn,
            actor=actor,
            action="payment.reverse",
            entity="payment",
            entity_id=str(payment_id),
            region_code=original.region_code,
            before={"amount": int(original.amount), "reference": original.reference},
            after={"reversal_id": reversal_id, "reason": reason.strip()},
        )
        return _result_in(conn, reversal_id)


def get_payment(*, principal: Principal, payment_id: int, url: str | None = None) -> PaymentResult:
    require(principal, "payment.read")
    with db.store(url).connect() as conn:
        query = select(payments.c.id).where(payments.c.id == payment_id, _scope(principal))
        found = conn.execute(query).scalar()
        if found is None:
            raise NotFound(f"payment {payment_id} not found")
        return _result_in(conn, int(found))


def list_payments(
    *, principal: Principal, reference: str | None = None, limit: int = 100, url: str | None = None
) -> list[PaymentResult]:
    require(principal, "payment.read")
    query = select(payments.c.id).where(_scope(principal)).order_by(payments.c.id.desc()).limit(limit)
    if reference:
        query = query.where(payments.c.reference == reference.strip())
    with db.store(url).connect() as conn:
        return _results_in(conn, [int(row[0]) for row in conn.execute(query)])


def _scope(principal: Principal) -> Any:
    if principal.role == MEMBER:
        return payments.c.member_id == (principal.member_id if principal.member_id is not None else -1)
    clause = region_filter(principal, payments.c.region_code)
    if principal.sponsor_id is not None:
        clause = clause & (payments.c.sponsor_id == principal.sponsor_id)
    return clause
